// Request and trace ids end to end: HTTP → Front → Middle → Leaf, every stage logging through logger() and
// console.*; every line carries the request's id and trace id, its application, deployment and replica; a
// deployment's logLevel applies in its replicas; GET /api/logs returns a replica's recent lines and stays bounded.
import t from 'tap';
import { serve } from '../../src/index.ts';
import { AdminServer, Deployer } from '../../src/admin/index.ts';
import { configureLogging, LINES_PER_REPLICA, logRingStats, loggingSettings, setLogOutput, type AccessLogEntry } from '../../src/observability/index.ts';
import { app } from '../fixtures/observability/trace-apps.ts';

const access: AccessLogEntry[] = [];
const written: Array<{ text: string; isError: boolean }> = [];
let base = '';
let adminBase = '';
let admin: AdminServer;
const before = loggingSettings();

t.before(async () => {
  configureLogging({ format: 'json' });
  setLogOutput((text, isError) => written.push({ text, isError }));
  await serve.start({ http: { port: 0, logger: { access: e => access.push(e), error: () => {} } } });
  await serve.run(app, { name: 'traced', routePrefix: '/t' });
  base = `http://127.0.0.1:${serve.address!.port}/t`;
  admin = new AdminServer({ port: 0, deployer: new Deployer(serve, { capacity: { cpus: 2, gpus: [], memoryMb: 8192 } }) });
  adminBase = `http://127.0.0.1:${(await admin.listen()).port}`;
});
t.teardown(async () => {
  await admin.close();
  await serve.shutdown({ timeoutMs: 2000 });
  setLogOutput(undefined);
  configureLogging(before);
});

interface Line { time: string; level: string; msg: string; application: string; deployment: string; replica: string; requestId?: string; traceId?: string }

const logs = async (query: string): Promise<{ status: number; body: any }> => {
  const res = await fetch(`${adminBase}/api/logs${query}`);
  return { status: res.status, body: await res.json() };
};

/** Lines reach the main thread a message after the response: asks again until `done` holds (no clock involved). */
async function linesUntil(query: string, done: (lines: Line[]) => boolean): Promise<Line[]> {
  for (let i = 0; ; i++) {
    const lines = (await logs(query)).body.lines as Line[];
    if (done(lines) || i >= 500) return lines;
    await new Promise(r => setImmediate(r));
  }
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

t.test('one request id and trace id on every line of a three-stage composition, an incoming trace kept', async t => {
  const res = await fetch(`${base}/chain`, { headers: { traceparent: `00-${TRACE}-${PARENT}-01`, 'x-request-id': 'req-e2e-1' } });
  t.equal(res.status, 200);
  const { leaf } = (await res.json()) as { leaf: { requestId: string; traceId: string; traceparent: string } };
  t.equal(leaf.requestId, 'req-e2e-1', "replicaContext() in the last stage has the request's id");
  t.equal(leaf.traceId, TRACE, 'and the incoming trace id');
  t.match(leaf.traceparent, new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
  t.not(leaf.traceparent.slice(36, 52), PARENT, "the proxy's span is a child of the caller's, not the caller's own");

  const expected = ['front line', 'front console error', 'middle console warning', 'leaf debug line', 'leaf console line { n: 3 }'];
  const mine = (lines: Line[]) => lines.filter(l => l.requestId === 'req-e2e-1');
  const lines = mine(await linesUntil('?application=traced&limit=1000', ls => mine(ls).length >= expected.length));
  t.same(lines.map(l => l.msg).sort(), [...expected].sort(), 'every stage logged, console included; Middle (logLevel warn) kept its info line out');
  for (const l of lines) {
    t.equal(l.traceId, TRACE, `${l.msg}: the trace id`);
    t.equal(l.application, 'traced', `${l.msg}: the application`);
    t.match(l.replica, new RegExp(`^traced/${l.deployment}#\\d+$`), `${l.msg}: the replica`);
  }
  const by = (msg: string) => lines.find(l => l.msg === msg)!;
  t.match(by('front line'), { deployment: 'Front', level: 'info' });
  t.match(by('front console error'), { deployment: 'Front', level: 'error' }, 'console.error is an error line');
  t.match(by('middle console warning'), { deployment: 'Middle', level: 'warn' });
  t.match(by('leaf debug line'), { deployment: 'Leaf', level: 'debug' }, "Leaf's logLevel debug lets debug lines through");

  const entry = access.find(e => e.requestId === 'req-e2e-1');
  t.equal(entry?.traceId, TRACE, 'the access line carries the trace id');

  // What the process wrote: the same lines as JSON, with their fields (errors on stderr).
  const out = written.map(w => ({ ...w, rec: JSON.parse(w.text) })).filter(w => w.rec.requestId === 'req-e2e-1');
  t.equal(out.length, expected.length, 'each line written once');
  t.match(out.find(w => w.rec.msg === 'front line')!.rec, { stage: 'front', application: 'traced', deployment: 'Front', traceId: TRACE }, "logger()'s child fields too");
  t.equal(out.find(w => w.rec.msg === 'front console error')!.isError, true, 'error lines go to stderr');
});

t.test('a request without a traceparent gets a new trace, the same on every stage', async t => {
  const res = await fetch(`${base}/chain`, { headers: { 'x-request-id': 'req-e2e-2', traceparent: 'not-a-traceparent' } });
  const { leaf } = (await res.json()) as { leaf: { requestId: string; traceId: string } };
  t.match(leaf.traceId, /^[0-9a-f]{32}$/);
  t.not(leaf.traceId, TRACE);
  const mine = (lines: Line[]) => lines.filter(l => l.requestId === 'req-e2e-2');
  const lines = mine(await linesUntil('?application=traced&limit=1000', ls => mine(ls).length >= 5));
  t.equal(lines.length, 5);
  t.ok(lines.every(l => l.traceId === leaf.traceId), 'one trace id on every line');
  t.equal(access.find(e => e.requestId === 'req-e2e-2')?.traceId, leaf.traceId);
});

t.test('GET /api/logs: one replica, a limit, a bounded ring, bad input refused', async t => {
  for (let i = 0; i < 2; i++) t.equal((await fetch(`${base}/chatty`)).status, 200);
  const front = await linesUntil('?deployment=Front&limit=1000', ls => ls.some(l => l.msg === 'chatty line 499') && ls.filter(l => l.msg.startsWith('chatty')).length >= LINES_PER_REPLICA);
  t.ok(front.length > 0 && front.every(l => l.deployment === 'Front'), 'only the deployment asked for');
  const replica = front[0]!.replica;
  const one = (await logs(`?replica=${encodeURIComponent(replica)}&limit=1000`)).body.lines as Line[];
  t.equal(one.length, LINES_PER_REPLICA, "a replica's ring keeps its most recent lines, no more");
  t.equal(one.at(-1)!.msg, 'chatty line 499', 'the newest last');
  t.same(Object.keys(one[0]!).sort(), ['application', 'deployment', 'level', 'msg', 'replica', 'requestId', 'time', 'traceId'].sort());
  t.equal((await logs(`?replica=${encodeURIComponent(replica)}&limit=3`)).body.lines.length, 3);
  const stats = logRingStats();
  t.ok(stats.lines <= stats.replicas * LINES_PER_REPLICA, 'memory bounded by replicas × lines');
  const bad = await logs('?limit=lots');
  t.equal(bad.status, 400);
  t.match(bad.body.error, { code: 'TROUPE_ERR_LOG_QUERY', message: /positive integer/ });
  t.same((await logs('?application=nothing-here')).body, { lines: [] });
  t.equal((await fetch(`${base}/chain`)).status, 200, 'the server keeps serving');
});
