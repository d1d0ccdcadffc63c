// The applications the dashboard test serves: an ingress calling a deployment of two replicas, and one that
// breaks on request.
import { existsSync } from 'node:fs';
import { deployment, get, ingress, type DeploymentHandle } from '../../src/index.ts';

@deployment({ numReplicas: 2, actorOptions: { numCpus: 0.25 } })
export class Worker {
  work(n: number): number {
    console.log(`working on ${n}`);
    return n * 2;
  }
}

@deployment({ actorOptions: { numCpus: 0.25 } })
@ingress()
export class Front {
  constructor(private worker: DeploymentHandle<Worker>) {}

  @get('/work/:n')
  async work({ params }: { params: { n: string } }) {
    return { doubled: await this.worker.work(Number(params.n)) };
  }
}

/** Serves until told to crash; a replica started while the flag file exists fails in its constructor. */
@deployment({ actorOptions: { numCpus: 0.25 } })
@ingress()
export class Fragile {
  constructor(flag: string) {
    if (existsSync(flag)) throw new Error(`cannot load the model: ${flag} says it is broken`);
  }

  @get('/crash')
  crash(): Promise<never> {
    setImmediate(() => {
      throw new Error('replica crashed on purpose');
    });
    return new Promise(() => {});
  }
}
