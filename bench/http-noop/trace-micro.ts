// What the request and trace ids add per request, measured alone: the proxy's carrier (traceparent and request id),
// the access line with its trace id, and the call frame to the replica with the carrier in it.
// Usage: node --conditions=troupe-source --import tsx bench/http-noop/trace-micro.ts
import { accessLineBound, traceCarrier, writeAccessLine } from '../../src/observability/index.ts';
import { decodeMessages, encodeMessages } from '../../src/core/codec.ts';

function time(name: string, n: number, fn: (i: number) => unknown): void {
  for (let i = 0; i < n / 10; i++) fn(i);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  console.log(`${name}: ${best.toFixed(1)} ns (best of 5 x ${n})`);
}

time('traceCarrier, no traceparent (a new trace)', 1_000_000, i => traceCarrier(undefined, `a1b2c3d4-${i}`));
time('traceCarrier, a valid traceparent', 1_000_000, i => traceCarrier('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', `a1b2c3d4-${i}`));

const buf = Buffer.alloc(64 * 1024);
const entry = { time: '2026-01-02T03:04:05.678Z', requestId: 'a1b2c3d4-1', app: 'noop', deployment: 'noop/Noop', replica: 'noop/Noop#0', method: 'GET', path: '/', status: 200, latencyMs: 0.25 };
const traced = { ...entry, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' };
time('access line', 1_000_000, () => writeAccessLine(buf, 0, entry) + accessLineBound(entry));
time('access line with traceId', 1_000_000, () => writeAccessLine(buf, 0, traced) + accessLineBound(traced));

// As the proxy sends them: a frame of 16 calls, each for its own request.
const carriers = Array.from({ length: 16 }, (_, k) => traceCarrier(undefined, `a1b2c3d4-${k}`));
const plain = Array.from({ length: 16 }, (_, k) => ({ t: 'call', id: k, m: 'noop', a: [] }));
const withTrace = Array.from({ length: 16 }, (_, k) => ({ t: 'call', id: k, m: 'noop', a: [], tc: carriers[k] }));
time('encode 16 calls', 200_000, () => encodeMessages(plain, null));
time('encode 16 calls with carriers', 200_000, () => encodeMessages(withTrace, null));
const fp = encodeMessages(plain, null).frame;
const ft = encodeMessages(withTrace, null).frame;
time('decode 16 calls', 200_000, () => decodeMessages({ ...fp, bytes: fp.bytes.slice() }));
time('decode 16 calls with carriers', 200_000, () => decodeMessages({ ...ft, bytes: ft.bytes.slice() }));
