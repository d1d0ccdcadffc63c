// The actor on the far side of the call benchmark: a method that does nothing, so that what is measured
// is the runtime's own cost per call.
import { actor } from '../../src/index.ts';

@actor()
export class Noop {
  noop(): void {}
  echo<T>(value: T): T {
    return value;
  }
}
