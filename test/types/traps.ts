// Type-checked (never run) by test/types/traps.test.ts and by `npm run typecheck`: each expected-error marker
// below sits on a mistake the types must catch; a marker with no error under it fails the check.
import {
  batch, deployment, ingress, get, post, websocket,
  type Batch, type DeploymentHandle, type RouteInput, type ServeRequest, type Unbatched, type WebSocketEvent,
} from '../../src/index.ts';

// ---- Route methods take one RouteInput (or nothing) ----

@deployment()
@ingress({ title: 'traps', summary: 'every trap in one API' })
export class Routes {
  @get('/none')
  none() {
    return 'ok';
  }

  @post('/input')
  input(input: RouteInput<{ text: string }>) {
    return input.body.text;
  }

  @post('/destructured')
  destructured({ body, query }: RouteInput<{ text: string }, { n?: number }>) {
    return `${body.text}${query.n ?? ''}`;
  }

  @post('/optional')
  optional(input?: RouteInput) {
    return input?.path;
  }

  @post('/stream')
  async *stream(input: RouteInput<{ n: number }>) {
    for (let i = 0; i < input.body.n; i++) yield i;
  }

  // The Ray/FastAPI habit: the body as the parameter. At run time the method would get the RouteInput.
  // @ts-expect-error a route method's parameter is a RouteInput, not the body
  @post('/body')
  body(body: { text: string }) {
    return body.text;
  }

  // @ts-expect-error one parameter at most
  @post('/two')
  two(input: RouteInput, extra: string) {
    return input.path + extra;
  }

  // @ts-expect-error a string is not a RouteInput
  @get('/text')
  text(value: string) {
    return value;
  }

  // A @batch route method takes a batch of RouteInputs.
  @post('/batched')
  @batch({ maxBatchSize: 8 })
  async batched(inputs: Batch<RouteInput<{ x: number }>>): Promise<number[]> {
    return inputs.map(i => i.body.x);
  }

  @websocket('/ws')
  socket(event: WebSocketEvent) {
    return event.type;
  }
}

// ---- DeploymentHandle<T> unbatches @batch methods by itself ----

@deployment()
export class Model {
  @batch({ maxBatchSize: 32 })
  async predict(inputs: Batch<number[]>): Promise<number[]> {
    return inputs.map(v => v.length);
  }
  plain(n: number): number {
    return n;
  }
}

export async function handles(h: DeploymentHandle<Model>, u: DeploymentHandle<Unbatched<Model>>): Promise<void> {
  const one: number = await h.predict([1, 2, 3]);
  const same: number = await u.predict([1, 2, 3]);
  const plain: number = await h.plain(1);
  // @ts-expect-error a handle call passes one item, not the batch
  await h.predict([[1, 2, 3]]);
  // @ts-expect-error the result of one call is one number
  const many: number[] = await h.predict([1]);
  // Unbatched<T> is an alias that changes nothing more: the two handles are the same type.
  const alias: DeploymentHandle<Model> = u;
  const back: DeploymentHandle<Unbatched<Model>> = h;
  void one, same, plain, many, alias, back;
}

// ---- __call__ gets a request with json(), text() and bytes() ----

@deployment()
export class Raw {
  async __call__(request: ServeRequest): Promise<unknown> {
    const data = await request.json<{ text: string }>();
    const text: string = await request.text();
    const bytes: Uint8Array = await request.bytes();
    // @ts-expect-error json() is async, like a Fetch Request's
    const sync: { text: string } = request.json<{ text: string }>();
    return { data, text, bytes: bytes.length, sync };
  }
}

// ---- @ingress options ----

// @ts-expect-error an unknown @ingress option
@ingress({ summry: 'typo' })
export class Typo {}
