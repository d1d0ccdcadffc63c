// The CLI's side of the admin API: plain node:http (a deploy may take minutes; fetch would give up on its
// answer after five), the token from TROUPE_ADMIN_TOKEN, and errors that say what to do.
import { request } from 'node:http';
import { DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT } from '../admin/index.ts';

export class AdminClientError extends Error {
  constructor(message: string, readonly status?: number, readonly body?: unknown) {
    super(message);
  }
}

export interface AdminClient {
  address: string;
  call<T = any>(method: string, path: string, options?: { body?: string; headers?: Record<string, string> }): Promise<T>;
}

export function defaultAdminAddress(): string {
  return process.env.TROUPE_ADMIN_ADDRESS || `http://${DEFAULT_ADMIN_HOST}:${DEFAULT_ADMIN_PORT}`;
}

export function adminClient(address = defaultAdminAddress(), token = process.env.TROUPE_ADMIN_TOKEN): AdminClient {
  const base = new URL(/^https?:\/\//.test(address) ? address : `http://${address}`);
  const shown = base.origin;
  return {
    address: shown,
    call(method, path, options = {}) {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string | number> = { accept: 'application/json', ...options.headers };
        if (token) headers.authorization = `Bearer ${token}`;
        if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
        const req = request(new URL(path, base), { method, headers }, res => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: any;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = text;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(body);
            const message = body?.error?.message ?? `${method} ${path} answered ${status}: ${text.slice(0, 200)}`;
            reject(new AdminClientError(message, status, body));
          });
          res.on('error', reject);
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNREFUSED' || err.code === 'ENOTFOUND' || err.code === 'EHOSTUNREACH') {
            reject(new AdminClientError(`no troupe server answers at ${shown} (${err.code}): start one with troupe run, or point --address (or TROUPE_ADMIN_ADDRESS) at its admin API`));
          } else if (err.code === 'ECONNRESET') {
            reject(new AdminClientError(`the troupe server at ${shown} closed the connection before answering (did it stop?)`));
          } else reject(new AdminClientError(`cannot reach ${shown}: ${err.message}`));
        });
        if (options.body !== undefined) req.end(options.body);
        else req.end();
      });
    },
  };
}
