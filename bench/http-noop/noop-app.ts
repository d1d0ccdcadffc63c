// The troupe side of the no-op benchmark: an @ingress deployment whose GET / does nothing.
import { deployment, get, ingress } from '../../src/index.ts';

@deployment({ maxOngoingRequests: 1000, maxQueuedRequests: 10_000 })
@ingress({ title: 'no-op', version: '1' })
export class Noop {
  @get('/')
  root(): string {
    return 'ok';
  }
}

/** The same route with no deployment options at all: what a new user gets (issue 22's defaults row). */
@deployment()
@ingress({ title: 'no-op, default options', version: '1' })
export class NoopDefaults {
  @get('/')
  root(): string {
    return 'ok';
  }
}
