// The deployment under test: GET / does `iterations` of CPU work (work.ts) and answers which replica and
// version served it. A replica is one worker thread, so throughput grows with replicas up to the cores.
// The options here are the ones every variant shares; server.ts adds numReplicas or autoscalingConfig.
import { deployment, get, ingress } from 'troupe';
import { spin } from './work.ts';

@deployment({ maxOngoingRequests: 8 })
@ingress({ title: 'autoscale bench', version: '1' })
export class Busy {
  readonly #iterations: number;
  readonly #version: string;

  constructor(iterations: number, version: string) {
    this.#iterations = iterations;
    this.#version = version;
  }

  @get('/')
  root(): string {
    return `${this.#version} ${spin(this.#iterations)}`;
  }
}
