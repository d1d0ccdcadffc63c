import { ActorNotFoundError } from './errors.ts';
import { makeHandle, type ActorHandle } from './handle.ts';
import { threadContext } from './thread-context.ts';

/** A handle to a named actor, from the main thread or from inside an actor. */
export async function getActor<T = any>(name: string): Promise<ActorHandle<T>> {
  const context = threadContext();
  if (!context) throw new ActorNotFoundError(name);
  return makeHandle<T>(await context.lookup(name));
}
