// The narrow contract between the proxy (layer 4) and whatever runs the application (the serve core, layer 3).
// Values that cross it must survive msgpack and structured clone: plain data, typed arrays, no functions.
import type { ObjectStore } from '../store/index.ts';
import type { HttpLogger } from '../observability/index.ts';

/** What a target needs of a cancellation signal; an AbortSignal has it too. */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: (() => void) | { handleEvent(): void }): void;
  removeEventListener(type: 'abort', listener: (() => void) | { handleEvent(): void }): void;
}

export interface CallOptions {
  /** Aborted when the client goes away or the proxy's timeout fires: the replica call must be cancelled.
   * Made when first read (on Node 20 an AbortSignal costs as much as the rest of a no-op request). */
  readonly signal: AbortSignal;
  /** The same abort as a light object: what a target that only listens for it should use. */
  readonly cancel: CancelSignal;
  requestId: string;
  /** Optional: the target reports which replica took the call, for the access log (call it as a method). */
  onReplica?(replicaId: string): void;
  /** The request's `x-troupe-model-id` header: the @multiplexed model the call is for. Undefined when absent or empty. */
  readonly multiplexedModelId?: string;
  /** The request's trace carrier (request id and W3C traceparent): the target passes it on with its call. */
  readonly trace?: string;
}

export interface IngressTarget {
  /** Calls a method of the application's ingress deployment (on some replica) with msgpack-able args. */
  call(method: string, args: unknown[], opts: CallOptions): Promise<unknown>;
  /** Same, for an async generator method: yields its values; aborting the signal cancels it on the replica. */
  stream(method: string, args: unknown[], opts: CallOptions): AsyncIterable<unknown>;
}

export interface MountedApp {
  name: string;
  /** '/' or '/api' ...; the longest prefix wins. */
  routePrefix: string;
  /** For the access log. */
  deploymentName: string;
  /** The user's class: route metadata is read from it with routesOf(cls). Undefined → `__call__(request)`. */
  ingressClass: Function | undefined;
  target: IngressTarget;
  /** For /-/healthz. */
  isReady(): boolean;
}

/** A JSON Schema object; TypeBox schemas are JSON Schema objects too. */
export type JsonSchema = Record<string, unknown> | boolean;

/** An uploaded file of a multipart/form-data body. */
export interface UploadedFile {
  filename: string;
  contentType: string;
  data: Uint8Array;
}

/**
 * What a route method of an `@ingress` class receives as its one argument. `body` is the validated JSON value,
 * the raw bytes (binary content types), the text (text/*), or an object of fields (forms and multipart, where
 * each file field is an UploadedFile).
 */
export interface RouteInput<Body = unknown, Query = Record<string, unknown>, Params = Record<string, string>> {
  body: Body;
  query: Query;
  params: Params;
  /** Lower-case header names. */
  headers: Record<string, string>;
  requestId: string;
  method: string;
  path: string;
  contentType: string;
}

/** What a deployment without `@ingress` receives as `__call__(request)` (Ray's Starlette request, as plain data). */
export interface RequestRecord {
  method: string;
  /** The path below the application's route prefix, starting with '/'. */
  path: string;
  /** The raw query string, parsed: a repeated key becomes an array. */
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: Uint8Array;
  params: Record<string, string>;
  requestId: string;
}

/** One event of a `@websocket` route: the method is called once per event, in order, per connection. */
export interface WebSocketEvent {
  type: 'open' | 'message' | 'close';
  /** Stable for the life of the connection: key per-connection state on it. */
  connectionId: string;
  /** For 'message': a string for a text frame, bytes for a binary frame. */
  data?: string | Uint8Array;
  isBinary?: boolean;
  /** For 'close'. */
  code?: number;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
}

// The access entry and the proxy's logger interface live with the logger (src/observability/).
export type { AccessLogEntry, HttpLogger } from '../observability/index.ts';

export interface HttpProxyOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8000; 0 picks a free port (listen() reports it). */
  port?: number;
  /** Default 10 MiB; reading stops as soon as a body goes past it (413). */
  maxBodyBytes?: number;
  /** Default 60 s: a unary call (or a stream's first value) past it answers 504 and is cancelled. */
  requestTimeoutMs?: number;
  /** Serve the route listing (handler and deployment names) at /-/routes on this port too. Default false: it is
   *  on the admin API (GET /api/routes). */
  publicRoutes?: boolean;
  /** Default: the process's logging settings (text on a terminal, JSON lines otherwise; access on stdout, errors on stderr). */
  logger?: HttpLogger;
  /** Per WebSocket: bytes buffered toward a slow client before it is closed (1008). Default 1 MiB. */
  wsMaxBackpressure?: number;
  /** Per WebSocket: largest incoming message. Default 1 MiB. */
  wsMaxPayloadLength?: number;
  /** Per WebSocket: how long replies wait for a slow client to read before it is closed (1008). Default 30 s. */
  wsDrainTimeoutMs?: number;
  /** Per WebSocket: incoming messages waiting for the replica before the client is closed (1013). Default 64. */
  wsMaxQueuedMessages?: number;
  /** The object store of the runtime the targets call into (serve passes its runtime's). A body with a
   * content-length of at least its inline threshold is read straight into its arena: no buffer per request,
   * and the replica gets the same memory (no copy). Without it, or when the arena is full, bodies are read
   * into ordinary buffers. */
  objectStore?: ObjectStore;
}
