// The application the dashboard test serves: an ingress calling a deployment of two replicas.
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
