import t from 'tap';
import {
  cropBoxes,
  ctcGreedyDecode,
  decodeImage,
  detectText,
  loadDetectionModel,
  loadDictionary,
  loadRecognitionModel,
  ocrModelPaths,
  preprocessForRecognition,
  recognizeText,
  type RgbImage,
} from '../../../examples/ocr/index.ts';
import { renderText } from '../../fixtures/ocr/render.ts';

// Crops of different words and widths recognized in one padded batch must each get
// their own text back, the same as when recognized alone: no cross-talk through batching.
const words = ['apple', 'zebra', 'Kilimanjaro', 'owl', 'telephone', 'quiz', 'Amsterdam', '73105'];

t.test('batched recognition returns each crop its own text', async (t) => {
  const paths = ocrModelPaths();
  const det = await loadDetectionModel(paths.detection);
  const rec = await loadRecognitionModel(paths.recognition);
  t.teardown(() => Promise.all([det.dispose(), rec.dispose()]));
  const dictionary = await loadDictionary(paths.keys);

  const crops: RgbImage[] = [];
  for (const [i, word] of words.entries()) {
    const image = await decodeImage(await renderText([word], { dpi: 110 + i * 15 }));
    const boxes = await detectText(det, image);
    t.equal(boxes.length, 1, `one box for "${word}"`);
    crops.push(...cropBoxes(image, boxes));
  }

  const alone = [];
  for (const crop of crops) alone.push(...(await recognizeText(rec, dictionary, [crop])));
  t.same(alone.map((r) => r.text), words, 'each crop alone reads its word');
  const batched = await recognizeText(rec, dictionary, crops, { batchSize: crops.length });
  t.same(batched.map((r) => r.text), words, 'one batch of all crops, results in input order');
  const grouped = await recognizeText(rec, dictionary, crops, { batchSize: 3 });
  t.same(grouped.map((r) => r.text), words, 'groups of 3 by aspect ratio, results in input order');

  // Per-request tensors of different widths through OnnxModel.runBatch: padded to the widest, split back.
  const requests = crops.slice(0, 4).map((crop) => ({ x: preprocessForRecognition([crop], { minWidth: 48 }) }));
  t.ok(new Set(requests.map((r) => r.x.shape[3])).size > 1, 'the requests have ragged widths');
  const outputs = await rec.runBatch(requests);
  const texts = outputs.map((o) => ctcGreedyDecode(o[rec.outputNames[0]], dictionary)[0].text);
  t.same(texts, words.slice(0, 4), 'runBatch splits the padded batch back per request');
});
