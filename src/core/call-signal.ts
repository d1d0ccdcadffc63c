// The cancellation signal of one call (a handle call, an HTTP request's replica call). Every call needs one
// (cancel() must reach a call already sent), and an AbortController per call was the largest cost of a no-op
// handle call (bench/results/handle-calls.md). This class has only what the call path reads from a signal (aborted, reason, 'abort' listeners).

type Listener = (() => void) | { handleEvent(): void };

export class CallSignal {
  aborted = false;
  reason: unknown = undefined;
  #listeners: Listener[] | undefined;
  #real: AbortController | undefined;

  addEventListener(_type: 'abort', listener: Listener): void {
    if (!this.aborted) (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: Listener): void {
    const list = this.#listeners;
    const i = list ? list.indexOf(listener) : -1;
    if (i >= 0) list!.splice(i, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const list = this.#listeners;
    this.#listeners = undefined;
    if (list) for (const listener of list) typeof listener === 'function' ? listener() : listener.handleEvent();
  }

  /** This signal where an AbortSignal is expected: the call path reads nothing else from it. */
  asAbortSignal(): AbortSignal {
    return this as unknown as AbortSignal;
  }

  /** A real AbortSignal that aborts with this one, made on first use (for code that needs the whole API). */
  toAbortSignal(): AbortSignal {
    if (!this.#real) {
      const real = (this.#real = new AbortController());
      if (this.aborted) real.abort(this.reason);
      else this.addEventListener('abort', () => real.abort(this.reason));
    }
    return this.#real.signal;
  }

  /** Aborts this one when `signal` aborts; returns a function that stops listening. */
  follow(signal: AbortSignal): () => void {
    if (signal.aborted) {
      this.abort(signal.reason);
      return () => {};
    }
    const onAbort = () => this.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }
}
