// What one postMessage costs the sender when the receiving worker is asleep, against posts back to back (the
// receiver still busy with the previous one, so libuv sends no new wake-up). The difference is the price of
// waking a thread on this host: every frame the HTTP proxy sends to an idle replica pays it.
//   node --import tsx bench/actor-calls/wake-cost.ts [--posts=2000] [--bytes=1500]
import { MessageChannel, Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';

const flag = (name: string, otherwise: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? otherwise);
const posts = flag('posts', 2000);
const frame = new Uint8Array(flag('bytes', 1500));

const { port1, port2 } = new MessageChannel();
const worker = new Worker(
  `const { workerData } = require('node:worker_threads');
   workerData.port.on('message', () => {});`,
  { eval: true, workerData: { port: port2 }, transferList: [port2] },
);
await sleep(300); // the worker is up and waiting

const microseconds = (ns: bigint, n: number) => (Number(ns) / n / 1000).toFixed(2);

// One post, then a pause long enough for the worker to take it and go back to sleep.
let asleep = 0n;
for (let i = 0; i < posts; i++) {
  const start = process.hrtime.bigint();
  port1.postMessage(frame);
  asleep += process.hrtime.bigint() - start;
  await sleep(1);
}

const start = process.hrtime.bigint();
for (let i = 0; i < posts * 10; i++) port1.postMessage(frame);
const backToBack = process.hrtime.bigint() - start;

console.log(`postMessage of ${frame.byteLength} bytes, sender's time: to a sleeping worker ${microseconds(asleep, posts)} µs, back to back ${microseconds(backToBack, posts * 10)} µs`);
port1.close();
await worker.terminate();
