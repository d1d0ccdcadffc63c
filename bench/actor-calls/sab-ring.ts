// A single-producer single-consumer byte ring in a SharedArrayBuffer with an Atomics.waitAsync doorbell:
// the alternative to postMessage that transport.ts measures. Frames are length-prefixed; the writer
// rings the doorbell (Atomics.notify) only while the reader sleeps. Nothing waits synchronously.
const HEAD = 0, TAIL = 1, SEQ = 2, SLEEPING = 3;
// Node 20 has Atomics.waitAsync; TypeScript's lib for this project's target does not declare it.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync;
export class Ring {
  ctrl: Int32Array; data: Uint8Array; cap: number;
  constructor(readonly sab: SharedArrayBuffer) { this.ctrl = new Int32Array(sab, 0, 4); this.data = new Uint8Array(sab, 16); this.cap = this.data.length; }
  static create(cap: number) { return new Ring(new SharedArrayBuffer(16 + cap)); }
  write(bytes: Uint8Array): boolean {
    const head = Atomics.load(this.ctrl, HEAD), tail = this.ctrl[TAIL]!;
    const used = tail - head; const need = 4 + bytes.length;
    if (this.cap - used < need) return false;
    let pos = tail % this.cap;
    const len = bytes.length;
    const hdr = [len & 255, (len >> 8) & 255, (len >> 16) & 255, (len >>> 24) & 255];
    for (let i = 0; i < 4; i++) { this.data[pos] = hdr[i]!; pos = (pos + 1) % this.cap; }
    const first = Math.min(len, this.cap - pos);
    this.data.set(bytes.subarray(0, first), pos);
    if (first < len) this.data.set(bytes.subarray(first), 0);
    Atomics.store(this.ctrl, TAIL, tail + need);
    Atomics.add(this.ctrl, SEQ, 1);
    if (Atomics.load(this.ctrl, SLEEPING) === 1) Atomics.notify(this.ctrl, SEQ);
    return true;
  }
  read(): Uint8Array | undefined {
    const head = this.ctrl[HEAD]!, tail = Atomics.load(this.ctrl, TAIL);
    if (head === tail) return undefined;
    let pos = head % this.cap;
    let len = 0;
    for (let i = 0; i < 4; i++) { len |= this.data[pos]! << (8 * i); pos = (pos + 1) % this.cap; }
    const out = new Uint8Array(len);
    const first = Math.min(len, this.cap - pos);
    out.set(this.data.subarray(pos, pos + first));
    if (first < len) out.set(this.data.subarray(0, len - first), first);
    Atomics.store(this.ctrl, HEAD, head + 4 + len);
    return out;
  }
  /** Calls onFrame for every frame, forever; sleeps with waitAsync when empty. */
  async serve(onFrame: (b: Uint8Array) => void, stop: () => boolean) {
    for (;;) {
      let f;
      while ((f = this.read())) onFrame(f);
      if (stop()) return;
      const seq = Atomics.load(this.ctrl, SEQ);
      Atomics.store(this.ctrl, SLEEPING, 1);
      if (this.ctrl[HEAD] !== Atomics.load(this.ctrl, TAIL)) { Atomics.store(this.ctrl, SLEEPING, 0); continue; }
      const w = waitAsync(this.ctrl, SEQ, seq);
      if (w.async) await w.value;
      Atomics.store(this.ctrl, SLEEPING, 0);
    }
  }
}
