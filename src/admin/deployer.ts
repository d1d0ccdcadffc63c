// Applies configs to the running serve instance, one at a time: each application of the config is run under
// its name (serve.run updates a running one in place: unchanged deployments keep their replicas, lightweight
// options reach live replicas), and running applications the config does not list are deleted, as in Ray.
// Everything that can be checked is checked before anything changes (see buildApplications); a deploy that
// still fails while it runs puts back the applications it had already changed.
import os from 'node:os';
import { buildApplications, machineCapacity, type BuiltApplication, type LoadedConfig } from '../config/index.ts';
import { ApplicationNotFoundError, type Capacity, type ServeStatus } from '../serve/index.ts';
import { DeployFailedError } from './admin-errors.ts';
import type { serve as serveInstance } from './serve.ts';

type Serve = Pick<typeof serveInstance, 'run' | 'delete' | 'status'> & Partial<Pick<typeof serveInstance, 'routes'>>;

/** What GET /api/applications answers. */
export interface AdminStatus {
  applications: Record<string, ServeStatus['applications'][string] & { importPath?: string; deployedAt?: string }>;
  /** What replicas hold of this machine (as their deployments' actorOptions ask) and what it has. */
  resources: {
    cpus: { used: number; total: number };
    gpus: { used: number; total: number };
    memoryMb: { used: number; total: number };
  };
}

export interface DeployResult {
  status: AdminStatus;
  /** Applications deleted because the config no longer lists them. */
  deleted: string[];
}

interface Deployed {
  built: BuiltApplication;
  deployedAt: Date;
}

export class Deployer {
  readonly #serve: Serve;
  readonly #capacity: Capacity;
  #deployed = new Map<string, Deployed>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(serve: Serve, options: { capacity?: Capacity } = {}) {
    this.#serve = serve;
    this.#capacity = options.capacity ?? machineCapacity();
  }

  /** The HTTP routes of what is deployed (handler and deployment names: the admin API, not the public port). */
  routes(): unknown[] {
    return this.#serve.routes?.() ?? [];
  }

  /**
   * Builds every application of the config (import, builder, overrides, resources) and, only if all of them
   * build, applies it. Throws ConfigError, changing nothing, for what the build finds; DeployFailedError for a
   * deploy that failed while it ran.
   */
  deploy(loaded: LoadedConfig, options: { baseDir?: string; prune?: boolean } = {}): Promise<DeployResult> {
    return this.#serial(async () => this.#apply(await this.prepare(loaded, options), options.prune ?? true));
  }

  /** The build step of deploy() alone: every application of the config, built and checked; nothing changes. */
  prepare(loaded: LoadedConfig, options: { baseDir?: string } = {}): Promise<BuiltApplication[]> {
    return buildApplications(loaded, { baseDir: options.baseDir, capacity: this.#capacity });
  }

  /** The apply step of deploy() alone, for applications prepare() built. */
  apply(built: BuiltApplication[], options: { prune?: boolean } = {}): Promise<DeployResult> {
    return this.#serial(() => this.#apply(built, options.prune ?? true));
  }

  /** Deletes one application; ApplicationNotFoundError when none runs under that name. */
  delete(name: string): Promise<void> {
    return this.#serial(async () => {
      if (!(name in this.#serve.status().applications)) throw new ApplicationNotFoundError(name);
      await this.#serve.delete(name);
      this.#deployed.delete(name);
    });
  }

  /** Resolves once no deploy or delete is in flight. */
  idle(): Promise<void> {
    return this.#queue.then(() => {}, () => {});
  }

  status(): AdminStatus {
    const full = this.#serve.status();
    const applications: AdminStatus['applications'] = {};
    for (const [name, app] of Object.entries(full.applications)) {
      const deployed = this.#deployed.get(name);
      applications[name] = deployed ? { ...app, importPath: deployed.built.importPath, deployedAt: deployed.deployedAt.toISOString() } : app;
    }
    // Used: the controller's placement (every replica of every application, however deployed). Total: the
    // capacity configs are checked against.
    const placed = full.resources;
    return {
      applications,
      resources: {
        cpus: { used: placed?.cpus.used ?? 0, total: this.#capacity.cpus },
        gpus: { used: placed?.gpus.used ?? 0, total: this.#capacity.gpus.length },
        memoryMb: { used: placed?.memoryMb.used ?? 0, total: this.#capacity.memoryMb ?? Math.floor(os.totalmem() / 2 ** 20) },
      },
    };
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #apply(built: BuiltApplication[], prune: boolean): Promise<DeployResult> {
    const before = this.#serve.status().applications;
    const previous = new Map(this.#deployed);
    const wanted = new Set(built.map(b => b.name));
    const stale = prune ? Object.keys(before).filter(n => !wanted.has(n)) : [];
    // An application that goes away while another takes its route prefix must go first, or the newcomer's
    // mount would find the prefix taken. Every other deletion waits until the new applications serve.
    const first = stale.filter(n => built.some(b => b.routePrefix === before[n]!.routePrefix));
    const deleted: string[] = [];
    const changed: BuiltApplication[] = [];
    const restore = async (failed: string, err: unknown): Promise<never> => {
      const notes: string[] = [];
      for (const b of [...changed, ...built.filter(x => x.name === failed)].reverse()) {
        const old = previous.get(b.name);
        try {
          if (old) {
            if (b.name !== failed) await this.#serve.run(old.built.app, { name: b.name, routePrefix: old.built.routePrefix });
            this.#deployed.set(b.name, old);
          } else if (b.name in this.#serve.status().applications) {
            await this.#serve.delete(b.name);
            this.#deployed.delete(b.name);
          }
        } catch (e) {
          notes.push(`could not put back "${b.name}": ${(e as Error).message}`);
        }
      }
      for (const name of deleted) {
        const old = previous.get(name);
        if (!old) {
          notes.push(`"${name}" was deleted and cannot be restored (it was not deployed from a config)`);
          continue;
        }
        try {
          await this.#serve.run(old.built.app, { name, routePrefix: old.built.routePrefix });
          this.#deployed.set(name, old);
        } catch (e) {
          notes.push(`could not put back "${name}": ${(e as Error).message}`);
        }
      }
      const restored = notes.length === 0
        ? 'The applications it had changed are back as they were; the previous version of this one keeps serving where it ran.'
        : `Putting back what it had changed: ${notes.join('; ')}.`;
      throw new DeployFailedError(failed, err, restored);
    };
    for (const name of first) {
      await this.#serve.delete(name);
      this.#deployed.delete(name);
      deleted.push(name);
    }
    for (const b of built) {
      try {
        await this.#serve.run(b.app, { name: b.name, routePrefix: b.routePrefix });
      } catch (err) {
        await restore(b.name, err);
      }
      this.#deployed.set(b.name, { built: b, deployedAt: new Date() });
      changed.push(b);
    }
    for (const name of stale) {
      if (deleted.includes(name)) continue;
      await this.#serve.delete(name).catch(err => {
        if (!(err instanceof ApplicationNotFoundError)) throw err;
      });
      this.#deployed.delete(name);
      deleted.push(name);
    }
    return { status: this.status(), deleted };
  }
}
