// The application the replica-start bench starts: plain JavaScript, no decorators syntax, nothing to load.
import { actor, bind, deployment } from 'troupe';

export class Noop {
  ping() {
    return 'pong';
  }
}
deployment(Noop);

export class NoopActor {
  ping() {
    return 'pong';
  }
}
actor()(NoopActor);

export const app = bind(Noop);
