// Defaults that follow from the class: a @batch method's batches are not capped by the deployment's default
// maxOngoingRequests, and a class that takes HTTP requests runs more calls at once than Ray's 5.
import t from 'tap';
import { serve } from '../../src/index.ts';
import { Plain, Raw, Routed, Sizer, TwoBatches } from '../fixtures/batch-defaults/apps.ts';

t.test('the default maxOngoingRequests follows the class', async t => {
  t.equal(Plain.bind().resolved().maxOngoingRequests, 5, "Ray's default for a plain deployment");
  t.equal(Routed.bind().resolved().maxOngoingRequests, 100, 'an @ingress with routes takes HTTP requests');
  t.equal(Raw.bind().resolved().maxOngoingRequests, 100, 'so does a __call__ deployment');
  t.equal(Sizer.bind().resolved().maxOngoingRequests, 64, 'twice the largest maxBatchSize: one batch runs while the next fills');
  t.equal(TwoBatches.bind().resolved().maxOngoingRequests, 128, "the largest of 8 x 4 concurrent batches and 'auto' up to 64");
  t.equal(Sizer.bind().options({ maxOngoingRequests: 7 }).resolved().maxOngoingRequests, 7, 'a value given is kept');
});

t.test('a @batch({ maxBatchSize: 32 }) method with default deployment options reaches batches of 32 under load', async t => {
  await serve.start({ http: false });
  t.teardown(() => serve.shutdown());
  const handle = await serve.run(Sizer.bind(), { name: 'sizer' });
  // Three full batches' worth at once: with the old default of 5 the batches never grew past 5.
  const sizes = await Promise.all(Array.from({ length: 96 }, (_, i) => handle.size(i)));
  t.equal(Math.max(...sizes), 32, `batch sizes seen: ${[...new Set(sizes)].join(', ')}`);
  t.ok(sizes.every(s => s <= 32), 'never past maxBatchSize');
});
