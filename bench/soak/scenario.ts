// Soak with faults: the OCR application at 70% of the capacity measured first, for --minutes (default 10), with
// a replica's thread killed every minute and a burst of 50 bad 8 MB bodies every 2 minutes (--rate=N: that rate
// instead of 70% of the measured capacity). Per minute: RSS and
// main-thread heap, p50/p99 of the good requests, errors by kind. Writes bench/out/soak/{results.json,
// summary.md, soak.svg, soak.png}.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioContext } from '../lib/scenario-runner.ts';
import { benchImages } from '../ocr/images.ts';
import { startSoakServer, type Memory, type SoakServer } from './child.ts';
import { renderSoakChart, type MinuteRow } from './chart.ts';

export const description = 'OCR at 70% of its capacity for --minutes (default 10): a replica killed every minute, 50 bad 8 MB bodies every 2 minutes; RSS, heap, p50/p99, errors per minute';

// The deployments a kill rotates through (the ingress too: its in-flight requests fail like any other's).
const VICTIMS = ['Detector', 'Recognizer', 'AngleClassifier', 'Api'];
const BAD_BODIES = 50;
const BAD_BYTES = 8 * 1024 * 1024;
/** Requests the open-loop client lets be outstanding before it counts the next as not sent. */
const MAX_OUTSTANDING = 256;

interface Minute {
  latencies: number[];
  ok: number;
  errors: Record<string, number>;
  memory?: Memory;
  kills: string[];
  badBodies: Record<string, number>;
}

export async function run(ctx: ScenarioContext): Promise<void> {
  const minutes = Number(ctx.flags.minutes ?? 10);
  if (!(minutes >= 1 && minutes <= 60)) throw new Error(`--minutes must be 1..60, got ${String(ctx.flags.minutes)}`);
  const images = await benchImages();
  const server = await startSoakServer();
  try {
    await soak(ctx, server, images.map((i) => i.bytes), minutes);
  } finally {
    await server.stop();
  }
}

async function post(url: string, body: Uint8Array): Promise<{ status: number; code: string }> {
  try {
    const res = await fetch(`${url}/ocr`, { method: 'POST', headers: { 'content-type': 'image/png' }, body });
    const text = await res.text();
    if (res.status === 200) return { status: 200, code: '' };
    const code = /"code":"(TROUPE_ERR_\w+)"/.exec(text)?.[1] ?? 'no code';
    return { status: res.status, code: `${res.status} ${code}` };
  } catch (err) {
    return { status: 0, code: `client: ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}` };
  }
}

/** Closed loop at a few concurrencies for `ms` each: the best requests/s is the capacity. */
async function capacity(ctx: ScenarioContext, url: string, images: Uint8Array[], ms: number): Promise<number> {
  let best = 0;
  for (const concurrency of [2, 4, 8]) {
    let done = 0;
    const end = performance.now() + ms;
    await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
      for (let i = w; performance.now() < end; i += concurrency) {
        if ((await post(url, images[i % images.length]!)).status === 200) done++;
      }
    }));
    const rps = done / (ms / 1000);
    ctx.log(`capacity: concurrency ${concurrency}: ${rps.toFixed(1)} requests/s`);
    best = Math.max(best, rps);
  }
  return best;
}

async function soak(ctx: ScenarioContext, server: SoakServer, images: Uint8Array[], minutes: number): Promise<void> {
  const { url } = server;
  // --rate=N skips the capacity measurement (a functional check at a light load, or a rerun at a known rate).
  const given = Number(ctx.flags.rate);
  let cap = given / 0.7;
  if (!(given > 0)) {
    ctx.log(`warming up the OCR server at ${url} (scales up under load)`);
    await capacity(ctx, url, images, ctx.quick ? 3000 : 10_000);
    cap = await capacity(ctx, url, images, ctx.quick ? 5000 : 15_000);
  }
  const rate = 0.7 * cap;
  ctx.log(`capacity ${cap.toFixed(1)} requests/s; soaking at ${rate.toFixed(1)} requests/s for ${minutes} min`);
  const rows: Minute[] = Array.from({ length: minutes }, () => ({ latencies: [], ok: 0, errors: {}, kills: [], badBodies: {} }));
  const start = performance.now();
  const minuteOf = (t: number) => Math.min(minutes - 1, Math.floor((t - start) / 60_000));
  const endAt = start + minutes * 60_000;
  let outstanding = 0;
  let sent = 0;
  const inflight: Promise<void>[] = [];
  const badBody = randomBytes(BAD_BYTES);

  // Faults: a kill 30 s into every minute, bad bodies 45 s into every second minute.
  const faults = (async () => {
    for (let m = 0; m < minutes; m++) {
      await until(start + m * 60_000 + 30_000, endAt);
      if (performance.now() >= endAt) return;
      const victim = VICTIMS[m % VICTIMS.length]!;
      rows[m]!.kills.push(await server.kill(victim));
      if (m % 2 === 1) {
        await until(start + m * 60_000 + 45_000, endAt);
        const codes = await Promise.all(Array.from({ length: BAD_BODIES }, () => post(url, badBody)));
        for (const c of codes) rows[m]!.badBodies[c.code || '200'] = (rows[m]!.badBodies[c.code || '200'] ?? 0) + 1;
      }
    }
  })();
  // Memory 55 s into every minute.
  const sampler = (async () => {
    for (let m = 0; m < minutes; m++) {
      await until(start + m * 60_000 + 55_000, endAt + 1);
      rows[m]!.memory = await server.memory();
      const r = rows[m]!;
      ctx.log(`minute ${m + 1}: rss ${mb(r.memory!.rss)} MB, heap ${mb(r.memory!.heapUsed)} MB, ok ${r.ok}, errors ${JSON.stringify(r.errors)}, kills ${r.kills.join(' ')}, bad bodies ${JSON.stringify(r.badBodies)}`);
    }
  })();
  // Open loop: requests at a fixed rate, whatever the answers do.
  const gap = 1000 / rate;
  for (let next = start; next < endAt; next += gap) {
    await until(next, endAt);
    const m = minuteOf(performance.now());
    if (outstanding >= MAX_OUTSTANDING) {
      rows[m]!.errors['client: not sent, too many outstanding'] = (rows[m]!.errors['client: not sent, too many outstanding'] ?? 0) + 1;
      continue;
    }
    outstanding++;
    const body = images[sent++ % images.length]!;
    const t0 = performance.now();
    const p = post(url, body).then((r) => {
      outstanding--;
      const row = rows[minuteOf(t0)]!;
      if (r.status === 200) {
        row.ok++;
        row.latencies.push(performance.now() - t0);
      } else {
        row.errors[r.code] = (row.errors[r.code] ?? 0) + 1;
      }
    });
    inflight.push(p);
    if (inflight.length > 4096) inflight.splice(0, 2048);
  }
  await Promise.all([faults, sampler, ...inflight]);

  const table: MinuteRow[] = rows.map((r, i) => {
    const sorted = r.latencies.sort((a, b) => a - b);
    const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0);
    return {
      minute: i + 1, rssMb: mb(r.memory?.rss ?? 0), heapMb: mb(r.memory?.heapUsed ?? 0), ok: r.ok, p50: q(0.5), p99: q(0.99),
      errors: r.errors, kills: r.kills, badBodies: r.badBodies,
    };
  });
  const goals = judge(table);
  const measured = !(given > 0);
  ctx.record('soak', { capacity: measured ? cap : undefined, rate, minutes, table, goals });
  writeFileSync(join(ctx.outDir, 'summary.md'), summary(measured ? cap : undefined, rate, table, goals));
  const load = measured ? `${rate.toFixed(1)} requests/s (70% of ${cap.toFixed(1)})` : `${rate.toFixed(1)} requests/s (--rate)`;
  const svg = renderSoakChart(table, `OCR soak: ${load}, a replica killed every minute, ${BAD_BODIES} bad 8 MB bodies every 2 minutes`);
  writeFileSync(join(ctx.outDir, 'soak.svg'), svg);
  try {
    const { default: sharp } = await import('sharp');
    await sharp(Buffer.from(svg), { density: 96 }).png().toFile(join(ctx.outDir, 'soak.png'));
  } catch (err) {
    ctx.log(`soak.png skipped: ${(err as Error).message}`);
  }
  ctx.log(summary(measured ? cap : undefined, rate, table, goals));
}

function until(t: number, cap: number): Promise<void> {
  const ms = Math.min(t, cap) - performance.now();
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

const mb = (n: number) => Math.round(n / 1048576);

interface Goals {
  failedOutsideKills: number;
  rssEndVsMinute2: number;
  p99EndVsMinute2: number;
}

/** The goals: failures other than calls on a killed replica; RSS and p99 at the end against minute 2. */
function judge(table: MinuteRow[]): Goals {
  const failed = table.reduce((n, r) => n + Object.entries(r.errors).filter(([k]) => !/REPLICA_DIED/.test(k)).reduce((a, [, v]) => a + v, 0), 0);
  const ref = table[Math.min(1, table.length - 1)]!;
  const last = table.at(-1)!;
  return { failedOutsideKills: failed, rssEndVsMinute2: last.rssMb / Math.max(1, ref.rssMb), p99EndVsMinute2: last.p99 / Math.max(1, ref.p99) };
}

function summary(cap: number | undefined, rate: number, table: MinuteRow[], goals: Goals): string {
  const lines = [
    cap === undefined
      ? `offered ${rate.toFixed(1)} requests/s (--rate; capacity not measured)`
      : `capacity ${cap.toFixed(1)} requests/s (closed loop, best of concurrency 2/4/8); offered ${rate.toFixed(1)} requests/s (70%)`,
    '',
    '| minute | RSS MB | main heap MB | ok | p50 ms | p99 ms | errors | replica killed | bad bodies |',
    '|---|---|---|---|---|---|---|---|---|',
    ...table.map((r) => `| ${r.minute} | ${r.rssMb} | ${r.heapMb} | ${r.ok} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${fmt(r.errors)} | ${r.kills.join(', ') || '-'} | ${fmt(r.badBodies)} |`),
    '',
    `- failed requests other than REPLICA_DIED (in flight on a killed replica): ${goals.failedOutsideKills} (goal 0)`,
    `- RSS at the end / minute 2: ${goals.rssEndVsMinute2.toFixed(2)} (goal within 1.10)`,
    `- p99 at the end / minute 2: ${goals.p99EndVsMinute2.toFixed(2)} (goal at most 1.5)`,
  ];
  return lines.join('\n') + '\n';
}

const fmt = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k}: ${v}`).join(', ') || '-';
