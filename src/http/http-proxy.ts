// The public face of the proxy: checks arguments and lifecycle, forwards to the engine.
import { defaultHttpLogger } from './logger.ts';
import { ProxyEngine } from './proxy-engine.ts';
import { ProxyStateError } from './errors.ts';
import { InvalidArgumentError } from '../errors/index.ts';
import type { HttpProxyOptions, MountedApp } from './types.ts';

type State = 'new' | 'listening' | 'closing' | 'closed';

export class HttpProxy {
  readonly #engine: ProxyEngine;
  #state: State = 'new';
  #closing: Promise<{ dropped: number }> | undefined;

  constructor(opts: HttpProxyOptions = {}) {
    for (const key of ['maxBodyBytes', 'requestTimeoutMs', 'wsMaxBackpressure', 'wsMaxPayloadLength', 'wsMaxQueuedMessages', 'wsDrainTimeoutMs'] as const) {
      const v = opts[key];
      if (v !== undefined && (!Number.isFinite(v) || v <= 0)) throw new InvalidArgumentError(`HttpProxy option ${key} must be a positive number, got ${String(v)}`);
    }
    if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)) {
      throw new InvalidArgumentError(`HttpProxy option port must be an integer from 0 to 65535, got ${String(opts.port)}`);
    }
    this.#engine = new ProxyEngine(opts, opts.logger ?? defaultHttpLogger);
  }

  /** Starts listening; resolves with the actual address (port 0 picks a free port). */
  async listen(): Promise<{ host: string; port: number }> {
    if (this.#state !== 'new') throw new ProxyStateError(`listen() was already called (the proxy is ${this.#state}); make a new HttpProxy`);
    this.#state = 'listening';
    try {
      return await this.#engine.listen();
    } catch (err) {
      this.#state = 'closed';
      throw err;
    }
  }

  /** The port the proxy listens on, or -1 before listen(). */
  get port(): number {
    return this.#engine.port;
  }

  /** The mounted applications and their routes, as the admin API's GET /api/routes lists them. */
  routes(): unknown[] {
    return this.#engine.routes();
  }

  /** Requests in flight right now. */
  get inflight(): number {
    return this.#engine.inflight;
  }

  /** Serves an application under its routePrefix; its routes are read from its ingress class now. */
  /** Routes an application's prefix to it; `replace: true` swaps the one mounted under its name in one step. */
  mount(app: MountedApp, options: { replace?: boolean } = {}): void {
    if (this.#state === 'closing' || this.#state === 'closed') throw new ProxyStateError('cannot mount on a proxy that is closing or closed');
    if (!app || typeof app.name !== 'string' || !app.target || typeof app.isReady !== 'function') {
      throw new InvalidArgumentError('mount() needs a MountedApp: { name, routePrefix, deploymentName, ingressClass, target, isReady }');
    }
    this.#engine.mount(app, options.replace === true);
  }

  /** Stops routing to an application; requests already in flight finish. */
  unmount(name: string): void {
    this.#engine.unmount(name);
  }

  /** Stops accepting, closes WebSockets with 1001, lets in-flight requests finish for up to timeoutMs (default
   * 10 s), then cancels the rest (503) and closes every connection. Resolves with how many it cancelled. */
  close(opts: { timeoutMs?: number } = {}): Promise<{ dropped: number }> {
    if (!this.#closing) {
      this.#state = 'closing';
      this.#closing = this.#engine.close(opts.timeoutMs ?? 10_000).then((dropped) => {
        this.#state = 'closed';
        return { dropped };
      });
    }
    return this.#closing;
  }
}
