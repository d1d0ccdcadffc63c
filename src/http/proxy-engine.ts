// The proxy's engine: one uWS app, one catch-all handler that routes by application prefix (so applications
// can be mounted and unmounted at run time), request bodies, calls into the ingress target, responses.
import { randomBytes } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, us_socket } from 'uWebSockets.js';
import { uws } from './uws.ts';
import { formFields, parseBody } from './body.ts';
import { compileApp, findApp, findAppIndex, subPath, type CompiledApp, type CompiledRoute } from './compile-app.ts';
import { docsAsset, docsPage } from './docs.ts';
import {
  BadRequestFramingError, BodyTooLargeError, MethodNotAllowedError, ProxyListenError, RequestTimeoutError, RouteDefinitionError,
  RouteNotFoundError, ShuttingDownError, ValidationError,
} from './errors.ts';
import { describeError, errorBody } from './error-mapping.ts';
import { Exchange } from './exchange.ts';
import { buildOpenApi, joinPath } from './openapi.ts';
import { encodeChunk, encodeResult, encodeSse, streamContentType } from './response.ts';
import { validate } from './schema.ts';
import type { CallOptions, CancelSignal, HttpLogger, HttpProxyOptions, MountedApp, RequestRecord, RouteInput } from './types.ts';
import { WebSocketBridge, type WsLookup } from './websocket-bridge.ts';
import { ObjectStoreFullError, type ObjectStore } from '../store/index.ts';
import { flushFrames, IdTable } from '../core/index.ts';
import { TRACEPARENT_HEADER, traceCarrier } from '../observability/index.ts';
import { publishRequestEnd, publishRequestStart, requestChannelsWatched } from './request-channels.ts';
import { recordHttpRequest } from '../observability/index.ts';

const EMPTY = new Uint8Array(0);
const JSON_TYPE = 'application/json';
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;
/** The request header that names the @multiplexed model a call is for (Ray Serve's serve_multiplexed_model_id). */
export const MODEL_ID_HEADER = 'x-troupe-model-id';
/** A turn's calls to replicas are posted in frames of at most this many (see #runQueued). */
const CALLS_PER_FRAME = 16;

/** A request whose body (if any) is read, waiting for the end of the poll phase to be dispatched. */
interface Job {
  ex: Exchange;
  app: CompiledApp;
  route: CompiledRoute;
  params: Record<string, string>;
  headers: Record<string, string>;
  qs: string;
  bytes: Uint8Array;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  publicRoutes: boolean;
  logger: HttpLogger;
  objectStore: ObjectStore | undefined;
}

export class ProxyEngine {
  readonly opts: ResolvedOptions;
  readonly #app: TemplatedApp;
  readonly #ws: WebSocketBridge;
  /** The exchanges not yet done, by their `seq` (not a Set: see IdTable). */
  readonly #inflight = new IdTable<Exchange>();
  #seq = 0;
  #queued: Job[] = [];
  #apps: CompiledApp[] = [];
  #listen: us_listen_socket | undefined;
  #port = -1;
  #draining = false;
  /** True while uWS's request handler runs: answers then go out at once (pipelining, framing errors). */
  #sync = false;
  #idle: (() => void) | undefined;
  // One coarse clock for every request deadline: a timer per request costs more than the request itself.
  #clock: NodeJS.Timeout | undefined;
  readonly #idPrefix = randomBytes(4).toString('hex');
  #idCounter = 0;

  constructor(opts: HttpProxyOptions, logger: HttpLogger) {
    this.opts = {
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? 8000,
      maxBodyBytes: opts.maxBodyBytes ?? 10 * 1024 * 1024,
      requestTimeoutMs: opts.requestTimeoutMs ?? 60_000,
      publicRoutes: opts.publicRoutes === true,
      logger,
      objectStore: opts.objectStore,
    };
    this.#ws = new WebSocketBridge({
      limits: {
        maxBackpressure: opts.wsMaxBackpressure ?? 1024 * 1024,
        maxPayloadLength: opts.wsMaxPayloadLength ?? 1024 * 1024,
        maxQueued: opts.wsMaxQueuedMessages ?? 64,
        drainTimeoutMs: opts.wsDrainTimeoutMs ?? 30_000,
      },
      logger,
      find: (path) => this.#findWebSocket(path),
      parseQuery: (qs) => formFields(new URLSearchParams(qs)),
      nextId: () => this.#nextId(),
    });
    this.#clock = setInterval(() => this.#tick(), Math.max(10, Math.min(100, this.opts.requestTimeoutMs / 4)));
    this.#clock.unref();
    this.#app = uws().App();
    this.#app.ws('/*', this.#ws.behavior());
    this.#app.any('/*', (res, req) => this.#handle(res, req));
  }

  get apps(): readonly CompiledApp[] {
    return this.#apps;
  }

  get inflight(): number {
    return this.#inflight.size;
  }

  listen(): Promise<{ host: string; port: number }> {
    const { host, port } = this.opts;
    return new Promise((resolve, reject) => {
      this.#app.listen(host, port, (socket) => {
        if (!socket) return reject(new ProxyListenError(host, port));
        this.#listen = socket;
        this.#port = uws().us_socket_local_port(socket as unknown as us_socket);
        resolve({ host, port: this.#port });
      });
    });
  }

  get port(): number {
    return this.#port;
  }

  /** Mounts an application; with `replace`, one already mounted under its name is swapped for it in one step
   *  (an update in place: no request finds the routes missing). */
  mount(app: MountedApp, replace = false): void {
    if (!replace && this.#apps.some((a) => a.mounted.name === app.name)) {
      throw new RouteDefinitionError(`an application named '${app.name}' is already mounted; unmount it first`, { app: app.name });
    }
    const compiled = compileApp(app);
    const others = this.#apps.filter((a) => a.mounted.name !== app.name);
    const clash = others.find((a) => a.prefix === compiled.prefix);
    if (clash) {
      throw new RouteDefinitionError(`route prefix ${compiled.prefix} of '${app.name}' is already used by '${clash.mounted.name}'`, { prefix: compiled.prefix });
    }
    this.#apps = [...others, compiled].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  unmount(name: string): boolean {
    const before = this.#apps.length;
    this.#apps = this.#apps.filter((a) => a.mounted.name !== name);
    return this.#apps.length !== before;
  }

  /** Resolves with how many requests were still in flight at the deadline (cancelled, answered 503). */
  async close(timeoutMs: number): Promise<number> {
    this.#draining = true;
    if (this.#listen) {
      uws().us_listen_socket_close(this.#listen);
      this.#listen = undefined;
    }
    this.#ws.closeAll();
    for (const ex of this.#inflight.values()) ex.closeAfter = true;
    if (this.#inflight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#idle = undefined;
    }
    // Past the timeout: cancel what is left and tell its clients.
    const dropped = this.#inflight.size;
    for (const ex of this.#inflight.values()) {
      ex.cancel.abort(new ShuttingDownError());
      if (!ex.answered) this.#fail(ex, new ShuttingDownError());
      else ex.breakStream();
    }
    Exchange.flush();
    clearInterval(this.#clock);
    // close() exists in this uWS build but is missing from its typings.
    (this.#app as TemplatedApp & { close(): void }).close();
    return dropped;
  }

  #tick(): void {
    const now = performance.now();
    for (const ex of this.#inflight.values()) {
      if (ex.deadline !== 0 && now >= ex.deadline) {
        ex.deadline = 0;
        ex.onDeadline?.();
      }
    }
  }

  /** Arms (ms > 0) or clears the request's deadline. */
  #deadline(ex: Exchange, ms: number, fire?: () => void): void {
    ex.deadline = ms > 0 ? performance.now() + ms : 0;
    ex.onDeadline = fire;
  }

  #nextId(): string {
    // Decimal: V8 prints an integer in base 10 from a cache or a fast path, in base 36 by a slow generic one.
    return `${this.#idPrefix}-${++this.#idCounter}`;
  }

  readonly #done = (ex: Exchange): void => {
    this.#inflight.delete(ex.seq);
    ex.release?.();
    this.opts.logger.access(ex.logEntry());
    if (requestChannelsWatched()) publishRequestEnd(ex);
    recordHttpRequest(ex.app, ex.route, ex.method, ex.status, (performance.now() - ex.start) / 1000);
    if (this.#draining && this.#inflight.size === 0) this.#idle?.();
  };

  #handle(res: HttpResponse, req: HttpRequest): void {
    const method = req.getMethod().toUpperCase();
    const path = req.getUrl();
    const qs = req.getQuery() ?? '';
    const headers: Record<string, string> = {};
    let headerBytes = 0;
    let repeated: string | undefined;
    req.forEach((k, v) => {
      headerBytes += k.length + v.length + 4;
      if ((k === 'content-length' || k === 'transfer-encoding') && headers[k] !== undefined) repeated = k;
      headers[k] = v;
    });
    const given = headers['x-request-id'];
    const ex = new Exchange(res, method, path, given !== undefined && REQUEST_ID.test(given) ? given : this.#nextId(), this.#done, ++this.#seq);
    ex.trace = traceCarrier(headers[TRACEPARENT_HEADER], ex.requestId);
    if (requestChannelsWatched()) publishRequestStart(ex);
    res.onAborted(() => ex.abort());
    this.#inflight.set(ex.seq, ex);
    const hasBody = (headers['content-length'] !== undefined && headers['content-length'] !== '0') || headers['transfer-encoding'] !== undefined;
    // Answering before the body is read: the connection cannot be reused for the next request.
    if (hasBody) ex.closeAfter = true;
    // What is answered here is written before this handler returns: see Exchange.send's `now`.
    this.#sync = true;
    try {
      const framing = framingError(headers, headerBytes, repeated);
      if (framing) {
        ex.closeAfter = true;
        throw framing;
      }
      if (this.#draining) throw new ShuttingDownError();
      if (path.startsWith('/-/') && this.#builtin(ex, path)) return;
      const apps = this.#apps;
      let at = findAppIndex(apps, path, 0);
      if (at < 0) throw new RouteNotFoundError(method, path);
      let app = apps[at]!;
      let route: CompiledRoute | undefined;
      let params: Record<string, string> = {};
      for (;;) {
        ex.app = app.mounted.name;
        ex.deployment = app.mounted.deploymentName;
        route = app.rawRoute;
        if (!app.table) break;
        const sub = subPath(app, path);
        const m = app.table.match(method, sub);
        if (m.kind === 'found') {
          route = m.entry;
          params = m.params;
          break;
        }
        if ((method === 'GET' || method === 'HEAD') && this.#appDocs(ex, app, sub)) return;
        if (m.kind === 'wrong-method') throw Object.assign(new MethodNotAllowedError(method, path, m.allow), { allowHeader: m.allow.join(', ') });
        // No route here: an application at a shorter prefix may have it (a deployment's sub-mount inside its
        // application's prefix takes only its own routes).
        at = findAppIndex(apps, path, at + 1);
        if (at < 0) break;
        app = apps[at]!;
      }
      if (!route) throw new RouteNotFoundError(method, path);
      const chosen = route;
      ex.route = route.path;
      if (!hasBody) {
        ex.closeAfter = false;
        this.#later({ ex, app, route: chosen, params, headers, qs, bytes: EMPTY });
        return;
      }
      this.#readBody(ex, headers).then(
        (bytes) => {
          ex.closeAfter = this.#draining;
          this.#later({ ex, app, route: chosen, params, headers, qs, bytes });
        },
        (err) => this.#fail(ex, err),
      );
    } catch (err) {
      this.#fail(ex, err);
    } finally {
      this.#sync = false;
    }
  }

  /** Dispatches after the poll phase: requests that arrived in the same turn of the event loop then reach the
   * target in one go, so their replica calls share one message to the worker (and its replies come back in one). */
  #later(job: Job): void {
    this.#queued.push(job);
    if (this.#queued.length === 1) setImmediate(this.#runQueued);
  }

  readonly #runQueued = (): void => {
    const jobs = this.#queued;
    this.#queued = [];
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i]!;
      void this.#dispatch(j.ex, j.app, j.route, j.params, j.headers, j.qs, j.bytes);
      // Send the calls so far while the rest are dispatched: the replicas start on them and reply while this
      // thread works, instead of it waiting on each wave of replies (bench/results/http-noop.md).
      if ((i + 1) % CALLS_PER_FRAME === 0 && i + 1 < jobs.length) flushFrames();
    }
  };

  /** Reads the body as it arrives, stopping as soon as it passes maxBodyBytes or the time limit. */
  #readBody(ex: Exchange, headers: Record<string, string>): Promise<Uint8Array> {
    const limit = this.opts.maxBodyBytes;
    const declared = headers['content-length'] === undefined ? -1 : Number(headers['content-length']);
    if (declared > limit) return Promise.reject(new BodyTooLargeError(limit));
    return new Promise((resolve, reject) => {
      const place = declared >= 0 ? this.#bodyBuffer(ex, declared) : undefined;
      const buffer = place?.body;
      const sink = place?.sink;
      const chunks: Buffer[] = [];
      let received = 0;
      let settled = false;
      const settle = (err: unknown, value?: Uint8Array) => {
        if (settled) return;
        settled = true;
        this.#deadline(ex, 0);
        if (err) reject(err);
        else resolve(value!);
      };
      this.#deadline(ex, this.opts.requestTimeoutMs, () => settle(new RequestTimeoutError(this.opts.requestTimeoutMs, 'body')));
      ex.cancel.addEventListener('abort', () => settle(ex.cancel.reason));
      ex.res.onData((chunk, isLast) => {
        if (settled) return;
        received += chunk.byteLength;
        if (received > limit || (buffer && received > buffer.byteLength)) {
          settle(received > limit ? new BodyTooLargeError(limit) : new ValidationError('body', [{ path: 'body', message: 'is longer than its content-length', keyword: 'content-length' }]));
          return;
        }
        if (sink) sink.set(new Uint8Array(chunk), received - chunk.byteLength);
        else chunks.push(Buffer.from(chunk.slice(0)));
        if (isLast) settle(undefined, buffer ? (received === buffer.byteLength ? buffer : buffer.subarray(0, received)) : Buffer.concat(chunks));
      });
    });
  }

  /**
   * Where a body of known length is read: the object store's arena when it is large enough to travel by ref
   * (the replica then gets this memory itself, and no buffer is made per request: fresh buffers of this size
   * drive V8 into frequent full collections), else an ordinary buffer. `sink` is what the chunks are
   * copied into: for arena memory, an ordinary ArrayBuffer over the same bytes when the native addon can make
   * one, because V8 copies into shared memory at an odd offset byte by byte, an order of magnitude slower.
   */
  #bodyBuffer(ex: Exchange, bytes: number): { body: Uint8Array; sink: Uint8Array } {
    const store = this.opts.objectStore;
    if (store && !store.closed && bytes >= store.inlineThreshold) {
      try {
        const { ref, data } = store.allocateSync('uint8', [bytes]);
        ex.release = () => {
          // A store closed meanwhile (its runtime shut down) has freed everything already.
          if (!store.closed) store.release(ref);
        };
        return { body: data as Uint8Array, sink: (store.plainView(ref) ?? data) as Uint8Array };
      } catch (err) {
        if (!(err instanceof ObjectStoreFullError)) throw err;
        // A full arena: this body goes in a buffer of its own (and inline to the replica).
      }
    }
    const body = Buffer.allocUnsafe(bytes);
    return { body, sink: body };
  }

  async #dispatch(
    ex: Exchange, app: CompiledApp, route: CompiledRoute, params: Record<string, string>,
    headers: Record<string, string>, qs: string, bytes: Uint8Array,
  ): Promise<void> {
    if (ex.aborted) return;
    let args: unknown[];
    try {
      if (route.raw) args = [this.#requestRecord(ex, app, params, headers, qs, bytes)];
      else if (route.takesInput) args = [this.#routeInput(ex, route, params, headers, qs, bytes)];
      else {
        // Nothing to send, but what the route declares is still checked (a body it does not accept, a query
        // its schema refuses); a bare GET has nothing to check.
        if (bytes.byteLength > 0 || qs !== '' || headers['content-type'] !== undefined || route.body || route.query || route.params) {
          this.#routeInput(ex, route, params, headers, qs, bytes);
        }
        args = [];
      }
    } catch (err) {
      this.#fail(ex, err);
      return;
    }
    const timeoutMs = route.timeoutMs ?? this.opts.requestTimeoutMs;
    this.#deadline(ex, timeoutMs, () => {
      const err = new RequestTimeoutError(timeoutMs, 'call');
      ex.cancel.abort(err);
      this.#fail(ex, err);
    });
    const modelId = headers[MODEL_ID_HEADER];
    if (modelId !== undefined && modelId !== '') ex.modelId = modelId;
    const opts = new ExchangeCall(ex);
    const target = app.mounted.target;
    try {
      if (route.streaming) {
        await this.#stream(ex, target.stream(route.methodName, args, opts), headers, () => this.#deadline(ex, 0));
      } else {
        const value = await target.call(route.methodName, args, opts).catch((err: unknown) => {
          // A replica that died under an idempotent request: once more, on another replica.
          if (!retriesOnce(ex, err)) throw err;
          return target.call(route.methodName, args, opts);
        });
        this.#deadline(ex, 0);
        if (ex.aborted || ex.answered) return;
        const out = encodeResult(value);
        ex.send(out.status, out.contentType, out.body, out.headers);
      }
    } catch (err) {
      this.#deadline(ex, 0);
      this.#fail(ex, err);
    }
  }

  async #stream(ex: Exchange, iterable: AsyncIterable<unknown>, headers: Record<string, string>, firstValue: () => void): Promise<void> {
    const iterator = iterable[Symbol.asyncIterator]();
    const sse = (headers.accept ?? '').includes('text/event-stream');
    let finished = false;
    try {
      let step = await iterator.next();
      firstValue();
      if (ex.aborted || ex.answered) return;
      const contentType = sse ? 'text/event-stream; charset=utf-8' : step.done ? 'text/plain; charset=utf-8' : streamContentType(step.value);
      ex.startStream(contentType, sse ? { 'cache-control': 'no-cache', 'x-accel-buffering': 'no' } : { 'cache-control': 'no-cache' });
      while (!step.done && !ex.aborted) {
        await ex.write(sse ? encodeSse(step.value) : encodeChunk(step.value));
        if (ex.aborted) break;
        step = await iterator.next();
      }
      finished = step.done === true;
      ex.endStream();
    } catch (err) {
      finished = true;
      if (!ex.answered) throw err;
      const reply = describeError(err);
      this.#logError(ex, err, reply.internal);
      if (sse && !ex.aborted) {
        await ex.write(`event: error\ndata: ${errorBody(reply, ex.requestId)}\n\n`);
        ex.endStream();
      } else {
        ex.breakStream();
      }
    } finally {
      // The client went away (or we stopped early): stop the generator too.
      if (!finished) void Promise.resolve(iterator.return?.()).catch(() => {});
    }
  }

  #routeInput(ex: Exchange, route: CompiledRoute, params: Record<string, string>, headers: Record<string, string>, qs: string, bytes: Uint8Array): RouteInput {
    const contentType = headers['content-type'] ?? '';
    const body = parseBody(bytes, contentType, route.accepts);
    if (route.body) validate(route.body, 'body', body);
    const query = qs ? formFields(new URLSearchParams(qs)) : {};
    if (route.query) validate(route.query, 'query', query);
    const p = { ...params };
    if (route.params) validate(route.params, 'params', p);
    return { body, query, params: p, headers, requestId: ex.requestId, method: ex.method, path: ex.path, contentType };
  }

  #requestRecord(ex: Exchange, app: CompiledApp, params: Record<string, string>, headers: Record<string, string>, qs: string, bytes: Uint8Array): RequestRecord {
    return {
      method: ex.method, path: subPath(app, ex.path), query: qs ? formFields(new URLSearchParams(qs)) : {}, headers,
      body: bytes, params: { ...params }, requestId: ex.requestId,
    };
  }

  #fail(ex: Exchange, err: unknown): void {
    if (ex.aborted || ex.done) return;
    if (ex.answered) {
      ex.breakStream();
      return;
    }
    const reply = describeError(err);
    if (reply.status === 0) {
      // Cancelled while the client is still here: we are shutting down or the call was withdrawn.
      Object.assign(reply, { status: 503 });
    }
    this.#logError(ex, err, reply.internal);
    const extra = (err as { allowHeader?: string }).allowHeader;
    const headers = extra ? { ...reply.headers, allow: extra } : reply.headers;
    ex.send(reply.status, JSON_TYPE, errorBody(reply, ex.requestId), headers, this.#sync);
  }

  #logError(ex: Exchange, err: unknown, internal: boolean): void {
    if (!internal) return;
    const e = err as { name?: string; message?: string; code?: string; stack?: string };
    this.opts.logger.error('request failed', {
      requestId: ex.requestId, app: ex.app, deployment: ex.deployment, method: ex.method, path: ex.path,
      error: { name: e?.name, message: e?.message, code: e?.code, stack: e?.stack },
    });
  }

  #builtin(ex: Exchange, path: string): boolean {
    if (path === '/-/healthz') {
      ex.route = path; // a bounded label for /metrics, like a declared route
      const apps: Record<string, boolean> = {};
      let ok = !this.#draining;
      for (const a of this.#apps) {
        let ready = false;
        try {
          ready = a.mounted.isReady();
        } catch {
          ready = false;
        }
        apps[a.mounted.name] = ready;
        ok &&= ready;
      }
      ex.send(ok ? 200 : 503, JSON_TYPE, JSON.stringify({ status: ok ? 'ok' : 'unavailable', apps }), undefined, this.#sync);
      return true;
    }
    if (path === '/-/routes' && this.opts.publicRoutes) {
      ex.route = path;
      ex.send(200, JSON_TYPE, JSON.stringify(this.routes()), undefined, this.#sync);
      return true;
    }
    return false;
  }

  /** The mounted applications and their routes (handler and deployment names: for the admin API, or /-/routes
   *  with publicRoutes). */
  routes(): unknown[] {
    return this.#apps.map((a) => ({
      app: a.mounted.name,
      routePrefix: a.prefix,
      deployment: a.mounted.deploymentName,
      ready: safeReady(a.mounted),
      routes: a.table
        ? a.meta.routes.map((r) => ({ method: r.method, path: joinPath(a.prefix, r.path), handler: r.methodName, streaming: r.streaming }))
        : [{ method: '*', path: joinPath(a.prefix, '/*'), handler: '__call__', streaming: a.rawRoute?.streaming ?? false }],
      websockets: a.meta.websockets.map((w) => ({ path: joinPath(a.prefix, w.path), handler: w.methodName })),
      docs: a.table ? joinPath(a.prefix, '/docs') : undefined,
    }));
  }

  #appDocs(ex: Exchange, app: CompiledApp, sub: string): boolean {
    if (sub === '/openapi.json') {
      app.openapi ??= JSON.stringify(buildOpenApi(app.meta, app.prefix, app.mounted.name));
      ex.send(200, JSON_TYPE, app.openapi, undefined, this.#sync);
      return true;
    }
    if (sub === '/docs') {
      const title = app.meta.ingress?.title ?? app.mounted.name;
      ex.send(200, 'text/html; charset=utf-8', docsPage(title, joinPath(app.prefix, '/docs'), joinPath(app.prefix, '/openapi.json')), undefined, this.#sync);
      return true;
    }
    if (sub.startsWith('/docs/')) {
      const asset = docsAsset(sub.slice(6));
      if (!asset) return false;
      ex.send(200, asset.contentType, asset.body, { 'cache-control': 'public, max-age=3600' }, this.#sync);
      return true;
    }
    return false;
  }

  #findWebSocket(path: string): WsLookup | undefined {
    const app = findApp(this.#apps, path);
    if (!app) return undefined;
    const m = app.websockets.match('GET', subPath(app, path));
    return m.kind === 'found' ? { app, route: m.entry, params: m.params } : undefined;
  }
}

/** What the target gets with a call: a class, so that no closure is made per request. */
class ExchangeCall implements CallOptions {
  readonly #ex: Exchange;
  readonly requestId: string;

  constructor(ex: Exchange) {
    this.#ex = ex;
    this.requestId = ex.requestId;
  }

  get cancel(): CancelSignal {
    return this.#ex.cancel;
  }

  /** A real AbortSignal only for a target that asks for one (the serve core listens on `cancel`). */
  get signal(): AbortSignal {
    return this.#ex.cancel.toAbortSignal();
  }

  onReplica(replicaId: string): void {
    this.#ex.replica = replicaId;
  }

  get multiplexedModelId(): string | undefined {
    return this.#ex.modelId;
  }

  /** The request's trace carrier: its request id and traceparent, through every call of the composition. */
  get trace(): string | undefined {
    return this.#ex.trace;
  }
}

/** GET and HEAD change nothing, so a call whose replica died is made again once (not a stream: it has started). */
function retriesOnce(ex: Exchange, err: unknown): boolean {
  return (ex.method === 'GET' || ex.method === 'HEAD') && !ex.aborted && !ex.cancel.aborted && (err as { code?: unknown })?.code === 'TROUPE_ERR_REPLICA_DIED';
}

/** Node's http server's limit on the size of the headers (uWS itself takes any size but at most ~47 headers). */
const MAX_HEADER_BYTES = 16 * 1024;

/** Framing this proxy refuses: uWS reads a body by the first of two Content-Length headers and the route would
 *  see the other, so any doubt about where a body ends closes the connection instead. */
function framingError(headers: Record<string, string>, bytes: number, repeated: string | undefined): BadRequestFramingError | undefined {
  if (bytes > MAX_HEADER_BYTES) {
    return new BadRequestFramingError(431, `request headers are ${bytes} bytes; the limit is ${MAX_HEADER_BYTES}: send fewer or shorter headers`, { bytes, limit: MAX_HEADER_BYTES });
  }
  if (repeated) return new BadRequestFramingError(400, `the request has more than one ${repeated} header; send exactly one`, { header: repeated });
  const length = headers['content-length'];
  const coding = headers['transfer-encoding'];
  if (length !== undefined && coding !== undefined) {
    return new BadRequestFramingError(400, 'the request has both content-length and transfer-encoding; send one of them');
  }
  if (length !== undefined && !/^\d{1,15}$/.test(length)) {
    return new BadRequestFramingError(400, `content-length '${length.slice(0, 32)}' is not a number of bytes; send a decimal length`);
  }
  if (coding !== undefined && coding.trim().toLowerCase() !== 'chunked') {
    return new BadRequestFramingError(501, `transfer-encoding '${coding.slice(0, 32)}' is not supported; send the body with content-length or transfer-encoding: chunked`);
  }
  return undefined;
}

function safeReady(app: MountedApp): boolean {
  try {
    return app.isReady();
  } catch {
    return false;
  }
}
