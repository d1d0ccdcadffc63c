import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WrkResult {
  tool: 'wrk';
  url: string;
  connections: number;
  threads: number;
  durationS: number;
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  requests: number;
  /** Non-2xx/3xx replies and socket errors, as wrk reports them. */
  errors: Record<string, number>;
  command: string;
}

let found: boolean | undefined;

/** Whether `wrk` is on PATH (Debian package `wrk`). */
export function haveWrk(): boolean {
  if (found === undefined) {
    try {
      execFileSync('wrk', ['--version'], { stdio: 'ignore' });
      found = true;
    } catch (err) {
      // wrk --version exits 1 after printing its version.
      found = (err as { status?: number }).status === 1;
    }
  }
  return found;
}

/** Runs wrk with --latency and reads its report. */
export function runWrk(url: string, { connections = 64, threads = 1, durationS = 5 } = {}): Promise<WrkResult> {
  const args = [`-t${threads}`, `-c${connections}`, `-d${durationS}s`, '--latency', url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (durationS + 30) * 1000 }, (err, stdout) => {
      if (err) return reject(new Error(`wrk ${args.join(' ')} failed: ${err.message}\n${stdout}`));
      try {
        resolve({ ...parseWrk(stdout), url, connections, threads, durationS, command: `wrk ${args.join(' ')}` });
      } catch (parseErr) {
        reject(parseErr);
      }
    });
  });
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function toMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`wrk printed a latency "${text}" this reader does not know`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

export function parseWrk(out: string): Pick<WrkResult, 'tool' | 'throughput' | 'latencyMs' | 'requests' | 'errors'> {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
    return m ? toMs(m[1]) : NaN;
  };
  const maxLine = /Latency\s+\S+\s+\S+\s+(\S+)/.exec(out);
  if (!rps || !total) throw new Error(`could not read wrk's report:\n${out}`);
  const errors: Record<string, number> = {};
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) errors['status:non-2xx'] = Number(non2xx[1]);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (sock) {
    for (const [i, kind] of ['connect', 'read', 'write', 'timeout'].entries()) {
      const n = Number(sock[i + 1]);
      if (n > 0) errors[kind === 'timeout' ? 'timeout' : `socket:${kind}`] = n;
    }
  }
  return {
    tool: 'wrk',
    throughput: Number(rps[1]),
    requests: Number(total[1]),
    latencyMs: { p50: pct('50'), p90: pct('90'), p99: pct('99'), max: maxLine ? toMs(maxLine[1]) : NaN },
    errors,
  };
}

/** One closed-loop slice of a benchmark: good replies, how long, latency and errors, and a line for the log. */
export interface PostSlice {
  ok: number;
  durationMs: number;
  p50: number;
  p99: number;
  errors: number;
  text: string;
}

/** POSTs the bytes of `bodyFile` with `headers` from `connections` connections for `ms` (wrk sends the same body every time). */
export function wrkPost(url: string, bodyFile: string, headers: Record<string, string>, connections: number, ms: number): Promise<PostSlice> {
  const lua = join(tmpdir(), `troupe-wrk-post-${process.pid}.lua`);
  writeFileSync(lua, [
    'local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))',
    'wrk.method = "POST"', 'wrk.body = f:read("*a")', 'f:close()',
    ...Object.entries(headers).map(([k, v]) => `wrk.headers["${k}"] = "${v}"`),
  ].join('\n'));
  const args = ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(ms / 1000))}s`, '--latency', '-s', lua, url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { env: { ...process.env, BODY_FILE: bodyFile }, timeout: ms + 30_000 }, (err, stdout) => {
      if (err) return reject(new Error(`wrk ${args.join(' ')} failed: ${err.message}\n${stdout}`));
      const w = parseWrk(stdout);
      const seconds = Number(/requests in ([\d.]+)s/.exec(stdout)?.[1] ?? ms / 1000);
      const errors = Object.values(w.errors).reduce((a, b) => a + b, 0);
      resolve({
        ok: w.requests - errors, durationMs: seconds * 1000, p50: w.latencyMs.p50, p99: w.latencyMs.p99, errors,
        text: `wrk c=${connections} ${w.throughput.toFixed(0)} req/s p50 ${w.latencyMs.p50} p99 ${w.latencyMs.p99} ms, errors ${errors}`,
      });
    });
  });
}
