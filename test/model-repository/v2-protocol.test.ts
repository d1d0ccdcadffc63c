// The Open Inference Protocol (KServe v2) over real HTTP, request by request as the specification writes them:
// health, metadata, JSON and binary inference (Triton's binary tensor data extension, byte layout by hand:
// no v2 client is packaged for Debian), the errors of bad input, and the repository API.
import t from 'tap';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxModel, serve } from '../../src/index.ts';
import type { AccessLogEntry } from '../../src/http/index.ts';
import { modelRepository, ModelRepositoryError } from '../../src/model-repository/index.ts';
import { makeRepository, writeModel, F32 } from './repo-fixture.ts';

const repo = makeRepository();
const access: AccessLogEntry[] = [];
let base = '';

t.before(async () => {
  await serve.start({ http: { port: 0, logger: { access: (e) => access.push(e), error() {} } } });
  // Small CPU shares, so that every replica the folder asks for is placed on a 2-core machine.
  await serve.run(modelRepository(repo.dir, { defaults: { numCpus: 0.1 } }), { name: 'models' });
  base = `http://127.0.0.1:${serve.address!.port}`;
});
t.teardown(async () => {
  await serve.shutdown({ timeoutMs: 2000 });
  repo.remove();
});

const get = async (path: string) => {
  const res = await fetch(base + path);
  return { status: res.status, body: (await res.json()) as any };
};
const postJson = async (path: string, body: unknown) => {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
};

/** A binary-extension request: the JSON header, then each tensor's bytes in order (little-endian, no padding). */
function binaryBody(header: unknown, tensors: ArrayBufferView[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  const parts = tensors.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  return { body: Buffer.concat([json, ...parts]), headerLength: json.byteLength };
}

async function postBinary(path: string, header: unknown, tensors: ArrayBufferView[], headerLength?: number | string) {
  const b = binaryBody(header, tensors);
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength ?? b.headerLength) },
    body: b.body,
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const length = res.headers.get('inference-header-content-length');
  const n = length === null ? bytes.byteLength : Number(length);
  return { status: res.status, contentType: res.headers.get('content-type'), body: JSON.parse(bytes.subarray(0, n).toString()) as any, rest: bytes.subarray(n) };
}

const floats = (b: Buffer) => Array.from(new Float32Array(Uint8Array.prototype.slice.call(b).buffer));

t.test('health and server metadata', async (t) => {
  t.same(await get('/v2/health/live'), { status: 200, body: { live: true } });
  t.same(await get('/v2/health/ready'), { status: 200, body: { ready: true } });
  const meta = await get('/v2');
  t.equal(meta.status, 200);
  t.equal(meta.body.name, 'troupe');
  t.type(meta.body.version, 'string');
  t.ok(meta.body.extensions.includes('binary_tensor_data'), 'the binary tensor data extension is announced');
});

t.test('model metadata: datatypes, shapes with -1 for open dims, versions', async (t) => {
  const add = await get('/v2/models/add');
  t.same(add, {
    status: 200,
    body: {
      name: 'add', versions: ['2', '1'], platform: 'onnxruntime_onnx',
      inputs: [{ name: 'a', datatype: 'FP32', shape: [-1, 2] }, { name: 'b', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [{ name: 'out', datatype: 'FP32', shape: [-1, 2] }],
    },
  });
  t.equal((await get('/v2/models/add/versions/1')).status, 200);
  t.same((await get('/v2/models/not')).body.inputs, [{ name: 'x', datatype: 'BOOL', shape: [-1] }]);
  t.same((await get('/v2/models/neg')).body.inputs, [{ name: 'x', datatype: 'INT64', shape: [-1] }]);
  t.same((await get('/v2/models/angle')).body.inputs, [{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] }], 'the OCR angle classifier');
  t.same(await get('/v2/models/add/ready'), { status: 200, body: { name: 'add', version: '2', ready: true } });
  t.equal((await get('/v2/models/add/versions/1/ready')).status, 200);
});

t.test('JSON inference as the specification writes it: nested or flat data, id echoed, outputs chosen', async (t) => {
  const request = {
    id: '42',
    inputs: [
      { name: 'a', shape: [2, 2], datatype: 'FP32', data: [[1, 2], [3, 4]] },
      { name: 'b', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 4] },
    ],
    outputs: [{ name: 'out' }],
  };
  t.same(await postJson('/v2/models/add/infer', request), {
    status: 200,
    body: { model_name: 'add', model_version: '2', id: '42', outputs: [{ name: 'out', datatype: 'FP32', shape: [2, 2], data: [1, 4, 9, 16] }] },
  }, 'the latest version (2: a*b)');
  const v1 = await postJson('/v2/models/add/versions/1/infer', request);
  t.same(v1.body.outputs[0].data, [2, 4, 6, 8], 'version 1 (a+b) by its path');
  t.equal(v1.body.model_version, '1');
  const neg = await postJson('/v2/models/neg/infer', { inputs: [{ name: 'x', shape: [3], datatype: 'INT64', data: [1, -2, 3] }] });
  t.same(neg.body.outputs, [{ name: 'y', datatype: 'INT64', shape: [3], data: [-1, 2, -3] }], 'INT64 as JSON numbers');
  const not = await postJson('/v2/models/not/infer', { inputs: [{ name: 'x', shape: [3], datatype: 'BOOL', data: [true, false, true] }] });
  t.same(not.body.outputs, [{ name: 'y', datatype: 'BOOL', shape: [3], data: [false, true, false] }], 'BOOL as true/false');
});

t.test('binary tensor data extension: inputs after the JSON header, outputs as binary on request', async (t) => {
  const a = new Float32Array([1, 2, 3, 4]);
  const b = new Float32Array([0.5, 0.5, 2, 2]);
  const header = {
    inputs: [
      { name: 'a', shape: [2, 2], datatype: 'FP32', parameters: { binary_data_size: 16 } },
      { name: 'b', shape: [2, 2], datatype: 'FP32', parameters: { binary_data_size: 16 } },
    ],
    outputs: [{ name: 'out', parameters: { binary_data: true } }],
  };
  const res = await postBinary('/v2/models/add/infer', header, [a, b]);
  t.equal(res.status, 200);
  t.equal(res.contentType, 'application/octet-stream');
  t.same(res.body.outputs, [{ name: 'out', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 16 } }]);
  t.same(floats(res.rest), [0.5, 1, 6, 8], 'the output bytes follow the header');

  const jsonOut = await postBinary('/v2/models/add/infer', { inputs: header.inputs }, [a, b]);
  t.same(jsonOut.body.outputs[0].data, [0.5, 1, 6, 8], 'binary in, JSON out when binary output is not asked for');
  const all = await postBinary('/v2/models/add/infer', { inputs: header.inputs, parameters: { binary_data_output: true } }, [a, b]);
  t.same(floats(all.rest), [0.5, 1, 6, 8], 'binary_data_output: true makes every output binary');

  // The specification's example mixes binary and JSON inputs, and BOOL goes as one byte per element.
  const mixed = await postBinary('/v2/models/add/infer', {
    inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } }, { name: 'b', shape: [1, 2], datatype: 'FP32', data: [3, 3] }],
  }, [new Float32Array([1, 2])]);
  t.same(mixed.body.outputs[0].data, [3, 6]);
  const not = await postBinary('/v2/models/not/infer', {
    inputs: [{ name: 'x', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } }], outputs: [{ name: 'y', parameters: { binary_data: true } }],
  }, [Uint8Array.from([1, 0, 1])]);
  t.same([...not.rest], [0, 1, 0]);
});

t.test('concurrent requests are batched and each gets its own rows back', async (t) => {
  const results = await Promise.all(
    Array.from({ length: 24 }, (_, i) =>
      postJson('/v2/models/add/versions/1/infer', {
        inputs: [
          { name: 'a', shape: [1 + (i % 3), 2], datatype: 'FP32', data: Array.from({ length: 2 * (1 + (i % 3)) }, () => i) },
          { name: 'b', shape: [1 + (i % 3), 2], datatype: 'FP32', data: Array.from({ length: 2 * (1 + (i % 3)) }, () => 1000) },
        ],
      })),
  );
  results.forEach((r, i) => t.same(r.body.outputs?.[0], { name: 'out', datatype: 'FP32', shape: [1 + (i % 3), 2], data: Array.from({ length: 2 * (1 + (i % 3)) }, () => 1000 + i) }, `request ${i}`));
  const fixed = await Promise.all([1, 2, 3, 4].map((k) => postJson('/v2/models/fixed/infer', { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [k, -k, k, -k] }] })));
  fixed.forEach((r, i) => t.same(r.body.outputs[0].data, [i + 1, 0, i + 1, 0], 'a model with a fixed first dim runs each request alone'));
});

t.test('the OCR angle classifier through binary infer gives what ONNX Runtime gives', async (t) => {
  const x = Float32Array.from({ length: 2 * 3 * 48 * 192 }, (_, i) => Math.sin(i) * 0.5);
  const model = await OnnxModel.load(join(repo.dir, 'angle', '1', 'model.onnx'), { warmup: false });
  t.teardown(() => model.dispose());
  const want = Array.from((await model.run({ x: { dtype: 'float32', shape: [2, 3, 48, 192], data: x } }))['softmax_0.tmp_0']!.data as Float32Array);
  // Ids of 1 to 8 characters put the tensor at every offset modulo 8 after the JSON header, one after another
  // (a lone request) and all at once (one batch gathered from the bodies).
  const send = (pad: number) => postBinary('/v2/models/angle/infer', {
    id: 'x'.repeat(pad),
    inputs: [{ name: 'x', shape: [2, 3, 48, 192], datatype: 'FP32', parameters: { binary_data_size: x.byteLength } }],
    outputs: [{ name: 'softmax_0.tmp_0', parameters: { binary_data: true } }],
  }, [x]);
  const pads = [1, 2, 3, 4, 5, 6, 7, 8];
  const results = [...(await pads.reduce(async (acc, pad) => [...(await acc), await send(pad)], Promise.resolve([] as Awaited<ReturnType<typeof send>>[]))), ...(await Promise.all(pads.map(send)))];
  for (const [k, res] of results.entries()) {
    t.equal(res.status, 200);
    t.same(res.body.outputs[0].shape, [2, 2]);
    const got = floats(res.rest);
    t.ok(got.every((v, i) => Math.abs(v - want[i]!) < 1e-5), `request ${k}: [${got.join(', ')}] is ORT's [${want.join(', ')}]`);
  }
});

t.test('bad input: v2 errors with 400 or 404, and the models keep serving', async (t) => {
  const ok = { name: 'b', shape: [1, 2], datatype: 'FP32', data: [1, 1] };
  const cases: [string, string, unknown, number, RegExp][] = [
    ['datatype', '/v2/models/add/infer', { inputs: [{ name: 'a', shape: [1, 2], datatype: 'INT32', data: [1, 2] }, ok] }, 400, /datatype "INT32".*expects FP32/],
    ['rank', '/v2/models/add/infer', { inputs: [{ name: 'a', shape: [2], datatype: 'FP32', data: [1, 2] }, ok] }, 400, /expects \[-1, 2\]/],
    ['fixed dim', '/v2/models/add/infer', { inputs: [{ name: 'a', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }, ok] }, 400, /dim 1 is 2/],
    ['element count', '/v2/models/add/infer', { inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', data: [1, 2, 3] }, ok] }, 400, /3 elements/],
    ['element type', '/v2/models/add/infer', { inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', data: [1, 'x'] }, ok] }, 400, /element 1/],
    ['shared dim', '/v2/models/add/infer', { inputs: [{ name: 'a', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 4] }, ok] }, 400, /same dim/],
    ['missing input', '/v2/models/add/infer', { inputs: [ok] }, 400, /"a" is missing/],
    ['unknown input', '/v2/models/add/infer', { inputs: [ok, { name: 'c', shape: [1], datatype: 'FP32', data: [1] }] }, 400, /no input "c"/],
    ['unknown output', '/v2/models/add/infer', { inputs: [{ ...ok, name: 'a' }, ok], outputs: [{ name: 'nope' }] }, 400, /no output "nope"/],
    ['no inputs', '/v2/models/add/infer', { id: '1' }, 400, /needs "inputs"/],
    ['unknown model', '/v2/models/nope/infer', { inputs: [] }, 404, /no model "nope"/],
    ['unknown version', '/v2/models/add/versions/7/infer', { inputs: [] }, 404, /no version 7/],
    ['not ONNX', '/v2/models/broken/infer', { inputs: [] }, 400, /not a valid ONNX model/],
  ];
  for (const [what, path, body, status, message] of cases) {
    const res = await postJson(path, body);
    t.equal(res.status, status, `${what}: status`);
    t.match(res.body, { error: message }, `${what}: { "error": "..." }`);
    t.type(res.body.error, 'string');
  }
  const a = new Float32Array([1, 2]);
  const header = { inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } }, ok] };
  const past = await postBinary('/v2/models/add/infer', header, [a], 10_000);
  t.match(past, { status: 400, body: { error: /Inference-Header-Content-Length is 10000 but the body has/ } }, 'a header length past the body');
  const short = await postBinary('/v2/models/add/infer', { inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } }, ok] }, [new Float32Array([1])]);
  t.match(short, { status: 400, body: { error: /run past the end of the body/ } }, 'binary data shorter than binary_data_size');
  const size = await postBinary('/v2/models/add/infer', { inputs: [{ name: 'a', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 4 } }, ok] }, [new Float32Array([1])]);
  t.match(size, { status: 400, body: { error: /binary_data_size is 4 bytes but FP32 \[1, 2\] needs 8/ } });
  const extra = await postBinary('/v2/models/add/infer', header, [a, new Float32Array([9])]);
  t.match(extra, { status: 400, body: { error: /4 bytes after the last binary input/ } });
  const garbage = await postBinary('/v2/models/add/infer', header, [a], 5);
  t.match(garbage, { status: 400, body: { error: /not valid JSON/ } }, 'a header length that cuts the JSON');
  t.equal((await get('/v2/models/add/versions/9')).status, 404);
  t.equal((await get('/v2/models/nope/ready')).status, 404);
  t.match(await get('/v2/models/broken/ready'), { status: 400, body: { error: /not ready/ } });
  const still = await postJson('/v2/models/add/infer', { inputs: [{ ...ok, name: 'a' }, ok] });
  t.same(still.body.outputs[0].data, [1, 1], 'the server still serves');
});

t.test('repository API: index, unload, load again, and a model added without a restart', async (t) => {
  const index = await get('/v2/repository/index');
  t.equal(index.status, 200);
  t.same(index.body.filter((r: any) => r.name === 'add'), [{ name: 'add', version: '2', state: 'READY' }, { name: 'add', version: '1', state: 'READY' }]);
  t.match(index.body.find((r: any) => r.name === 'broken'), { state: 'UNAVAILABLE', reason: /not a valid ONNX model/ });
  const ready = await postJson('/v2/repository/index', { ready: true });
  t.notOk(ready.body.some((r: any) => r.state !== 'READY'), 'POST with ready: true lists only ready models');

  t.equal((await postJson('/v2/repository/models/fixed/unload', {})).status, 200);
  const infer = { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
  t.match(await postJson('/v2/models/fixed/infer', infer), { status: 400, body: { error: /unloaded/ } });
  t.match((await get('/v2/repository/index')).body.find((r: any) => r.name === 'fixed'), { state: 'UNAVAILABLE', reason: 'unloaded' });
  t.equal((await postJson('/v2/repository/models/fixed/load', {})).status, 200);
  t.same((await postJson('/v2/models/fixed/infer', infer)).body.outputs[0].data, [1, 2, 3, 4], 'serves again after load');

  writeModel(repo.dir, 'late', 1, { op: 'Abs', inputs: [{ name: 'x', elemType: F32, shape: ['N'] }], outputs: [{ name: 'y', elemType: F32, shape: ['N'] }] });
  t.equal((await postJson('/v2/models/late/infer', { inputs: [] })).status, 404, 'not served before it is loaded');
  t.match((await get('/v2/repository/index')).body.find((r: any) => r.name === 'late'), { state: 'UNAVAILABLE', reason: 'not loaded' });
  t.same(await postJson('/v2/repository/models/late/load', {}), { status: 200, body: {} });
  t.same((await postJson('/v2/models/late/infer', { inputs: [{ name: 'x', shape: [2], datatype: 'FP32', data: [-3, 4] }] })).body.outputs[0].data, [3, 4]);

  cpSync(join(repo.dir, 'add', '1'), join(repo.dir, 'add', '3'), { recursive: true });
  t.equal((await postJson('/v2/repository/models/add/load', {})).status, 200);
  t.same((await get('/v2/models/add')).body.versions, ['3', '2', '1'], 'a new version is found by load');

  t.match(await postJson('/v2/repository/models/ghost/load', {}), { status: 404, body: { error: /no model "ghost"/ } });
  t.match(await postJson('/v2/repository/models/broken/load', {}), { status: 400, body: { error: /failed to load model "broken"/ } });
  t.match(await postJson('/v2/repository/models/ghost/unload', {}), { status: 404 });
});

t.test('the routes are in /openapi.json and /docs', async (t) => {
  const spec = (await get('/openapi.json')).body;
  for (const path of ['/v2', '/v2/health/live', '/v2/models/{name}', '/v2/models/{name}/versions/{version}/infer', '/v2/repository/index', '/v2/repository/models/{name}/load']) {
    t.ok(spec.paths[path], path);
  }
  t.ok(spec.paths['/v2/models/{name}/infer'].post.requestBody.content['application/octet-stream'], 'infer takes binary bodies');
  t.equal((await fetch(`${base}/docs`)).status, 200);
});

t.test('infer for a model found at start goes from the proxy to its own host (one hop), answered as V2Server would', async (t) => {
  let n = 0;
  /** The reply and which deployment answered it (the access log's line). */
  const via = async (path: string, body?: unknown) => {
    const id = `one-hop-${++n}`;
    const init: RequestInit = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: JSON.stringify(body) };
    const res = await fetch(base + path, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-request-id': id } });
    const json = (await res.json()) as any;
    const line = access.find((e) => e.requestId === id);
    return { status: res.status, body: json, deployment: line?.deployment, replica: line?.replica };
  };
  const x = (data: number[]) => ({ inputs: [{ name: 'x', shape: [data.length], datatype: 'INT64', data }] });

  const ok = await via('/v2/models/neg/infer', x([1, -2]));
  t.match(ok, { status: 200, body: { model_name: 'neg', outputs: [{ data: [-1, 2] }] }, deployment: 'models/model-neg' });
  t.match(ok.replica, /model-neg/, 'answered by a replica of the model\'s own deployment');
  t.match(await via('/v2/models/neg/versions/1/infer', x([3])), { status: 200, body: { model_version: '1' }, deployment: 'models/model-neg' });
  t.match(await via('/v2/models/neg/versions/2/infer', x([3])), { status: 404, body: { error: 'model "neg" has no version 2; its versions are 1' }, deployment: 'models/model-neg' });
  t.match(await via('/v2/models/neg/infer', { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] }), { status: 400, body: { error: /expects INT64/ }, deployment: 'models/model-neg' });
  t.match(await via('/v2/models/broken/infer', { inputs: [] }), { status: 400, body: { error: /not ready/ }, deployment: 'models/model-broken' });
  t.match(await via('/v2/models/neg'), { status: 200, deployment: 'models/v2-server' }, 'the rest of the protocol is the ingress\'s');
  t.match(await via('/v2/models/neg/ready'), { status: 200, deployment: 'models/v2-server' });

  // neg has two replicas; power-of-two routing reaches both within a few dozen calls.
  const replicasOf = async (count: number) => {
    const replies = await Promise.all(Array.from({ length: count }, () => via('/v2/models/neg/infer', x([1]))));
    return { statuses: new Set(replies.map((r) => r.status)), replicas: new Set(replies.map((r) => r.replica)) };
  };
  const before = await replicasOf(40);
  t.same(before.replicas.size, 2, 'both replicas of neg serve');


  t.equal((await via('/v2/repository/models/neg/unload', {})).status, 200);
  const unloaded = { status: 400, body: { error: 'model "neg" is unloaded: POST /v2/repository/models/neg/load to serve it again' }, deployment: 'models/model-neg' };
  const after = await replicasOf(40);
  t.same([...after.statuses], [400], 'every replica heard the unload');
  t.equal(after.replicas.size, 2, 'answered by both replicas');
  t.match(await via('/v2/models/neg/infer', x([1])), unloaded, 'unloaded: the same 400 as V2Server gives');
  t.match(await via('/v2/models/neg/versions/1/infer', x([1])), unloaded);
  t.match(await via('/v2/models/neg/ready'), { status: 400, body: { error: unloaded.body.error } }, 'and V2Server says the same');
  t.equal((await via('/v2/repository/models/neg/load', {})).status, 200);
  t.match(await via('/v2/models/neg/infer', x([5])), { status: 200, body: { outputs: [{ data: [-5] }] }, deployment: 'models/model-neg' }, 'serves again after load');
  t.same([...(await replicasOf(40)).statuses], [200], 'on every replica');

  writeModel(repo.dir, 'later', 1, { op: 'Abs', inputs: [{ name: 'x', elemType: F32, shape: ['N'] }], outputs: [{ name: 'y', elemType: F32, shape: ['N'] }] });
  t.equal((await via('/v2/repository/models/later/load', {})).status, 200);
  t.match(await via('/v2/models/later/infer', { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [-2] }] }), { status: 200, body: { outputs: [{ data: [2] }] }, deployment: 'models/v2-server' }, 'a model loaded after start goes through V2Server');
});

t.test('folders: none at the path, one with no models, a bad config.yaml', async (t) => {
  t.throws(() => modelRepository(join(repo.dir, 'nowhere')), ModelRepositoryError);
  const dir = mkdtempSync(join(tmpdir(), 'troupe-v2-empty-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A folder with no models yet serves: every model is unknown until one is added and loaded.
  await serve.run(modelRepository(dir), { name: 'empty', routePrefix: '/empty' });
  t.teardown(() => serve.delete('empty'));
  t.same(await get('/empty/v2/repository/index'), { status: 200, body: [] });
  t.match(await postJson('/empty/v2/models/add/infer', { inputs: [] }), { status: 404, body: { error: /no model "add"/ } });
  t.match(await get('/empty/v2/models/add'), { status: 404 });

  writeModel(dir, 'add', 1, new Uint8Array([1]), 'numReplicas: two\n');
  t.throws(() => modelRepository(dir), { code: 'TROUPE_ERR_MODEL_REPOSITORY', message: /config\.yaml: numReplicas must be a positive integer/ });
  writeModel(dir, 'add', 1, new Uint8Array([1]), 'replicas: 2\n');
  t.throws(() => modelRepository(dir), { message: /unknown field "replicas"/ });
  t.match(await postJson('/empty/v2/repository/models/add/load', {}), { status: 400, body: { error: /unknown field "replicas"/ } }, 'load reports the bad config.yaml');
});
