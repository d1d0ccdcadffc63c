// troupe-server.ts that runs a full garbage collection when sent SIGUSR2, for gc-check.sh.
// Usage: node --expose-gc --import tsx bench/http-noop/troupe-server-gc.ts REPLICAS [--no-access-log]
process.on('SIGUSR2', () => (globalThis as { gc?: () => void }).gc?.());
await import('./troupe-server.ts');
