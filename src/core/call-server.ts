// The actor's side of its links: runs calls on the instance, one sync call at a time and async calls
// interleaved up to maxConcurrency, streams async generators under the caller's credit, honours
// cancellation, and drains on stop.
import type { MessagePort } from 'node:worker_threads';
import { fromErrorRecord, toErrorRecord } from '../errors/index.ts';
import { FramedPort } from './framed-port.ts';
import { IdTable } from './id-table.ts';
import { noteModelIdServed, noteTraceServed, runInCallContext, type CallContext } from './call-context.ts';
import { isCarrier, traceInfo, type TraceInfo } from '../observability/index.ts';
import { CallSignal } from './call-signal.ts';
import { ActorDiedError, StreamMethodError, UnknownMethodError } from './errors.ts';
import { LIMIT_METHOD, LOAD_METHOD, loadReport, setLoadReporter } from './reserved-calls.ts';
import { recordReplicaCall, setThreadGauge, threadMetricsReport } from '../observability/index.ts';
import { heldSlotBytes } from '../native/index.ts';
import { STREAM_WINDOW, type CallMessage, type FromActor, type ToActor } from './protocol.ts';

/** One call being served: what cancellation and stream credit reach. */
class Running implements CallContext {
  #cancellation: CallSignal | undefined;
  #reason: unknown;
  cancelled = false;
  credit?: { n: number; wake?: () => void };

  constructor(readonly method: string, readonly actor: string, readonly modelId: string | undefined, readonly carrier: string | undefined) {}

  get trace(): TraceInfo | undefined {
    return this.carrier === undefined ? undefined : traceInfo(this.carrier);
  }

  get multiplexedModelId(): string {
    return this.modelId ?? '';
  }

  // Most calls never look at their cancellation, and fewer still need a whole AbortSignal (an AbortController
  // per call costs more than a small call on Node 20): both are made on first use.
  get signal(): AbortSignal {
    return this.cancellation.toAbortSignal();
  }

  get cancellation(): CallSignal {
    if (!this.#cancellation) {
      this.#cancellation = new CallSignal();
      if (this.cancelled) this.#cancellation.abort(this.#reason);
    }
    return this.#cancellation;
  }

  cancel(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.#reason = reason;
    this.#cancellation?.abort(reason);
  }
}

/** The calls waiting for a concurrency slot, first in first out; O(1) at both ends. */
class WaitQueue {
  #items: Array<(() => void) | undefined> = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(wake: () => void): void {
    this.#items.push(wake);
  }

  shift(): (() => void) | undefined {
    if (this.#head === this.#items.length) return undefined;
    const wake = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return wake;
  }
}

const isThenable = (value: any): value is PromiseLike<unknown> =>
  value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';

export function methodNames(instance: object): string[] {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || key === 'init') continue;
      const desc = Object.getOwnPropertyDescriptor(proto, key);
      if (desc && typeof desc.value === 'function') names.add(key);
    }
  }
  for (const key of Object.keys(instance)) if (typeof (instance as any)[key] === 'function') names.add(key);
  return [...names];
}

export class CallServer {
  #instance: any;
  #label: string;
  #maxConcurrency: number;
  #methods: string[];
  #active = 0;
  #waiting = new WaitQueue();
  #running = new Map<FramedPort<FromActor, ToActor>, IdTable<Running>>();
  #stopping = false;
  #drained: (() => void) | undefined;

  constructor(instance: object, label: string, maxConcurrency: number) {
    this.#instance = instance;
    this.#label = label;
    this.#maxConcurrency = maxConcurrency;
    this.#methods = methodNames(instance);
  }

  get methods(): string[] {
    return this.#methods;
  }

  /** Methods that are async generator functions: callers consume them as streams. */
  get streams(): string[] {
    return this.#methods.filter(m => this.#instance[m]?.constructor?.name === 'AsyncGeneratorFunction');
  }

  accept(port: MessagePort): void {
    const framed: FramedPort<FromActor, ToActor> = new FramedPort<FromActor, ToActor>(port, {
      message: m => this.#receive(framed, m),
      badFrame: () => {},
      sendFailed: (m, err) => {
        if (m.t === 'ok' || m.t === 'item') framed.send({ t: 'err', id: m.id, e: this.#tag(err) });
      },
    });
    this.#running.set(framed, new IdTable());
    port.on('close', () => {
      const calls = this.#running.get(framed);
      this.#running.delete(framed);
      for (const r of calls?.values() ?? []) r.cancel(new Error('caller went away'));
    });
    // Links never keep the worker alive by themselves; the main thread decides its lifetime.
    framed.unref();
  }

  /** Refuses new calls and resolves when every running call has finished. */
  stop(): Promise<void> {
    this.#stopping = true;
    if (this.#active === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise(resolve => (this.#drained = resolve));
  }

  #receive(port: FramedPort<FromActor, ToActor>, m: ToActor): void {
    const calls = this.#running.get(port);
    if (!calls) return;
    switch (m.t) {
      case 'call':
        this.#call(port, calls, m);
        return;
      case 'cancel':
        calls.get(m.id)?.cancel(new Error('cancelled by caller'));
        return;
      case 'credit': {
        const credit = calls.get(m.id)?.credit;
        if (credit) {
          credit.n += m.n;
          const wake = credit.wake;
          credit.wake = undefined;
          wake?.();
        }
        return;
      }
    }
  }

  #call(port: FramedPort<FromActor, ToActor>, calls: IdTable<Running>, m: CallMessage): void {
    if (m.m === LOAD_METHOD) {
      // Answered even while stopping and past maxConcurrency: it is how the controller sees a full replica.
      port.send({ t: 'ok', id: m.id, v: loadReport(this.#active + this.#waiting.length) });
      return;
    }
    if (m.m === LIMIT_METHOD) {
      this.#setLimit(m.a[0]);
      port.send({ t: 'ok', id: m.id, v: this.#maxConcurrency });
      return;
    }
    if (this.#stopping) {
      port.send({ t: 'err', id: m.id, e: new ActorDiedError(this.#label, 'it is stopping and takes no new calls', { delivered: false }) });
      return;
    }
    const fn = m.m === 'constructor' || m.m === 'init' ? undefined : this.#instance[m.m];
    if (typeof fn !== 'function') {
      port.send({ t: 'err', id: m.id, e: new UnknownMethodError(this.#label, m.m, this.#methods) });
      return;
    }
    const carrier = m.tc !== undefined && isCarrier(m.tc) ? m.tc : undefined;
    const running = new Running(m.m, this.#label, m.mm, carrier);
    if (m.mm !== undefined) noteModelIdServed();
    if (carrier !== undefined) noteTraceServed();
    if (m.s || this.#active >= this.#maxConcurrency || this.#waiting.length > 0) {
      void this.#runLater(port, calls, m, fn, running);
      return;
    }
    // Fast path: a free slot and a plain call. A method that returns a value (not a promise) is
    // answered in this same turn, without a promise or a microtask on the actor's side.
    this.#active++;
    const started = performance.now();
    let result: unknown;
    try {
      result = runInCallContext(running, () => fn.apply(this.#instance, m.a));
    } catch (err) {
      port.send({ t: 'err', id: m.id, e: this.#tag(err) });
      recordReplicaCall(m.m, 'error', started);
      this.#release();
      return;
    }
    if (!isThenable(result)) {
      port.send({ t: 'ok', id: m.id, v: result });
      recordReplicaCall(m.m, 'ok', started);
      this.#release();
      return;
    }
    calls.set(m.id, running);
    void this.#settle(port, calls, m.id, running, result, started);
  }

  async #settle(port: FramedPort<FromActor, ToActor>, calls: IdTable<Running>, id: number, running: Running, result: PromiseLike<unknown>, started: number): Promise<void> {
    let outcome: 'ok' | 'error' = 'ok';
    try {
      const value = await result;
      if (!running.cancelled) port.send({ t: 'ok', id, v: value });
    } catch (err) {
      outcome = 'error';
      if (!running.cancelled) port.send({ t: 'err', id, e: this.#tag(err) });
    } finally {
      calls.delete(id);
      recordReplicaCall(running.method, running.cancelled ? 'cancelled' : outcome, started);
      this.#release();
    }
  }

  /** Streams, and calls that wait for a concurrency slot. */
  async #runLater(port: FramedPort<FromActor, ToActor>, calls: IdTable<Running>, m: CallMessage, fn: Function, running: Running): Promise<void> {
    if (m.s) running.credit = { n: STREAM_WINDOW };
    calls.set(m.id, running);
    if (this.#active < this.#maxConcurrency && this.#waiting.length === 0) this.#active++;
    else await new Promise<void>(r => this.#waiting.push(r)); // #release hands this call its slot
    let started = 0;
    let outcome: 'ok' | 'error' = 'ok';
    try {
      if (running.cancelled) return;
      started = performance.now();
      const result = runInCallContext(running, () => fn.apply(this.#instance, m.a));
      if (m.s) await this.#stream(port, m.id, running, result);
      else {
        const value = await result;
        if (!running.cancelled) port.send({ t: 'ok', id: m.id, v: value });
      }
    } catch (err) {
      outcome = 'error';
      if (!running.cancelled) port.send({ t: 'err', id: m.id, e: this.#tag(err) });
    } finally {
      calls.delete(m.id);
      // A call cancelled before it ran never ran: only calls that started count as processed.
      if (started > 0) recordReplicaCall(m.m, running.cancelled ? 'cancelled' : outcome, started);
      this.#release();
    }
  }

  #setLimit(limit: unknown): void {
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) return;
    this.#maxConcurrency = limit;
    // A raised limit wakes as many waiting calls as it has new room for.
    while (this.#active < this.#maxConcurrency && this.#waiting.length > 0) {
      this.#active++;
      this.#waiting.shift()!();
    }
  }

  /**
   * Frees a concurrency slot. The next waiting call takes it over directly (the count stays), so that
   * a call arriving before the woken one runs cannot slip past the limit; else a stop() may complete.
   */
  #release(): void {
    // After a lowered limit, running calls finish without handing over until the count is under it again.
    const next = this.#active <= this.#maxConcurrency ? this.#waiting.shift() : undefined;
    if (next) {
      next();
      return;
    }
    this.#active--;
    if (this.#stopping && this.#active === 0) this.#drained?.();
  }

  async #stream(port: FramedPort<FromActor, ToActor>, id: number, running: Running, result: any): Promise<void> {
    const method = running.method;
    const iterable = result && typeof result[Symbol.asyncIterator] === 'function' ? result[Symbol.asyncIterator]()
      : result && typeof result[Symbol.iterator] === 'function' && typeof result !== 'string' ? result[Symbol.iterator]()
      : undefined;
    if (!iterable) throw new StreamMethodError(this.#label, method);
    const credit = running.credit!;
    const signal = running.signal;
    const onAbort = () => {
      credit.wake?.();
      void Promise.resolve(iterable.return?.()).catch(() => {});
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        while (credit.n <= 0 && !signal.aborted) await new Promise<void>(r => (credit.wake = r));
        if (signal.aborted) return;
        // A generator's body runs inside next(): give it the call's context there too.
        const step = await runInCallContext(running, () => iterable.next());
        if (signal.aborted) return;
        if (step.done) break;
        credit.n--;
        port.send({ t: 'item', id, v: step.value });
      }
      port.send({ t: 'end', id });
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The remote stack, marked with the actor it came from. */
  #tag(err: unknown): Error {
    return fromErrorRecord(toErrorRecord(err), `\n    at <actor ${this.#label}>`);
  }
}

// A replica's load report carries this thread's metrics: they reach /metrics with no message of their own.
setLoadReporter('metrics', threadMetricsReport);
setThreadGauge('gpuSlotBytes', heldSlotBytes);
