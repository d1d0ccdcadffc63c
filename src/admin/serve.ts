// The `serve` object users call: one runtime, the serve controller on it, and the HTTP proxy in front.
// It lives above both the serve core and the proxy so that neither imports the other.
import { Runtime, park, parksHere, type RuntimeOptions } from '../core/index.ts';
import { ServeController, routerFor, Application, type ApplicationInfo, type DeploymentHandle, type RunOptions, type ServeStatus } from '../serve/index.ts';
import { HttpProxy, type HttpProxyOptions, type MountedApp } from '../http/index.ts';
import { ServeNotStartedError } from './admin-errors.ts';

export interface StartOptions {
  /** HTTP proxy options (default 127.0.0.1:8000), or false for no HTTP. */
  http?: HttpProxyOptions | false;
  runtime?: RuntimeOptions;
}

export interface ServeRunOptions extends RunOptions {}

class Serve {
  #runtime: Runtime | undefined;
  #controller: ServeController | undefined;
  #proxy: HttpProxy | undefined;
  #address: { host: string; port: number } | undefined;
  #starting: Promise<void> | undefined;
  /** By application: the names of its sub-mounts on the proxy. */
  readonly #subMounts = new Map<string, string[]>();

  /** Starts the runtime and (unless http is false) the HTTP proxy. serve.run() calls it with defaults. */
  start(options: StartOptions = {}): Promise<void> {
    // A single-file program's top-level serve.start/run, met again while a replica imports its module (import-window.ts).
    if (parksHere()) return park('serve.start()');
    this.#starting ??= this.#start(options).catch(err => {
      this.#starting = undefined;
      throw err;
    });
    return this.#starting;
  }

  async #start(options: StartOptions): Promise<void> {
    const runtime = new Runtime(options.runtime);
    const controller = new ServeController(runtime);
    if (options.http !== false) {
      const proxy = new HttpProxy({ host: '127.0.0.1', port: 8000, objectStore: runtime.objectStore, ...(options.http ?? {}) });
      try {
        this.#address = await proxy.listen();
      } catch (err) {
        await runtime.shutdown();
        throw err;
      }
      this.#proxy = proxy;
    }
    this.#runtime = runtime;
    this.#controller = controller;
  }

  /**
   * Deploys an application, or updates the one running under its name in place (changed code rolls replicas in
   * waves, lightweight options apply to live replicas); resolves with a handle to its ingress deployment once
   * every deployment has reached its target.
   * Its routes are mounted as soon as it is planned: while its replicas start, /-/healthz reports it not ready
   * (503) and its requests wait in its router instead of finding no route.
   */
  async run<T>(app: Application<T>, options: ServeRunOptions = {}): Promise<DeploymentHandle<T>> {
    if (parksHere()) return park('serve.run()');
    await this.start();
    const controller = this.#controller!;
    const proxy = this.#proxy;
    const name = options.name ?? 'default';
    const updating = name in controller.status().applications;
    try {
      // An update swaps the mount in one step (and back, if the update fails): its routes never go missing.
      return await controller.run(app, options, { planned: info => void (proxy && this.#mount(proxy, info)) });
    } catch (err) {
      if (!updating) this.#unmount(name);
      throw err;
    }
  }

  /** Where the HTTP proxy listens (after start). */
  get address(): { host: string; port: number } | undefined {
    return this.#address;
  }

  get runtime(): Runtime | undefined {
    return this.#runtime;
  }

  status(): ServeStatus {
    return this.#controller?.status() ?? { applications: {} };
  }

  /** The HTTP proxy's applications and routes (the admin API's GET /api/routes); empty without a proxy. */
  routes(): unknown[] {
    return this.#proxy?.routes() ?? [];
  }

  getHandle<T = any>(appName: string, deploymentName?: string): DeploymentHandle<T> {
    if (!this.#controller) throw new ServeNotStartedError();
    return this.#controller.getHandle<T>(appName, deploymentName);
  }

  async delete(name: string): Promise<void> {
    this.#unmount(name);
    await this.#controller?.delete(name);
  }

  /** Stops the HTTP proxy (answering requests in flight), every application, and the runtime. Resolves with how
   *  many HTTP requests were still in flight at timeoutMs (cancelled, answered 503). */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<{ dropped: number }> {
    const starting = this.#starting;
    if (!starting) return { dropped: 0 };
    await starting.catch(() => {});
    const { timeoutMs = 10_000 } = options;
    const { dropped } = (await this.#proxy?.close({ timeoutMs })) ?? { dropped: 0 };
    await this.#controller?.shutdown();
    await this.#runtime?.shutdown();
    this.#proxy = undefined;
    this.#controller = undefined;
    this.#runtime = undefined;
    this.#address = undefined;
    this.#starting = undefined;
    this.#subMounts.clear();
    return { dropped };
  }

  /** Mounts the application's ingress and each of its sub-mounts (replacing what was mounted under their names),
   *  and unmounts the sub-mounts it no longer has. All in one turn: no request sees half of it. */
  #mount(proxy: HttpProxy, app: ApplicationInfo): void {
    const names = app.subMounts.map(sub => subMountName(app.name, sub.deploymentId));
    const before = this.#subMounts.get(app.name) ?? [];
    // Recorded first: a mount that throws half-way leaves nothing that #unmount does not know of.
    this.#subMounts.set(app.name, [...new Set([...before, ...names])]);
    app.subMounts.forEach((sub, i) => proxy.mount(this.#mountable(app.name, names[i]!, sub.routePrefix, sub.deploymentId, sub.cls), { replace: true }));
    proxy.mount(this.#mountable(app.name, app.name, app.routePrefix, app.ingressId, app.ingressClass), { replace: true });
    for (const name of before) if (!names.includes(name)) proxy.unmount(name);
    this.#subMounts.set(app.name, names);
  }

  #unmount(app: string): void {
    for (const name of this.#subMounts.get(app) ?? []) this.#proxy?.unmount(name);
    this.#subMounts.delete(app);
    this.#proxy?.unmount(app);
  }

  #mountable(app: string, name: string, routePrefix: string, deploymentId: string, cls: Function): MountedApp {
    const controller = this.#controller!;
    const router = routerFor(controller.runtime.id, deploymentId);
    return {
      name,
      routePrefix,
      deploymentName: deploymentId,
      ingressClass: cls,
      isReady: () => controller.status().applications[app]?.ready === true,
      target: {
        // The router reads only what CancelSignal has of an AbortSignal.
        call: (method, args, opts) => router.call(method, args, opts.cancel as AbortSignal, opts),
        stream: (method, args, opts) => router.stream(method, args, opts.cancel as AbortSignal, opts),
      },
    };
  }
}

/** A sub-mount's name in the proxy: `<app>#<deployment>` (a deployment id is `<app>/<deployment>`). */
function subMountName(app: string, deploymentId: string): string {
  return `${app}#${deploymentId.slice(deploymentId.indexOf('/') + 1)}`;
}

/** The process-wide serve instance (Ray's `serve` module). */
export const serve = new Serve();
