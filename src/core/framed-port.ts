// A MessagePort that carries framed batches of messages (codec.ts: compact frames, or msgpackr).
// Messages sent in the same turn of the event loop are packed into one frame and posted once: under
// load this turns thousands of postMessage calls into a few.
import type { MessagePort } from 'node:worker_threads';
import { decodeMessages, encodeMessages, type Frame } from './codec.ts';
import type { ObjectStore } from '../store/index.ts';

/** Frames up to this size are copied by postMessage; larger ones have their buffer transferred. */
const COPY_BELOW = 64 * 1024;

/** Ports of this thread with messages waiting for the end of the turn (see flushFrames). */
const waiting = new Set<FramedPort<unknown, unknown>>();

/**
 * Posts now what every port of this thread has queued in this turn, instead of at its end. A caller that
 * sends many messages in one turn and is itself the bottleneck (the HTTP proxy dispatching a turn's requests)
 * calls it every few messages, so the receivers start on the first ones while it sends the rest and its wait
 * for replies is filled. Everyone else keeps one frame per turn, which is cheaper for plain actor calls.
 */
export function flushFrames(): void {
  for (const port of waiting) port.flushNow();
}

export class FramedPort<Out, In> {
  #port: MessagePort;
  #queue: Out[] = [];
  #scheduled = false;
  #closed = false;
  #sentBatches = 0;

  #onSendFailed: (message: Out, err: unknown) => void;
  /** Where large typed arrays go (the peer's runtime's object store); undefined: this worker thread's store. */
  #store: ObjectStore | null | undefined;

  constructor(
    port: MessagePort,
    handlers: { message(message: In): void; badFrame(err: unknown): void; sendFailed(message: Out, err: unknown): void },
    store?: ObjectStore | null,
  ) {
    this.#port = port;
    this.#store = store;
    this.#onSendFailed = handlers.sendFailed;
    const { message: onMessage, badFrame: onBadFrame } = handlers;
    port.on('message', (data: Uint8Array | Frame) => {
      let messages: In[];
      try {
        messages = decodeMessages(data instanceof Uint8Array ? { bytes: data } : data) as In[];
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
      waiting.add(this as FramedPort<unknown, unknown>);
      queueMicrotask(this.#flush);
    }
  }

  #flush = (): void => {
    this.#scheduled = false;
    waiting.delete(this as FramedPort<unknown, unknown>);
    if (this.#closed || this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#sentBatches++;
    try {
      this.#post(batch);
    } catch {
      // One message could not be encoded: send the others alone so that only its own call fails.
      for (const message of batch) {
        try {
          this.#post([message]);
        } catch (err) {
          this.#onSendFailed(message, err);
        }
      }
    }
  };

  #post(batch: Out[]): void {
    const { frame, transferList } = encodeMessages(batch as object[], this.#store);
    // A frame without transferred values goes as its bare bytes (no wrapper object to serialize), and
    // a small one is copied, which is cheaper than detaching and re-attaching its ArrayBuffer.
    if (frame.attachments) this.#port.postMessage(frame, transferList as any);
    else if (frame.bytes.byteLength <= COPY_BELOW) this.#port.postMessage(frame.bytes);
    else this.#port.postMessage(frame.bytes, [frame.bytes.buffer as ArrayBuffer]);
  }

  /** How many batches have been handed to postMessage: a message sent while this was n is delivered once it exceeds n. */
  get sentBatches(): number {
    return this.#sentBatches;
  }

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
    waiting.delete(this as FramedPort<unknown, unknown>);
    this.#queue = [];
    this.#port.close();
  }
}
