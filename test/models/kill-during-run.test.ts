import t from 'tap';
import { ActorDiedError, Runtime } from '../../src/index.ts';
import { BusyModel } from '../fixtures/models/busy-model.ts';

// terminate() of a thread inside an ONNX Runtime run aborted the whole process ("terminate called after
// throwing an instance of 'Napi::Error'"): a replica killed under load took the server down with it.
t.test('killing actors while they run a model leaves the process serving', async t => {
  const rt = new Runtime();
  t.teardown(() => rt.shutdown());
  for (let i = 0; i < 4; i++) {
    const busy = await rt.spawn(BusyModel, [], { name: `busy-${i}` });
    while ((await busy.runs()) < 2) await new Promise(resolve => setTimeout(resolve, 20));
    await rt.kill(busy);
    const late: any = await busy.runs().catch(e => e);
    t.ok(late instanceof ActorDiedError, `kill ${i}: the actor is dead and says so`);
  }
  t.equal(rt.actors().length, 0, 'nothing left behind');
});
