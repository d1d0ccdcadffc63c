// The W3C traceparent as the proxy reads it, the carrier a call takes across threads, and the call codec's
// compact frame carrying it.
import t from 'tap';
import { decodeMessages, encodeMessages } from '../../src/core/codec.ts';
import {
  carrierRequestId, carrierTraceId, carrierTraceparent, isCarrier, parseTraceparent, traceCarrier, traceInfo,
} from '../../src/observability/index.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

t.test('traceparent: valid ones parsed, the rest refused', async t => {
  t.same(parseTraceparent(`00-${TRACE}-${SPAN}-01`), { traceId: TRACE, parentId: SPAN, flags: '01' });
  t.same(parseTraceparent(`01-${TRACE}-${SPAN}-00-future-part`), { traceId: TRACE, parentId: SPAN, flags: '00' }, 'a later version may add parts');
  for (const bad of [
    undefined, '', 'garbage', `00-${TRACE}-${SPAN}`, `00-${TRACE.toUpperCase()}-${SPAN}-01`, `ff-${TRACE}-${SPAN}-01`,
    `00-${'0'.repeat(32)}-${SPAN}-01`, `00-${TRACE}-${'0'.repeat(16)}-01`, `00-${TRACE}-${SPAN}-01-extra`,
  ]) t.equal(parseTraceparent(bad), undefined, `refused: ${JSON.stringify(bad)}`);
});

t.test('the carrier: a new span under the incoming trace, or a new trace; the request id after it', async t => {
  const kept = traceCarrier(`00-${TRACE}-${SPAN}-01`, 'req-1');
  t.equal(carrierTraceId(kept), TRACE);
  t.equal(carrierRequestId(kept), 'req-1');
  t.match(carrierTraceparent(kept), new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
  t.not(traceInfo(kept).spanId, SPAN);
  const made = traceCarrier(undefined, 'abc-2');
  t.match(carrierTraceparent(made), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  t.not(carrierTraceId(made), carrierTraceId(traceCarrier(undefined, 'abc-2')), 'a new trace id each time');
  t.ok(isCarrier(made));
  t.notOk(isCarrier('00-short'));
  t.notOk(isCarrier(42));
});

t.test('a call with a trace goes compact and arrives with it', async t => {
  const tc = traceCarrier(`00-${TRACE}-${SPAN}-01`, 'req-9');
  const batch = [
    { t: 'call', id: 1, m: 'predict', a: [1], tc },
    { t: 'call', id: 2, m: 'predict', a: [2], mm: 'model-a', tc },
    { t: 'call', id: 3, m: 'tokens', a: [], s: 1, tc },
    { t: 'call', id: 4, m: 'predict', a: [3] },
  ];
  const { frame } = encodeMessages(batch, null);
  t.equal(frame.bytes[0], 0xc1, 'a compact frame');
  const out = decodeMessages(frame) as any[];
  t.same(out, batch);
  t.notOk('tc' in out[3], 'a call without one gets no tc field');
  // A carrier the compact frame cannot hold (a non-ASCII request id) goes through msgpackr, intact.
  const wide = { t: 'call', id: 5, m: 'predict', a: [], tc: traceCarrier(undefined, 'réq') };
  const w = encodeMessages([wide], null).frame;
  t.not(w.bytes[0], 0xc1);
  t.same(decodeMessages(w), [wide]);
});
