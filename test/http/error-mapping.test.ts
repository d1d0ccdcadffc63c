import t from 'tap';
import { describeError } from '../../src/http/error-mapping.ts';
import { HttpError } from '../../src/http/index.ts';
import { BackPressureError, BatchQueueFullError, DeploymentGoneError, ReplicaDiedError } from '../../src/serve/index.ts';
import { fromErrorRecord, toErrorRecord } from '../../src/errors/index.ts';

// Errors come back from replicas rebuilt from records: map what crossed a thread, as the proxy sees it.
const crossed = (err: Error) => fromErrorRecord(structuredClone(toErrorRecord(err)));

t.test('overloaded: 503 with Retry-After, for the router queue and for a @batch queue', async (t) => {
  for (const err of [new BackPressureError('app/Model', 100, 100), new BatchQueueFullError('classify', 64)]) {
    const reply = describeError(crossed(err));
    t.equal(reply.status, 503, err.name);
    t.same(reply.headers, { 'retry-after': '1' });
    t.equal(reply.internal, false, 'not logged as a fault');
    t.match(reply.message, /retry later/i, 'the message says what to do');
  }
});

t.test('no replica and a replica that died: 503 without Retry-After', async (t) => {
  for (const err of [new DeploymentGoneError('app/Model'), new ReplicaDiedError('app/Model', 'replica-1', new Error('gone'))]) {
    const reply = describeError(crossed(err));
    t.equal(reply.status, 503, err.name);
    t.equal(reply.headers, undefined);
  }
});

t.test('anything else from user code is a 500 logged with its stack', async (t) => {
  const reply = describeError(crossed(new TypeError('x is not a function')));
  t.equal(reply.status, 500);
  t.equal(reply.code, 'TROUPE_ERR_INTERNAL');
  t.equal(reply.internal, true);
});

t.test('an unexpected error answers a generic message; HttpErrors keep theirs; TROUPE_EXPOSE_ERRORS shows it', async (t) => {
  const before = process.env.TROUPE_EXPOSE_ERRORS;
  t.teardown(() => {
    if (before === undefined) delete process.env.TROUPE_EXPOSE_ERRORS;
    else process.env.TROUPE_EXPOSE_ERRORS = before;
  });
  delete process.env.TROUPE_EXPOSE_ERRORS;
  const secret = describeError(crossed(new Error('secret internal detail')));
  t.equal(secret.status, 500);
  t.notMatch(secret.message, /secret/);
  t.match(secret.message, /requestId/, 'it says where the details are');
  const onPurpose = describeError(crossed(new HttpError(503, 'maintenance until 14:00')));
  t.equal(onPurpose.message, 'maintenance until 14:00', 'an HttpError raised on purpose keeps its message');
  process.env.TROUPE_EXPOSE_ERRORS = '1';
  t.equal(describeError(crossed(new Error('secret internal detail'))).message, 'secret internal detail', 'the development opt-in');
});
