import type { Writable } from 'node:stream';

export interface ProgressOptions {
  /** Where progress goes; stderr by default. */
  stream?: Writable & { isTTY?: boolean };
  /** Between lines when the stream is not a TTY, ms (a TTY redraws 4 times a second). */
  intervalMs?: number;
}

export interface ProgressSnapshot {
  label: string;
  elapsedMs: number;
  totalMs: number;
  done: number;
  count?: number;
  errors: number;
  p99Ms: number;
}

const BAR = 24;

/** A redrawn bar on a TTY, a plain line every few seconds otherwise. */
export class ProgressReporter {
  readonly #stream: Writable & { isTTY?: boolean };
  readonly #tty: boolean;
  readonly #timer: NodeJS.Timeout;
  #lastDone = 0;
  #lastAt = 0;
  #drawn = false;

  constructor(read: () => ProgressSnapshot, options: ProgressOptions = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#tty = this.#stream.isTTY === true;
    const every = this.#tty ? 250 : options.intervalMs ?? 5000;
    this.#timer = setInterval(() => this.#draw(read()), every);
    this.#timer.unref();
  }

  #draw(s: ProgressSnapshot): void {
    const rate = s.elapsedMs > this.#lastAt ? ((s.done - this.#lastDone) * 1000) / (s.elapsedMs - this.#lastAt) : 0;
    this.#lastDone = s.done;
    this.#lastAt = s.elapsedMs;
    const byTime = s.totalMs > 0 ? s.elapsedMs / s.totalMs : 0;
    const byCount = s.count ? s.done / s.count : 0;
    const frac = Math.min(1, Math.max(byTime, byCount));
    const filled = Math.round(frac * BAR);
    const text =
      `${s.label} [${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${Math.round(frac * 100)}% ` +
      `${(s.elapsedMs / 1000).toFixed(1)}s ${Math.round(rate)} req/s p99 ${s.p99Ms.toFixed(2)} ms errors ${s.errors}`;
    if (this.#tty) {
      this.#stream.write(`\r\x1b[2K${text}`);
      this.#drawn = true;
    } else {
      this.#stream.write(text + '\n');
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    if (this.#drawn) this.#stream.write('\r\x1b[2K');
  }
}
