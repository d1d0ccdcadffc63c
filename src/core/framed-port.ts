// A MessagePort that carries msgpackr frames. Messages sent in the same turn of the event loop are
// packed into one frame and posted once: under load this turns thousands of postMessage calls into a few.
import type { MessagePort } from 'node:worker_threads';
import { decode, encode, type Frame } from './codec.ts';

export class FramedPort<Out, In> {
  #port: MessagePort;
  #queue: Out[] = [];
  #scheduled = false;
  #closed = false;

  #onSendFailed: (message: Out, err: unknown) => void;

  constructor(
    port: MessagePort,
    handlers: { message(message: In): void; badFrame(err: unknown): void; sendFailed(message: Out, err: unknown): void },
  ) {
    this.#port = port;
    this.#onSendFailed = handlers.sendFailed;
    const { message: onMessage, badFrame: onBadFrame } = handlers;
    port.on('message', (frame: Frame) => {
      let messages: In[];
      try {
        messages = decode(frame) as In[];
      } catch (err) {
        onBadFrame(err);
        return;
      }
      for (const message of messages) onMessage(message);
    });
  }

  /** Queues a message; one that cannot be encoded is reported to sendFailed. */
  send(message: Out): void {
    if (this.#closed) return;
    this.#queue.push(message);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
  }

  #flush = (): void => {
    this.#scheduled = false;
    if (this.#closed || this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    try {
      const { frame, transferList } = encode(batch);
      this.#port.postMessage(frame, transferList as any);
    } catch {
      // One message could not be encoded: send the others alone so that only its own call fails.
      for (const message of batch) {
        try {
          const { frame, transferList } = encode([message]);
          this.#port.postMessage(frame, transferList as any);
        } catch (err) {
          this.#onSendFailed(message, err);
        }
      }
    }
  };

  flushNow(): void {
    this.#flush();
  }

  unref(): void {
    this.#port.unref();
  }

  ref(): void {
    this.#port.ref();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#port.close();
  }
}
