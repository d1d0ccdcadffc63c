// Three deployments for ongoing-check.ts: the same ~4 ms per request, done synchronously, after one await, or
// as an await of a timer (no CPU).
import { deployment, get, ingress } from '../../src/index.ts';
import { spin } from './work.ts';

@deployment({ maxOngoingRequests: 8 })
@ingress({ title: 'sync', version: '1' })
export class SyncWork {
  constructor(readonly iterations: number) {}
  @get('/')
  root(): number {
    return spin(this.iterations);
  }
}

@deployment({ maxOngoingRequests: 8 })
@ingress({ title: 'await, then work', version: '1' })
export class AwaitThenWork {
  constructor(readonly iterations: number) {}
  @get('/')
  async root(): Promise<number> {
    await new Promise((r) => setImmediate(r));
    return spin(this.iterations);
  }
}

@deployment({ maxOngoingRequests: 8 })
@ingress({ title: 'sleep', version: '1' })
export class Sleep {
  @get('/')
  async root(): Promise<string> {
    await new Promise((r) => setTimeout(r, 4));
    return 'ok';
  }
}
