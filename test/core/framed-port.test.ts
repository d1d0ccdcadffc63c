import t from 'tap';
import { MessageChannel } from 'node:worker_threads';
import { FramedPort, flushFrames } from '../../src/core/framed-port.ts';

t.test('one frame per turn, and flushFrames posts what is queued early, in order', async (t) => {
  const { port1, port2 } = new MessageChannel();
  const received: unknown[] = [];
  let frames = 0;
  const done = new Promise<void>((resolve) => {
    port2.on('message', () => frames++);
    new FramedPort<unknown, unknown>(port2, {
      message: (m) => {
        received.push(m);
        if (received.length === 5) resolve();
      },
      badFrame: (err) => t.fail(String(err)),
      sendFailed: (_m, err) => t.fail(String(err)),
    }, null);
  });
  const sender = new FramedPort<unknown, unknown>(port1, { message: () => {}, badFrame: () => {}, sendFailed: (_m, err) => t.fail(String(err)) }, null);
  t.teardown(() => {
    sender.close();
    port2.close();
  });

  sender.send({ t: 'cancel', id: 1 });
  sender.send({ t: 'cancel', id: 2 });
  sender.send({ t: 'cancel', id: 3 });
  t.equal(sender.sentBatches, 0, 'nothing posted before the end of the turn');
  flushFrames();
  t.equal(sender.sentBatches, 1, 'flushFrames posted the three queued messages as one frame');
  sender.send({ t: 'cancel', id: 4 });
  sender.send({ t: 'cancel', id: 5 });
  await done;
  t.equal(sender.sentBatches, 2, 'the rest went in the turn-end frame');
  t.same(received.map((m) => (m as { id: number }).id), [1, 2, 3, 4, 5], 'in the order sent');
  t.ok(frames >= 2, 'two frames reached the other side');
  flushFrames(); // nothing waiting: no frame, no error
  t.equal(sender.sentBatches, 2);
});
