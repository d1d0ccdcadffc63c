// The OCR angle classifier served from a model folder with `troupe serve-models` (the Open Inference Protocol,
// its own process), against raw ONNX Runtime in this process at its best batch size, in the same run:
//   raw      ORT on [n,3,48,192] batches, the best of the sweep's three best configurations in each round
//   binary   POST /v2/models/angle/infer with the binary tensor data extension (one crop, 110,592 bytes after
//            the JSON header; the probabilities back as binary), goal >= 90% of raw
//   json     the same request with the crop as a JSON array of 27,648 numbers, and JSON back
//   plain    (reference) bench/batching/http-app.ts:app, the same model behind a hand-written octet-stream route
//   plain-one-hop (reference) http-app.ts:single, that route's method itself @batch (proxy → model replica)
// Closed loop at --concurrency clients with the bench's own HTTP client (wrk when installed, for binary and plain).
// Rounds interleave every target, so load that comes and goes on a shared machine falls on all of them.
//
//   npm run bench -- v2-infer [--duration=40] [--rounds=4] [--concurrency=64] [--json-concurrency=16]
//                             [--replicas=2] [--batch=8] [--wait=2] [--warm-up=10] [--no-plain]
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatResult, runClosedLoop } from '../../src/cli/bench/index.ts';
import { ocrModelPaths, preprocessAnglesBatch } from '../../examples/ocr/index.ts';
import { benchCrops, measureRawAngleClassifier, type RawOrtRow } from '../ocr/raw-ort.ts';
import type { ScenarioContext } from '../lib/scenario-runner.ts';
import { startServerProcess, type RunningServer } from '../lib/server-process.ts';
import { TROUPE_NODE_FLAGS } from '../lib/troupe-node.ts';
import { haveWrk, wrkPost, type PostSlice } from '../lib/wrk.ts';

export const description = 'angle classifier through troupe serve-models (v2 infer, binary and JSON) against raw ORT at its best batch';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const num = (flag: string | boolean | undefined, fallback: number) => (typeof flag === 'string' ? Number(flag) : fallback);
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

interface Totals {
  name: string;
  concurrency: number;
  items: number;
  ms: number;
  p50: number[];
  p99: number[];
  errors: number;
}

interface HttpCase {
  name: string;
  concurrency: number;
  url: string;
  headers: Record<string, string>;
  body: (i: number) => Uint8Array;
  file?: string;
}

type Slice = PostSlice;

/** A v2 binary request: the JSON header, then the crop's float32 bytes (Triton's binary tensor data extension). */
function binaryRequest(crop: Float32Array): { body: Buffer; headerLength: number } {
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'x', shape: [1, 3, 48, 192], datatype: 'FP32', parameters: { binary_data_size: crop.byteLength } }],
    outputs: [{ name: 'softmax_0.tmp_0', parameters: { binary_data: true } }],
  }));
  return { body: Buffer.concat([header, Buffer.from(crop.buffer, crop.byteOffset, crop.byteLength)]), headerLength: header.byteLength };
}

function jsonRequest(crop: Float32Array): Buffer {
  return Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [1, 3, 48, 192], datatype: 'FP32', data: Array.from(crop) }] }));
}


const ROW_LABELS: Record<string, string> = {
  binary: 'v2 infer, binary tensors',
  json: 'v2 infer, JSON tensors',
  plain: 'reference: hand-written octet-stream route, ingress → @batch model deployment (as v2)',
  'plain-one-hop': 'reference: the same route, itself @batch on the model replicas (one hop fewer)',
};

export async function run(ctx: ScenarioContext): Promise<void> {
  const rounds = num(ctx.flags.rounds, ctx.quick ? 2 : 4);
  const concurrency = num(ctx.flags.concurrency, 64);
  const jsonConcurrency = num(ctx.flags['json-concurrency'], 16);
  const replicas = num(ctx.flags.replicas, 2);
  const maxBatch = num(ctx.flags.batch, 8);
  const wait = num(ctx.flags.wait, 2);
  const warmMs = num(ctx.flags['warm-up'], ctx.quick ? 3 : 10) * 1000;
  const plain = ctx.flags.plain !== false;
  const client = ctx.flags.wrk !== false && haveWrk() ? 'wrk' : 'troupe bench';
  const slice = Math.max(1000, Math.round(ctx.durationMs / rounds));
  const before = load();
  ctx.record('setup', { rounds, sliceMs: slice, concurrency, jsonConcurrency, replicas, maxBatch, batchWaitTimeoutMs: wait, client, loadBefore: before });

  const crops = await benchCrops();
  const batch = preprocessAnglesBatch(crops.slice(0, 16));
  const one = 3 * 48 * 192;
  const inputs = Array.from({ length: 16 }, (_, i) => (batch.data as Float32Array).slice(i * one, (i + 1) * one));

  // The model folder: angle/1/model.onnx and its config.yaml (replicas, batching).
  const dir = mkdtempSync(join(tmpdir(), 'troupe-v2-bench-'));
  mkdirSync(join(dir, 'angle', '1'), { recursive: true });
  symlinkSync(ocrModelPaths().angle, join(dir, 'angle', '1', 'model.onnx'));
  writeFileSync(join(dir, 'angle', 'config.yaml'), `numReplicas: ${replicas}\nmaxBatchSize: ${maxBatch}\nbatchWaitTimeoutMs: ${wait}\nnumCpus: 1\n`);
  const servers: { name: string; server: RunningServer }[] = [];
  try {
    ctx.log(`== raw ORT angle classifier by batch size (load ${before})`);
    const sweep = await measureRawAngleClassifier({ batchSizes: [1, 2, 4, 8, 16, 32], threads: [1, 2], secondsPerSize: 1, crops });
    const best = [...sweep].sort((a, b) => b.itemsPerSecond - a.itemsPerSecond).slice(0, 3);
    ctx.record('sweep', sweep);
    ctx.log(`raw sweep best: ${best.map((b) => `batch ${b.batchSize} x ${b.threads} thread(s) ${b.itemsPerSecond.toFixed(0)}/s`).join(', ')}`);

    const node = [...TROUPE_NODE_FLAGS, join(root, 'bin', 'troupe.js')];
    ctx.log(`starting troupe serve-models ${dir} (angle: ${replicas} replica(s), @batch ${maxBatch}, ${wait} ms)`);
    servers.push({ name: 'v2', server: await startServerProcess(process.execPath, [...node, 'serve-models', dir, '--port', '0', '--no-admin'], { cwd: root, readyTimeoutMs: 120_000, killAfterMs: 15_000 }) });
    if (plain) {
      // Two references: `app` has v2's shape (an ingress replica calling the model's deployment), `single` is one
      // hop fewer (the route method itself is @batch on the model's replicas): what the extra hop costs.
      for (const exp of ['app', 'single'] as const) {
        ctx.log(`starting troupe run bench/batching/http-app.ts:${exp} (reference: a hand-written octet-stream route)`);
        servers.push({
          name: exp === 'app' ? 'plain' : 'plain-one-hop',
          server: await startServerProcess(process.execPath, [...node, 'run', `bench/batching/http-app.ts:${exp}`, '--port', '0', '--no-admin'], {
            cwd: root, readyTimeoutMs: 120_000, killAfterMs: 15_000,
            env: { CLS_MAX_BATCH: String(maxBatch), CLS_WAIT_MS: String(wait), CLS_THREADS: '1', CLS_REPLICAS: String(replicas) },
          }),
        });
      }
    }
    const v2 = servers[0]!.server.url;
    const binaries = inputs.map(binaryRequest);
    const jsons = inputs.map(jsonRequest);
    const bodyDir = mkdtempSync(join(tmpdir(), 'troupe-v2-body-'));
    writeFileSync(join(bodyDir, 'binary'), binaries[0]!.body);
    writeFileSync(join(bodyDir, 'plain'), Buffer.from(inputs[0]!.buffer));

    // The server's answers match ORT's before anything is timed.
    const res = await fetch(`${v2}/v2/models/angle/infer`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(binaries[0]!.headerLength) }, body: binaries[0]!.body });
    const bytes = Buffer.from(await res.arrayBuffer());
    const headerLength = Number(res.headers.get('inference-header-content-length'));
    const probs = new Float32Array(Uint8Array.prototype.slice.call(bytes.subarray(headerLength)).buffer);
    const viaJson = (await (await fetch(`${v2}/v2/models/angle/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: jsons[0]! })).json()) as { outputs: { data: number[] }[] };
    ctx.log(`v2 answers: binary [${[...probs].map((p) => p.toFixed(4))}], JSON [${viaJson.outputs[0]!.data.map((p) => p.toFixed(4))}]`);
    if (res.status !== 200 || probs.length !== 2 || Math.abs(probs[0]! - viaJson.outputs[0]!.data[0]!) > 1e-5) throw new Error(`the v2 server's answers are wrong: ${bytes.subarray(0, 300).toString()}`);

    const targets: HttpCase[] = [
      { name: 'binary', concurrency, url: `${v2}/v2/models/angle/infer`, headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(binaries[0]!.headerLength) }, body: (i: number) => binaries[i % binaries.length]!.body, file: join(bodyDir, 'binary') },
      { name: 'json', concurrency: jsonConcurrency, url: `${v2}/v2/models/angle/infer`, headers: { 'content-type': 'application/json' }, body: (i: number) => jsons[i % jsons.length]!, file: undefined },
      ...servers.slice(1).map((s) => ({ name: s.name, concurrency, url: `${s.server.url}/classify`, headers: { 'content-type': 'application/octet-stream' }, body: (i: number) => Buffer.from(inputs[i % inputs.length]!.buffer), file: join(bodyDir, 'plain') })),
    ];
    const measure = async (t: HttpCase, ms: number, label: string): Promise<Slice> => {
      if (client === 'wrk' && t.file) return wrkPost(t.url, t.file, t.headers, t.concurrency, ms);
      const r = await runClosedLoop({ target: { url: t.url, method: 'POST', headers: t.headers, body: t.body }, concurrency: t.concurrency, durationMs: ms, progress: false, label });
      return { ok: r.ok, durationMs: r.durationMs, p50: r.latencyMs.p50, p99: r.latencyMs.p99, errors: r.errorCount, text: formatResult(r) };
    };
    for (const t of targets) await measure(t, warmMs, `warm-up ${t.name}`);

    const raw: Totals = { name: 'raw', concurrency: 0, items: 0, ms: 0, p50: [], p99: [], errors: 0 };
    const totals: Totals[] = targets.map((t) => ({ name: t.name, concurrency: t.concurrency, items: 0, ms: 0, p50: [], p99: [], errors: 0 }));
    const won: Record<string, number> = {};
    for (let round = 1; round <= rounds; round++) {
      let r: RawOrtRow | undefined;
      for (const b of best) {
        const [row] = await measureRawAngleClassifier({ batchSizes: [b.batchSize], threads: [b.threads], secondsPerSize: slice / 1000, crops });
        if (!r || row!.itemsPerSecond > r.itemsPerSecond) r = row!;
      }
      const key = `batch ${r!.batchSize} x ${r!.threads} thread${r!.threads === 1 ? '' : 's'}`;
      won[key] = (won[key] ?? 0) + 1;
      raw.items += r!.runs * r!.batchSize;
      raw.ms += r!.runs * r!.msPerRun;
      for (const [i, t] of targets.entries()) {
        const s = await measure(t, slice, `${t.name} round ${round}`);
        const sum = totals[i]!;
        sum.items += s.ok;
        sum.ms += s.durationMs;
        sum.p50.push(s.p50);
        sum.p99.push(s.p99);
        sum.errors += s.errors;
        ctx.log(`round ${round}: ${t.name}: ${s.text} | raw ${r!.itemsPerSecond.toFixed(0)} items/s (${key})`);
      }
    }
    const rate = (t: Totals) => (t.items * 1000) / t.ms;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const rows = totals.map((t) => ({ target: t.name, clients: t.concurrency, itemsPerSecond: rate(t), vsRaw: rate(t) / rate(raw), p50: median(t.p50), p99: Math.max(...t.p99), errors: t.errors }));
    const report = { raw: { itemsPerSecond: rate(raw), roundsWon: won }, rows, client, rounds, sliceMs: slice, load: { before, after: load() } };
    ctx.record('report', report);
    const lines = [
      '| target | clients | items/s | vs raw ORT best (goal >= 90% for binary) | p50 ms (median of rounds) | p99 ms (worst round) | errors |',
      '|---|---:|---:|---:|---:|---:|---:|',
      `| raw ORT in-process, the best of ${Object.entries(won).map(([k, n]) => `${k} (${n} round${n === 1 ? '' : 's'})`).join(', ')} | – | ${rate(raw).toFixed(0)} | 100% | | | |`,
      ...rows.map((r) => `| ${ROW_LABELS[r.target] ?? r.target} | ${r.clients} | ${r.itemsPerSecond.toFixed(0)} | ${(100 * r.vsRaw).toFixed(0)}% | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`),
      '',
      `${rounds} interleaved rounds of ${slice / 1000} s; HTTP load from ${client}. Model deployment: ${replicas} replica(s), one ORT thread each, @batch(${maxBatch}, ${wait} ms). Load average before: ${before}; after: ${report.load.after}.`,
    ];
    ctx.log(lines.join('\n'));
    writeFileSync(join(ctx.outDir, 'summary.md'), lines.join('\n') + '\n');
    rmSync(bodyDir, { recursive: true, force: true });
  } finally {
    await Promise.all(servers.map((s) => s.server.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}
