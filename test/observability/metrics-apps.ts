// Deployments that /metrics is checked against (test/observability/metrics.test.ts), written as a user would.
import { batch, callContext, Counter, deployment, Gauge, get, ingress, type Batch, type DeploymentHandle, type Unbatched } from '../../src/index.ts';
import { acquireSlot } from '../../src/native/index.ts';

@deployment({ numReplicas: 2, actorOptions: { numCpus: 0.25 } })
export class Doubler {
  double(n: number): number {
    return n * 2;
  }
}

/** maxBatchSize 4 and a wait far past any test: a batch runs when, and only when, 4 calls are waiting. */
@deployment({ actorOptions: { numCpus: 0.25 } })
export class Summer {
  @batch({ maxBatchSize: 4, batchWaitTimeoutMs: 60_000 })
  async add(items: Batch<number>): Promise<number[]> {
    return items.map(n => n + 1);
  }
}

@deployment({ actorOptions: { numCpus: 0.25 } })
@ingress()
export class Front {
  constructor(private doubler: DeploymentHandle<Doubler>, private summer: DeploymentHandle<Unbatched<Summer>>) {}
  @get('/double/:n')
  async double(input: { params: { n: string } }) {
    return { value: await this.doubler.double(Number(input.params.n)) };
  }
  @get('/add/:n')
  async add(input: { params: { n: string } }) {
    return { value: await this.summer.add(Number(input.params.n)) };
  }
}

/** A replica that can be taken down by a call, and counts its calls in a user metric. */
@deployment({ actorOptions: { numCpus: 0.25 } })
export class Fragile {
  readonly #calls = new Counter({ name: 'test_fragile_calls_total', help: 'calls of ok()', labelNames: ['kind'] });
  ok(): string {
    this.#calls.inc({ kind: 'ok' });
    return 'ok';
  }
  crash(): Promise<never> {
    setImmediate(() => {
      throw new Error('replica crashed on purpose');
    });
    return new Promise(() => {});
  }
}

/** Two deployments that define one user metric name in different ways (each thread accepts its own). */
@deployment({ actorOptions: { numCpus: 0.25 } })
export class ClashA {
  readonly #m = new Counter({ name: 'test_clash_metric', help: 'a counter here' });
  touch(): number {
    this.#m.inc();
    return 1;
  }
}

@deployment({ actorOptions: { numCpus: 0.25 } })
export class ClashB {
  readonly #m = new Gauge({ name: 'test_clash_metric', help: 'a gauge there', labelNames: ['x'] });
  touch(): number {
    this.#m.set({ x: 'y' }, 7);
    return 2;
  }
}

/** Holds a 1 MiB slot of the native pool (host memory here; a GPU's where the replica has one). */
@deployment({ actorOptions: { numCpus: 0.25 } })
export class Slotted {
  readonly #slot = acquireSlot({ device: 'host', bytes: 1 << 20 });
  bytes(): number {
    return this.#slot.bytes;
  }
}

/** Fails its health checks once told to: replaced after two failures in a row. */
@deployment({ actorOptions: { numCpus: 0.25 }, healthCheckPeriodMs: 20, healthCheckFailureThreshold: 2 })
export class Sickly {
  #sick = false;
  sicken(): void {
    this.#sick = true;
  }
  checkHealth(): void {
    if (this.#sick) throw new Error('told to be sick');
  }
}

/** One call at a time; a call runs until the caller cancels it. */
@deployment({ actorOptions: { numCpus: 0.25 }, maxOngoingRequests: 1 })
export class Holder {
  async hold(): Promise<string> {
    const signal = callContext()!.signal;
    await new Promise(resolve => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', resolve, { once: true })));
    return 'released';
  }
}
