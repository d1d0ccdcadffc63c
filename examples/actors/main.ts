// The programmatic actor API in one file: actors (stateful, one thread each), typed handles, named actors,
// streams, cancellation, supervision, and stateless tasks. Run: node --import tsx examples/actors/main.ts
// Every actor's thread imports this module to find its class; there the top-level code below stops at
// `new Runtime()` and spawns nothing (README, "Troubleshooting").
import { ActorDiedError, CancelledError, Runtime, actor, callActor, callContext, getActor, remote, type ActorHandle } from '../../src/index.ts';

@actor()
export class Counter {
  #count: number;
  constructor(start: number) {
    this.#count = start;
  }
  add(n: number): number {
    return (this.#count += n);
  }
  /** An async generator method streams: the caller iterates it with for await. */
  async *countdown(from: number): AsyncGenerator<number> {
    for (let i = from; i > 0; i--) yield i;
  }
  /** Runs until its caller cancels: callContext().signal is the call's cancellation. */
  async waitForCancel(): Promise<string> {
    const signal = callContext()!.signal;
    await new Promise(resolve => signal.addEventListener('abort', resolve, { once: true }));
    return 'cancelled';
  }
  crash(): void {
    process.exit(1); // ends this actor's thread only
  }
}

/** An actor that holds a handle to another: handles cross threads like any argument. */
@actor()
export class Ledger {
  constructor(private counter: ActorHandle<Counter>) {}
  async deposit(n: number): Promise<number> {
    return this.counter.add(n);
  }
  /** getActor(name) works inside actors too. */
  async balance(): Promise<number> {
    return (await getActor<Counter>('counter')).add(0);
  }
}

/** A stateless task: runs on the runtime's pool of threads. */
export const square = remote(function square(x: number): number {
  return x * x;
});

const runtime = new Runtime({ taskThreads: 2 });
try {
  const counter = await runtime.spawn(Counter, [10], { name: 'counter', maxRestarts: 1 });
  console.log('add:', await counter.add(5));

  const ledger = await runtime.spawn(Ledger, [counter]);
  console.log('deposit through another actor:', await ledger.deposit(5));
  console.log('balance by name:', await ledger.balance(), await runtime.getActor<Counter>('counter').add(0));

  const ticks: number[] = [];
  for await (const tick of counter.countdown(3)) ticks.push(tick);
  console.log('stream:', ticks.join(' '));

  console.log('tasks:', (await Promise.all([1, 2, 3].map(x => runtime.runTask(square, [x])))).join(' '));

  const controller = new AbortController();
  const waiting = callActor(counter, 'waitForCancel', [], { signal: controller.signal });
  controller.abort();
  await waiting.catch((err: unknown) => console.log('cancelled:', err instanceof CancelledError));

  await counter.crash().catch((err: unknown) => console.log('died:', err instanceof ActorDiedError));
  // maxRestarts: 1 brought a fresh instance, built from the same constructor arguments.
  console.log('after restart:', await counter.add(1), 'restarts:', runtime.actors().find(a => a.name === 'counter')?.restarts);
} finally {
  await runtime.shutdown();
}
