// The deployment on the far side of the handle-call benchmark: a method that does nothing, so that what
// is measured is the handle's and the router's own cost per call; and the same through @batch, for what
// batching's queue adds per call.
import { batch, deployment, type Batch } from '../../src/index.ts';

@deployment({ name: 'NoopDeployment' })
export class NoopDeployment {
  noop(): void {}

  @batch({ maxBatchSize: 32, batchWaitTimeoutMs: 0.5 })
  async batchedNoop(items: Batch<number>): Promise<number[]> {
    return items;
  }
}
