// The logger's output: JSON lines when asked, readable text otherwise; levels; bad settings refused with a
// clear error; the access line (its byte fast path) with the trace id, in either format.
import t from 'tap';
import {
  configureLogging, httpLogger, logger, loggingSettings, setLogOutput, textLine, writeAccessLine, accessLineBound,
} from '../../src/observability/index.ts';
import { resolveOptions } from '../../src/serve/index.ts';

const before = loggingSettings();

function capture(t: { teardown(fn: () => void): void }): Array<{ text: string; isError: boolean }> {
  const out: Array<{ text: string; isError: boolean }> = [];
  setLogOutput((text, isError) => out.push({ text, isError }));
  t.teardown(() => {
    setLogOutput(undefined);
    configureLogging(before);
  });
  return out;
}

t.test('JSON: one object a line, level by name, ISO time, the fields given', async t => {
  const out = capture(t);
  configureLogging({ format: 'json', level: 'info' });
  logger().info({ user: 'ada', n: 2 }, 'hello');
  logger({ part: 'x' }).error('broke');
  t.equal(out.length, 2);
  const rec = JSON.parse(out[0]!.text);
  t.match(rec, { level: 'info', msg: 'hello', user: 'ada', n: 2 });
  t.match(rec.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.notOk('pid' in rec || 'hostname' in rec, 'no pid or hostname noise');
  t.equal(out[0]!.isError, false);
  t.match(JSON.parse(out[1]!.text), { level: 'error', msg: 'broke', part: 'x' });
  t.equal(out[1]!.isError, true, 'errors go to stderr');
});

t.test('text: time, level, message, then key=value', async t => {
  const out = capture(t);
  configureLogging({ format: 'text' });
  logger().warn({ user: 'ada lovelace', n: 2 }, 'careful');
  t.match(out[0]!.text, /^\d{4}-\d\d-\d\dT[\d:.]+Z WARN  careful user="ada lovelace" n=2\n$/);
  const err = textLine(JSON.stringify({ level: 'error', time: 'T', msg: 'boom', err: { stack: 'Error: boom\n    at x' } }));
  t.equal(err, 'T ERROR boom\nError: boom\n    at x\n', "an error's stack on its own lines");
  t.equal(textLine('not json'), 'not json\n', 'a line that is not JSON passes as it is');
});

t.test('levels: below the level nothing is written; bad levels and formats refused', async t => {
  const out = capture(t);
  configureLogging({ format: 'json', level: 'warn' });
  logger().info('quiet');
  logger().debug('quieter');
  logger().warn('loud');
  t.same(out.map(o => JSON.parse(o.text).msg), ['loud']);
  t.equal(process.env.TROUPE_LOG_LEVEL, 'warn', 'threads started later inherit it');
  t.throws(() => configureLogging({ level: 'verbose' as any }), { code: 'TROUPE_ERR_LOGGING_OPTION', message: /must be one of trace, debug, info/ });
  t.throws(() => configureLogging({ format: 'xml' as any }), { code: 'TROUPE_ERR_LOGGING_OPTION' });
  t.equal(loggingSettings().level, 'warn', 'a refused setting changes nothing');
});

t.test("a deployment's logLevel: checked, kept in its resolved options", async t => {
  t.equal(resolveOptions('Api', { logLevel: 'debug' }).logLevel, 'debug');
  t.equal(resolveOptions('Api', {}).logLevel, undefined, "none: the process's level");
  t.throws(() => resolveOptions('Api', { logLevel: 'chatty' as any }), { code: 'TROUPE_ERR_DEPLOYMENT_OPTION', message: /logLevel.*must be one of/ });
});

t.test('the access line: traceId on the byte path is the JSON of the entry; text shows it too', async t => {
  capture(t);
  const e = { time: '2026-01-02T03:04:05.678Z', requestId: 'r-1', app: 'a', deployment: 'a/D', replica: 'a/D#0', method: 'GET', path: '/x', status: 200, latencyMs: 1.5, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' };
  const buf = Buffer.alloc(accessLineBound(e));
  const line = buf.subarray(0, writeAccessLine(buf, 0, e)).toString();
  t.same(JSON.parse(line), { level: 'info', msg: 'access', ...e });
  const chunks: string[] = [];
  const stdout = process.stdout.write;
  process.stdout.write = ((c: string | Uint8Array) => chunks.push(String(c)) > 0) as typeof process.stdout.write;
  try {
    const text = httpLogger({ format: 'text' });
    text.access(e);
    text.error('flush', {}); // errors first let the buffered access lines out
    httpLogger({ level: 'warn' }).access(e);
    httpLogger({ format: 'text', accessLog: false }).access(e);
    text.error('flush', {});
  } finally {
    process.stdout.write = stdout;
  }
  t.match(chunks.join(''), /GET \/x 200 1\.5ms app=a deployment=a\/D replica=a\/D#0 request=r-1 trace=4bf92f3577b34da6a3ce929d0e0e4736\n/);
  t.equal(chunks.length, 1, 'at level warn, or with accessLog false, no access line');
});
