// GET /dashboard on the admin port: a static page (assets/dashboard/) and uPlot from its npm package, served
// from this machine (no CDN). The page polls GET /api/applications, /metrics and /api/logs itself and keeps
// fixed-length series in the browser: the server holds no state for it.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AdminHandler, AdminReply } from './admin-server.ts';

const ASSETS = new URL('../../assets/dashboard/', import.meta.url);
const resolve = createRequire(import.meta.url).resolve;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** What the page may load: its name in the URL → the file on disk. Nothing else is served. */
function files(): Record<string, string> {
  return {
    'index.html': fileURLToPath(new URL('index.html', ASSETS)),
    'dashboard.js': fileURLToPath(new URL('dashboard.js', ASSETS)),
    'metrics.js': fileURLToPath(new URL('metrics.js', ASSETS)),
    'dashboard.css': fileURLToPath(new URL('dashboard.css', ASSETS)),
    'uPlot.iife.min.js': resolve('uplot/dist/uPlot.iife.min.js'),
    'uPlot.min.css': resolve('uplot/dist/uPlot.min.css'),
  };
}

async function asset(name: string): Promise<AdminReply> {
  const path = files()[name];
  if (!path) {
    return { status: 404, body: { error: { code: 'TROUPE_ERR_NOT_FOUND', message: `the dashboard has no file ${name}; open /dashboard` } } };
  }
  const type = TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream';
  // The files are read per request (a few loads a day): edits show on reload and nothing is held in memory.
  return {
    headers: {
      'content-type': type,
      'x-content-type-options': 'nosniff',
      // Only this origin's own scripts and calls: a log line or a name shown on the page can never run as code.
      'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    },
    body: await readFile(path),
  };
}

/** A request for one of the dashboard's static files: served without the admin token (they hold no data). */
export function isDashboardFile(method: string, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && (path === '/dashboard' || path.startsWith('/dashboard/'));
}

/** The dashboard's routes, for AdminServer.route(). */
export function dashboardRoutes(): Array<[method: string, path: string, handler: AdminHandler]> {
  return [
    ['GET', '/dashboard', () => asset('index.html')],
    ['GET', '/dashboard/', () => ({ status: 308, headers: { location: '/dashboard' } })],
    ['GET', '/dashboard/:file', req => asset(req.params.file!)],
  ];
}
