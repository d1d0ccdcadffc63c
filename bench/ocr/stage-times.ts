// Where the time of one OCR request goes, stage by stage, in one thread: decode,
// detection (pre + model + DB post), crops, angle classifier, recognizer. Tells
// which deployments need replicas (and how many ORT threads help on this machine).
//
//   node --import tsx bench/ocr/stage-times.ts [--rounds=3] [--threads=1,2]
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  classifyAngles,
  cropBoxes,
  decodeImage,
  detectText,
  loadAngleModel,
  loadDetectionModel,
  loadDictionary,
  loadRecognitionModel,
  ocrModelPaths,
  recognizeText,
} from '../../examples/ocr/index.ts';
import { benchImages } from './images.ts';

export interface StageTimes {
  threads: number;
  images: number;
  msPerImage: { decode: number; detect: number; crop: number; angle: number; recognize: number; total: number };
}

export async function measureStageTimes(threads: number, rounds = 3): Promise<StageTimes> {
  const paths = ocrModelPaths();
  const det = await loadDetectionModel(paths.detection, { numCpus: threads });
  const cls = await loadAngleModel(paths.angle, { numCpus: threads });
  const rec = await loadRecognitionModel(paths.recognition, { numCpus: threads });
  const dictionary = await loadDictionary(paths.keys);
  const sum = { decode: 0, detect: 0, crop: 0, angle: 0, recognize: 0, total: 0 };
  let images = 0;
  try {
    const inputs = await benchImages();
    for (let r = 0; r < rounds; r++) {
      for (const input of inputs) {
        const t0 = performance.now();
        const image = await decodeImage(input.bytes);
        const t1 = performance.now();
        const boxes = await detectText(det, image);
        const t2 = performance.now();
        const crops = cropBoxes(image, boxes);
        const t3 = performance.now();
        await classifyAngles(cls, crops);
        const t4 = performance.now();
        await recognizeText(rec, dictionary, crops);
        const t5 = performance.now();
        sum.decode += t1 - t0;
        sum.detect += t2 - t1;
        sum.crop += t3 - t2;
        sum.angle += t4 - t3;
        sum.recognize += t5 - t4;
        sum.total += t5 - t0;
        images++;
      }
    }
  } finally {
    await Promise.all([det.dispose(), cls.dispose(), rec.dispose()]);
  }
  const msPerImage = Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, v / images])) as StageTimes['msPerImage'];
  return { threads, images, msPerImage };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const rounds = Number(arg('rounds') ?? 3);
  const threadList = (arg('threads') ?? '1,2').split(',').map(Number);
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| ORT threads | images | decode | detect | crop | angle | recognize | total ms/image |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const threads of threadList) {
    const r = await measureStageTimes(threads, rounds);
    const m = r.msPerImage;
    console.log(`| ${threads} | ${r.images} | ${[m.decode, m.detect, m.crop, m.angle, m.recognize, m.total].map((v) => v.toFixed(1)).join(' | ')} |`);
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}
