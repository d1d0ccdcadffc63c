// The deployment on the far side of the handle-call benchmark: a method that does nothing, so that what
// is measured is the handle's and the router's own cost per call.
import { deployment } from '../../src/index.ts';

@deployment({ name: 'NoopDeployment' })
export class NoopDeployment {
  noop(): void {}
}
