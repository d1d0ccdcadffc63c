import { createServer, type AddressInfo } from 'node:net';

/** A port free on 127.0.0.1 right now, for servers that cannot listen on 0 and report back. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
