import { TroupeError, registerError } from '../errors/index.ts';

/** An actor's worker died (or was killed) while a call was in flight, or the actor is gone for good. */
export class ActorDiedError extends TroupeError {
  constructor(actor: string, reason: string, options: { cause?: unknown; delivered?: boolean } = {}) {
    super(
      'TROUPE_ERR_ACTOR_DIED',
      `actor ${actor} died: ${reason}. Calls in flight were not completed; spawn it again, or give it maxRestarts so the runtime restarts it.`,
      { cause: options.cause, details: { actor, reason, delivered: options.delivered ?? true } },
    );
  }
}
registerError('ActorDiedError', ActorDiedError);

export class UnknownMethodError extends TroupeError {
  constructor(actor: string, method: string, methods: readonly string[]) {
    super(
      'TROUPE_ERR_UNKNOWN_METHOD',
      `actor ${actor} has no method "${method}". Its methods are: ${methods.join(', ') || '(none)'}.`,
      { details: { actor, method, methods: [...methods] } },
    );
  }
}
registerError('UnknownMethodError', UnknownMethodError);

export class ModuleLoadError extends TroupeError {
  constructor(moduleUrl: string, exportName: string, reason: string, cause?: unknown) {
    super(
      'TROUPE_ERR_MODULE_LOAD',
      `cannot load export "${exportName}" from module ${moduleUrl}: ${reason}. Check the path and that the class or function is exported under that name.`,
      { cause, details: { module: moduleUrl, export: exportName } },
    );
  }
}
registerError('ModuleLoadError', ModuleLoadError);

export class UnserializableError extends TroupeError {
  constructor(where: string, what: string) {
    super(
      'TROUPE_ERR_UNSERIALIZABLE',
      `${where} is ${what}, which cannot cross to another thread. Pass plain data, typed arrays, or actor handles instead.`,
      { details: { where, what } },
    );
  }
}
registerError('UnserializableError', UnserializableError);

export class ActorLimitError extends TroupeError {
  constructor(limit: number) {
    super(
      'TROUPE_ERR_ACTOR_LIMIT',
      `cannot spawn another actor: the runtime already runs ${limit} (maxActors). Kill or stop actors you no longer need, or raise maxActors.`,
      { details: { limit } },
    );
  }
}
registerError('ActorLimitError', ActorLimitError);

export class ActorNameTakenError extends TroupeError {
  constructor(name: string) {
    super('TROUPE_ERR_ACTOR_NAME_TAKEN', `an actor named "${name}" already exists. Use getActor("${name}") to reach it, or pick another name.`, {
      details: { name },
    });
  }
}
registerError('ActorNameTakenError', ActorNameTakenError);

export class ActorNotFoundError extends TroupeError {
  constructor(name: string) {
    super('TROUPE_ERR_ACTOR_NOT_FOUND', `no live actor is named "${name}". Spawn it with { name: "${name}" } first.`, {
      details: { name },
    });
  }
}
registerError('ActorNotFoundError', ActorNotFoundError);

export class CancelledError extends TroupeError {
  constructor(what: string, reason?: unknown) {
    super('TROUPE_ERR_CANCELLED', `${what} was cancelled by its caller.`, { cause: reason });
  }
}
registerError('CancelledError', CancelledError);

export class RuntimeClosedError extends TroupeError {
  constructor() {
    super('TROUPE_ERR_RUNTIME_CLOSED', 'the troupe runtime has been shut down. Start a new one with new Runtime() before spawning or calling.');
  }
}
registerError('RuntimeClosedError', RuntimeClosedError);

export class UnlocatableClassError extends TroupeError {
  constructor(name: string) {
    super(
      'TROUPE_ERR_UNLOCATABLE',
      `cannot tell which module exports ${name}, so no worker thread can load it. Decorate it with @actor() (or @deployment()), or pass { module: import.meta.url } in the options.`,
      { details: { name } },
    );
  }
}
registerError('UnlocatableClassError', UnlocatableClassError);

/** A method called as a stream (handle.method.stream()) returned something that is not an async iterable. */
export class StreamMethodError extends TroupeError {
  constructor(actor: string, method: string) {
    super(
      'TROUPE_ERR_NOT_A_STREAM',
      `${actor}.${method} was called as a stream but did not return an async generator or iterable: make it an async generator (async *${method}), or call it without .stream().`,
      { details: { actor, method } },
    );
  }
}
registerError('StreamMethodError', StreamMethodError);
