// The admin server: its own port (default 127.0.0.1:8265), never the public one. node:http serves it: a few
// calls a minute, none on the request path. REST for the CLI (troupe deploy/status/shutdown):
//   GET    /api/applications        status of every application, and the machine's resources
//   PUT    /api/applications        deploy a config (YAML or JSON, the config file's schema); declarative
//   DELETE /api/applications/:name  delete one application
//   POST   /api/shutdown            stop the server (answers 202 first)
//   GET    /dashboard               a live page of the above and of /metrics (dashboard.ts)
// Other parts add routes (route()). With a token every call needs `authorization: Bearer <token>`; without one
// the server binds loopback only and answers only requests addressed to loopback from no other web origin, so a
// web page the user opens cannot reach it (DNS rebinding, cross-site requests).
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ConfigError, parseConfig } from '../config/index.ts';
import { TroupeError, catalogEntry } from '../errors/index.ts';
import { ApplicationNotFoundError } from '../serve/index.ts';
import { AdminExposedError, AdminListenError, DeployFailedError } from './admin-errors.ts';
import { dashboardRoutes, isDashboardFile } from './dashboard.ts';
import type { Deployer } from './deployer.ts';
import { METRICS_PATH, metricsHandler } from './metrics-route.ts';
import { LOGS_PATH, logsHandler } from './logs-route.ts';

export const DEFAULT_ADMIN_HOST = '127.0.0.1';
export const DEFAULT_ADMIN_PORT = 8265;
/** Largest config a PUT may send. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface AdminServerOptions {
  host?: string;
  port?: number;
  /** Every call must send `authorization: Bearer <token>`; required for a host other than loopback. */
  token?: string;
  deployer: Deployer;
  /** POST /api/shutdown: called once the 202 has been sent. */
  onShutdown?: () => void;
  /** Settings a deploy cannot change (http, admin, logging): a PUT that differs on them gets a warning. */
  fixed?: { http?: unknown; admin?: unknown; logging?: unknown };
}

export interface AdminRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  /** The URL's query (`?a=1&b=2`). */
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The body, read up to MAX_CONFIG_BYTES (413 past it). */
  body(): Promise<string>;
}

export interface AdminReply {
  status?: number;
  headers?: Record<string, string>;
  /** A string or Buffer goes as it is; anything else as JSON. */
  body?: unknown;
}

export type AdminHandler = (req: AdminRequest) => Promise<AdminReply> | AdminReply;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: AdminHandler;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

export class AdminServer {
  readonly #host: string;
  readonly #port: number;
  readonly #token: Buffer | undefined;
  readonly #options: AdminServerOptions;
  #routes: Route[] = [];
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #address: { host: string; port: number } | undefined;
  #stopping = false;

  constructor(options: AdminServerOptions) {
    this.#host = options.host ?? DEFAULT_ADMIN_HOST;
    this.#port = options.port ?? DEFAULT_ADMIN_PORT;
    if (!options.token && !isLoopback(this.#host)) throw new AdminExposedError(this.#host);
    this.#token = options.token ? digest(options.token) : undefined;
    this.#options = options;
    this.route('GET', '/api/applications', () => ({ body: options.deployer.status() }));
    this.route('GET', '/api/routes', () => ({ body: options.deployer.routes() }));
    this.route('PUT', '/api/applications', req => this.#deploy(req));
    this.route('DELETE', '/api/applications/:name', async req => {
      await options.deployer.delete(req.params.name!);
      return { body: { deleted: req.params.name, ...options.deployer.status() } };
    });
    this.route('POST', '/api/shutdown', () => {
      setImmediate(() => options.onShutdown?.());
      return { status: 202, body: { status: 'stopping' } };
    });
    for (const [method, path, handler] of dashboardRoutes()) this.route(method, path, handler);
    this.route('GET', METRICS_PATH, metricsHandler());
    this.route('GET', LOGS_PATH, logsHandler());
  }

  /** Adds a route; `:name` segments are parameters. Routes added later are matched later. */
  route(method: string, path: string, handler: AdminHandler): void {
    const keys: string[] = [];
    const source = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\/:(\w+)/g, (_m, k: string) => {
      keys.push(k);
      return '/([^/]+)';
    });
    this.#routes.push({ method, pattern: new RegExp(`^${source}$`), keys, handler });
  }

  get address(): { host: string; port: number } | undefined {
    return this.#address;
  }

  /** Listens; throws AdminListenError when the port cannot be had. */
  async listen(): Promise<{ host: string; port: number }> {
    const server = createServer((req, res) => void this.#handle(req, res));
    server.on('connection', socket => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', err => reject(new AdminListenError(this.#host, this.#port, err)));
      server.listen(this.#port, this.#host, () => resolve());
    });
    this.#server = server;
    const port = (server.address() as AddressInfo).port;
    this.#address = { host: this.#host, port };
    return this.#address;
  }

  /** The server is stopping: GETs are still answered (status while it drains), changes get 503. */
  stopping(): void {
    this.#stopping = true;
  }

  /** Stops listening and closes its connections (a deploy in flight keeps running; its caller loses the answer). */
  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>(resolve => server.close(() => resolve()));
    server.closeIdleConnections();
    // Answers being written get a moment; whatever is still open after it is cut.
    const timer = setTimeout(() => {
      for (const s of this.#sockets) s.destroy();
    }, 1000);
    await closed;
    clearTimeout(timer);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const method = req.method ?? 'GET';
    try {
      const refused = this.#refuse(req);
      if (refused) return send(res, refused);
      const matching = this.#routes.filter(r => r.pattern.test(url.pathname));
      const route = matching.find(r => r.method === method);
      if (!route) {
        req.resume();
        if (matching.length > 0) {
          const allow = [...new Set(matching.map(r => r.method))].join(', ');
          const reply = errorReply(405, 'TROUPE_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}; allowed: ${allow}`);
          reply.headers = { allow };
          return send(res, reply);
        }
        return send(res, errorReply(404, 'TROUPE_ERR_NOT_FOUND', `no admin route ${method} ${url.pathname}; the API: GET/PUT /api/applications, DELETE /api/applications/:name, POST /api/shutdown; the dashboard: GET /dashboard`));
      }
      if (this.#stopping && method !== 'GET' && method !== 'HEAD') {
        req.resume();
        return send(res, errorReply(503, 'TROUPE_ERR_SHUTTING_DOWN', 'the server is stopping; start it again (troupe run) to deploy'));
      }
      const m = route.pattern.exec(url.pathname)!;
      const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m[i + 1]!)]));
      const reply = await route.handler({ method, path: url.pathname, params, query: url.searchParams, headers: req.headers, body: () => readBody(req) });
      send(res, reply);
    } catch (err) {
      req.resume();
      send(res, replyForError(err));
    }
  }

  /** Why this request is refused before any route sees it, or undefined. */
  #refuse(req: IncomingMessage): AdminReply | undefined {
    if (this.#token) {
      // The dashboard's files hold no data; the page sends the token on its own calls.
      if (isDashboardFile(req.method ?? '', (req.url ?? '').split('?')[0]!)) return undefined;
      const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
      // Compared as fixed-length digests, in constant time: neither the token's length nor its prefix leaks.
      if (!m || !timingSafeEqual(digest(m[1]!.trim()), this.#token)) {
        req.resume();
        const reply = errorReply(401, 'TROUPE_ERR_ADMIN_TOKEN', m ? 'the admin token is wrong: use the server\'s admin.token (TROUPE_ADMIN_TOKEN)' : 'this admin API needs a token: send authorization: Bearer <token> (troupe reads TROUPE_ADMIN_TOKEN)');
        reply.headers = { 'www-authenticate': 'Bearer' };
        return reply;
      }
      return undefined;
    }
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const origin = req.headers.origin;
    let foreign = host !== '' && !isLoopback(host);
    if (origin !== undefined) {
      try {
        const o = new URL(origin);
        foreign ||= !isLoopback(o.hostname) || Number(o.port || 80) !== this.#address?.port;
      } catch {
        foreign = true;
      }
    }
    if (!foreign) return undefined;
    req.resume();
    return errorReply(403, 'TROUPE_ERR_ADMIN_FORBIDDEN', 'without a token the admin API answers only local clients (a loopback Host and no other web origin); set admin.token to reach it otherwise');
  }

  async #deploy(req: AdminRequest): Promise<AdminReply> {
    const text = await req.body();
    const file = headerText(req.headers['x-troupe-config-file']) ?? '<request>';
    const baseDir = headerText(req.headers['x-troupe-config-dir']);
    const loaded = parseConfig(text, file);
    const warnings: string[] = [];
    for (const key of ['http', 'admin', 'logging'] as const) {
      const sent = loaded.config[key];
      const running = this.#options.fixed?.[key];
      if (sent !== undefined && running !== undefined && JSON.stringify(sent) !== JSON.stringify(running)) {
        warnings.push(`${key} differs from the running server's: it is read when the server starts (troupe run), so this deploy leaves it as it is`);
      }
    }
    const result = await this.#options.deployer.deploy(loaded, { baseDir });
    return { body: { ...result.status, deleted: result.deleted, warnings } };
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** A header the CLI sends percent-encoded (a path may hold any character). */
function headerText(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

class BodyTooLarge extends TroupeError {
  constructor() {
    super('TROUPE_ERR_BODY_TOO_LARGE', `the config is over ${MAX_CONFIG_BYTES} bytes`);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_CONFIG_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
      } else chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function errorReply(status: number, code: string, message: string, extra: Record<string, unknown> = {}): AdminReply {
  return { status, body: { error: { code, message, ...extra } } };
}

function replyForError(err: unknown): AdminReply {
  if (err instanceof ConfigError) return errorReply(400, err.code, err.message, { issues: err.issues });
  if (err instanceof ApplicationNotFoundError) return errorReply(404, err.code, err.message);
  if (err instanceof BodyTooLarge) return errorReply(413, err.code, err.message);
  if (err instanceof DeployFailedError) return errorReply(500, err.code, err.message);
  // Any other code answers the status the error catalog gives it (src/errors/catalog.ts); an unknown one is a 500.
  const e = err as { code?: unknown; message?: string };
  const code = typeof e?.code === 'string' ? e.code : 'TROUPE_ERR_INTERNAL';
  const status = catalogEntry(code)?.status ?? 500;
  return errorReply(status >= 400 ? status : 500, code, e?.message ?? String(err));
}

function send(res: ServerResponse, reply: AdminReply): void {
  if (res.headersSent) return;
  const raw = typeof reply.body === 'string' || Buffer.isBuffer(reply.body);
  const body = reply.body === undefined ? '' : raw ? (reply.body as string | Buffer) : JSON.stringify(reply.body, null, 2) + '\n';
  const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...reply.headers };
  if (!raw && reply.body !== undefined) headers['content-type'] ??= 'application/json';
  res.writeHead(reply.status ?? 200, headers);
  res.end(body);
}
