// The HTTP proxy (layer 4): uWebSockets.js server, ingress routes, validation, OpenAPI docs, streaming, WebSockets.
export { HttpProxy } from './http-proxy.ts';
export { ingress, get, post, put, patch, del, route, websocket, routesOf } from './decorators.ts';
export { fileSchema } from './file-schema.ts';
export type { HttpMethod, IngressOptions, RouteOptions, HttpRouteDef, WebSocketRouteDef, IngressMetadata } from './decorators.ts';
export { httpResponse, isHttpResponse } from './response.ts';
export type { HttpResponseInit, HttpResponseValue } from './response.ts';
export {
  HttpError, RouteNotFoundError, MethodNotAllowedError, MalformedBodyError, ValidationError, BodyTooLargeError,
  UnsupportedMediaTypeError, RequestTimeoutError, ShuttingDownError, RouteDefinitionError, ProxyListenError, ProxyStateError,
  BadRequestFramingError,
} from './errors.ts';
export type { ValidationIssue } from './errors.ts';
export { jsonLinesLogger, silentLogger } from './logger.ts';
export type {
  IngressTarget, MountedApp, CallOptions, CancelSignal, RouteInput, RequestRecord, WebSocketEvent, UploadedFile, JsonSchema,
  AccessLogEntry, HttpLogger, HttpProxyOptions,
} from './types.ts';
