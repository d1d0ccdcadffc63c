// The OCR pipeline as one plain single-process HTTP server: what a user writes
// without troupe (node:http, ONNX Runtime called on the event-loop thread). It is
// the baseline the troupe-served pipeline has to beat.
//
//   node --import tsx bench/ocr/baseline-server.ts [--port=0] [--host=127.0.0.1] [--threads=N]
//
// POST /ocr with the raw image as body → [{ text, confidence, box }]; GET /health.
// Prints `listening http://HOST:PORT` when ready; SIGTERM/SIGINT stop it cleanly.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defaultDecodeLimits, OcrPipeline } from '../../examples/ocr/index.ts';

export interface BaselineServerOptions {
  host?: string;
  port?: number;
  /** ONNX Runtime intra-op threads per model. Default: one per core, as ORT does when nobody sets it. */
  threads?: number;
  maxBytes?: number;
}

export interface BaselineServer {
  url: string;
  close(): Promise<void>;
}

export async function startBaselineServer(options: BaselineServerOptions = {}): Promise<BaselineServer> {
  const threads = options.threads ?? availableParallelism();
  const maxBytes = options.maxBytes ?? defaultDecodeLimits.maxBytes;
  const pipeline = await OcrPipeline.load({ numCpus: threads, decode: { maxBytes } });

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, { error: 'internal', message: String(err?.message ?? err) }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') return send(res, 200, { status: 'ok' });
    if (path !== '/ocr') return send(res, 404, { error: 'not_found', message: `no route ${req.method} ${path}` });
    if (req.method !== 'POST') return send(res, 405, { error: 'method_not_allowed', message: 'POST the image bytes to /ocr' });
    const body = await readBody(req, maxBytes);
    if (body === undefined) {
      // Answer, then drop the connection rather than read the rest of an oversized body.
      res.once('finish', () => req.destroy());
      send(res, 413, { error: 'TROUPE_ERR_IMAGE_TOO_LARGE', message: `the body is larger than ${maxBytes} bytes` }, { connection: 'close' });
      return;
    }
    try {
      send(res, 200, await pipeline.run(body));
    } catch (err: any) {
      const status = typeof err?.details?.status === 'number' ? err.details.status : 500;
      send(res, status, { error: err?.code ?? 'internal', message: String(err?.message ?? err) });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pipeline.dispose();
    },
  };
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > maxBytes) return resolve(undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const server = await startBaselineServer({
    host: flag('host'),
    port: flag('port') === undefined ? 0 : Number(flag('port')),
    threads: flag('threads') === undefined ? undefined : Number(flag('threads')),
  });
  console.log(`listening ${server.url}`);
  const stop = () => {
    server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
