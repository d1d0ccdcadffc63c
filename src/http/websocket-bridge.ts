// WebSocket routes. Each connection's events (open, every message, close) become calls of the route method, one
// at a time and in order. Both directions are bounded: at most `maxQueued` incoming messages wait for the
// replica (then 1013), and replies wait for the socket to drain; a client that stays slow past the drain
// timeout, or whose buffer passes maxBackpressure, is closed with 1008.
import type { HttpRequest, HttpResponse, WebSocket, WebSocketBehavior, us_socket_context_t } from 'uWebSockets.js';
import type { CompiledApp } from './compile-app.ts';
import type { WebSocketRouteDef } from './decorators.ts';
import { describeError, errorBody } from './error-mapping.ts';
import { statusLine } from './exchange.ts';
import { jsonReplacer } from './response.ts';
import type { HttpLogger, WebSocketEvent } from './types.ts';

export interface WsLimits {
  maxBackpressure: number;
  maxPayloadLength: number;
  maxQueued: number;
  drainTimeoutMs: number;
}

export interface WsLookup {
  app: CompiledApp;
  route: WebSocketRouteDef;
  params: Record<string, string>;
}

interface Connection {
  id: string;
  lookup: WsLookup;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  path: string;
  start: number;
  ws: WebSocket<UserData> | undefined;
  closed: boolean;
  queue: WebSocketEvent[];
  running: boolean;
  controller: AbortController;
  onDrain: (() => void) | undefined;
}

interface UserData {
  conn: Connection;
}

const CLOSE_TIMEOUT_MS = 10_000;

export class WebSocketBridge {
  readonly #conns = new Set<Connection>();
  readonly #limits: WsLimits;
  readonly #logger: HttpLogger;
  readonly #find: (path: string) => WsLookup | undefined;
  readonly #parseQuery: (qs: string) => Record<string, string | string[]>;
  readonly #nextId: () => string;
  #draining = false;

  constructor(opts: {
    limits: WsLimits;
    logger: HttpLogger;
    find: (path: string) => WsLookup | undefined;
    parseQuery: (qs: string) => Record<string, string | string[]>;
    nextId: () => string;
  }) {
    this.#limits = opts.limits;
    this.#logger = opts.logger;
    this.#find = opts.find;
    this.#parseQuery = opts.parseQuery;
    this.#nextId = opts.nextId;
  }

  get size(): number {
    return this.#conns.size;
  }

  behavior(): WebSocketBehavior<UserData> {
    return {
      maxPayloadLength: this.#limits.maxPayloadLength,
      maxBackpressure: this.#limits.maxBackpressure,
      closeOnBackpressureLimit: 0,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => this.#upgrade(res, req, context),
      open: (ws) => {
        const conn = ws.getUserData().conn;
        conn.ws = ws;
        this.#conns.add(conn);
        this.#logger.access({
          time: new Date().toISOString(), requestId: conn.id, app: conn.lookup.app.mounted.name,
          deployment: conn.lookup.app.mounted.deploymentName, replica: undefined, method: 'GET', path: conn.path,
          status: 101, latencyMs: Math.round((performance.now() - conn.start) * 1000) / 1000,
        });
        this.#enqueue(conn, this.#event(conn, 'open'));
      },
      message: (ws, message, isBinary) => {
        const conn = ws.getUserData().conn;
        if (conn.closed) return;
        if (conn.queue.length >= this.#limits.maxQueued) {
          ws.end(1013, 'too many messages waiting; slow down');
          return;
        }
        const event = this.#event(conn, 'message');
        // The ArrayBuffer is only valid during this callback: copy it out.
        event.data = isBinary ? new Uint8Array(message.slice(0)) : Buffer.from(message).toString('utf8');
        event.isBinary = isBinary;
        this.#enqueue(conn, event);
      },
      drain: (ws) => {
        const conn = ws.getUserData().conn;
        if (ws.getBufferedAmount() < this.#limits.maxBackpressure / 2) conn.onDrain?.();
      },
      close: (ws, code) => {
        const conn = ws.getUserData().conn;
        conn.closed = true;
        conn.ws = undefined;
        this.#conns.delete(conn);
        conn.onDrain?.();
        const event = this.#event(conn, 'close');
        event.code = code;
        // The close event is always delivered, even when the queue is full: user code frees state on it.
        conn.queue.push(event);
        void this.#pump(conn);
      },
    };
  }

  /** Shutdown: tell every client we are going away (1001). */
  closeAll(): void {
    this.#draining = true;
    for (const conn of [...this.#conns]) conn.ws?.end(1001, 'server shutting down');
  }

  #upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    const path = req.getUrl();
    const headers: Record<string, string> = {};
    req.forEach((k, v) => {
      headers[k] = v;
    });
    const qs = req.getQuery() ?? '';
    const id = this.#nextId();
    const lookup = this.#draining ? undefined : this.#find(path);
    if (!lookup) {
      const status = this.#draining ? 503 : 404;
      const reply = { status, code: this.#draining ? 'TROUPE_ERR_SHUTTING_DOWN' : 'TROUPE_ERR_ROUTE_NOT_FOUND',
        message: this.#draining ? 'the server is shutting down' : `no WebSocket route for ${path}`, details: {}, headers: undefined, internal: false };
      res.cork(() => {
        res.writeStatus(statusLine(status)).writeHeader('x-request-id', id).writeHeader('content-type', 'application/json')
          .end(errorBody(reply, id), true);
      });
      return;
    }
    const conn: Connection = {
      id, lookup, query: qs ? this.#parseQuery(qs) : {}, headers, path, start: performance.now(), ws: undefined,
      closed: false, queue: [], running: false, controller: new AbortController(), onDrain: undefined,
    };
    res.upgrade<UserData>({ conn }, headers['sec-websocket-key'] ?? '', headers['sec-websocket-protocol'] ?? '',
      headers['sec-websocket-extensions'] ?? '', context);
  }

  #event(conn: Connection, type: WebSocketEvent['type']): WebSocketEvent {
    return { type, connectionId: conn.id, params: conn.lookup.params, query: conn.query, headers: conn.headers };
  }

  #enqueue(conn: Connection, event: WebSocketEvent): void {
    conn.queue.push(event);
    void this.#pump(conn);
  }

  async #pump(conn: Connection): Promise<void> {
    if (conn.running) return;
    conn.running = true;
    const { app, route } = conn.lookup;
    const target = app.mounted.target;
    let seq = 0;
    while (conn.queue.length) {
      const event = conn.queue.shift()!;
      // The close call must run to its end (user code frees state there): it gets its own signal.
      const signal = event.type === 'close' ? AbortSignal.timeout(CLOSE_TIMEOUT_MS) : conn.controller.signal;
      const opts = { signal, cancel: signal, requestId: `${conn.id}.${seq++}` };
      try {
        if (route.streaming) {
          for await (const value of target.stream(route.methodName, [event], opts)) {
            if (!(await this.#send(conn, value))) break;
          }
        } else {
          const value = await target.call(route.methodName, [event], opts);
          if (value !== undefined && value !== null) await this.#send(conn, value);
        }
      } catch (err) {
        const reply = describeError(err);
        if (reply.internal) {
          this.#logger.error('websocket handler failed', {
            requestId: opts.requestId, app: app.mounted.name, path: conn.path, event: event.type,
            error: { name: (err as Error)?.name, message: reply.message, code: reply.code, stack: (err as Error)?.stack },
          });
        }
        if (!conn.closed && reply.status !== 0) conn.ws?.end(1011, reply.message.slice(0, 120));
      }
    }
    conn.running = false;
    if (conn.closed) conn.controller.abort(new Error('websocket closed'));
  }

  /** Sends one value; false when the connection is gone (or was closed for being too slow). */
  async #send(conn: Connection, value: unknown): Promise<boolean> {
    const ws = conn.ws;
    if (conn.closed || !ws) return false;
    const [data, isBinary] = encodeFrame(value);
    // uWS: 1 sent, 0 buffered (backpressure building), 2 dropped (past maxBackpressure).
    const result = ws.send(data, isBinary);
    if (result === 2) {
      ws.end(1008, 'client too slow: send buffer full');
      return false;
    }
    if (ws.getBufferedAmount() < this.#limits.maxBackpressure / 2) return true;
    // Backpressure: wait for the client to read before producing more.
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.#limits.drainTimeoutMs);
      conn.onDrain = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    conn.onDrain = undefined;
    if (conn.closed) return false;
    if (!drained) {
      conn.ws?.end(1008, 'client too slow: did not read in time');
      return false;
    }
    return true;
  }
}

function encodeFrame(value: unknown): [string | Uint8Array, boolean] {
  if (typeof value === 'string') return [value, false];
  if (value instanceof Uint8Array) return [value, true];
  if (ArrayBuffer.isView(value)) return [new Uint8Array(value.buffer, value.byteOffset, value.byteLength), true];
  return [JSON.stringify(value, jsonReplacer), false];
}
