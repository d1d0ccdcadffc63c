// No-op GET through each server: the cost of the HTTP layer alone, side by side in one run.
// npm run bench -- http-noop [--duration=5] [--only=uws-hello,fastapi] [--no-wrk]
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../lib/free-port.ts';
import type { Measurement, Plan } from '../lib/scenario-runner.ts';
import { startServerProcess } from '../lib/server-process.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
// Debian's python, where python3-fastapi and python3-uvicorn install (not a pyenv or venv one).
const debianPython = '/usr/bin/python3';

const nodeServer = (file: string) => () =>
  startServerProcess(process.execPath, ['--import', 'tsx', join(here, file), '0'], { cwd: root });

function fastapiMissing(): string | null {
  try {
    execFileSync(debianPython, ['-c', 'import fastapi, uvicorn'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'python3-fastapi / python3-uvicorn not installed (apt-get install -y python3-fastapi python3-uvicorn)';
  }
}

export const description = 'no-op GET: raw uWS, uWS + worker echo, FastAPI/uvicorn (and troupe, 1 and 2 replicas, once wired)';

/**
 * The targets, in the order measured. Each start() returns { url, stop() } for a server on
 * 127.0.0.1. The troupe proxy joins here: { name: 'troupe, 1 replica', start: ... } and
 * { name: 'troupe, 2 replicas', start: ... }, each serving GET / with a no-op handler.
 */
export const measurements: Measurement[] = [
  { name: 'uws-hello', start: nodeServer('uws-hello.ts') },
  { name: 'uws-worker-echo', start: nodeServer('uws-worker-echo.ts') },
  {
    name: 'fastapi',
    skip: fastapiMissing,
    start: async () => startServerProcess(debianPython, [join(here, 'fastapi_app.py'), String(await freePort())], { cwd: root }),
  },
];

export const plan: Plan = { concurrency: [1, 16, 64], sweepFractions: [0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0] };
