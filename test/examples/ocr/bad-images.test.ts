import sharp from 'sharp';
import t from 'tap';
import { fromErrorRecord, toErrorRecord } from '../../../src/errors/index.ts';
import {
  closeOcrInProcess,
  decodeImage,
  ImageEmptyError,
  ImageFormatError,
  ImageTooLargeError,
  ImageTruncatedError,
  runOcrInProcess,
} from '../../../examples/ocr/index.ts';
import { renderText } from '../../fixtures/ocr/render.ts';

t.teardown(closeOcrInProcess);

const solid = (width: number, height: number, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background: { r: 200, g: 100, b: 50, alpha: 0.5 } } });

t.test('empty body: 400 with a message that says what to send', async (t) => {
  const err = await decodeImage(new Uint8Array(0)).catch((e) => e);
  t.ok(err instanceof ImageEmptyError);
  t.equal(err.code, 'TROUPE_ERR_IMAGE_EMPTY');
  t.equal(err.details.status, 400);
  t.match(err.message, /body is empty; send the image bytes/);
});

t.test('bytes that are not an image: 400', async (t) => {
  for (const body of [Buffer.from('{"image": "not really"}'), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])]) {
    const err = await decodeImage(body).catch((e) => e);
    t.ok(err instanceof ImageFormatError);
    t.equal(err.details.status, 400);
    t.match(err.message, /not an image in a supported format/);
  }
});

t.test('truncated PNG and JPEG: 400 naming the problem', async (t) => {
  const png = await renderText(['truncated'], { noise: 30 });
  const jpeg = await renderText(['truncated'], { format: 'jpeg', noise: 30 });
  for (const [what, bytes] of [
    ['png', png.subarray(0, Math.floor(png.length * 0.6))],
    ['jpeg', jpeg.subarray(0, Math.floor(jpeg.length * 0.6))],
    ['png header only', png.subarray(0, 30)],
  ] as const) {
    const err = await decodeImage(bytes).catch((e) => e);
    t.ok(err instanceof ImageTruncatedError, `${what}: ImageTruncatedError`);
    t.equal(err.details.status, 400);
    t.match(err.message, /truncated or corrupt/);
    t.notMatch(err.message, /vips|libpng|jpeg:|read error/i, `${what}: the decoder's internals stay out of the message`);
    t.ok(err.cause, `${what}: kept as the cause, for the log`);
  }
});

t.test('over the pixel or byte limit: 413, refused from the header', async (t) => {
  const big = await solid(3000, 2000).png().toBuffer();
  const err = await decodeImage(big, { maxPixels: 4_000_000 }).catch((e) => e);
  t.ok(err instanceof ImageTooLargeError);
  t.equal(err.code, 'TROUPE_ERR_IMAGE_TOO_LARGE');
  t.equal(err.details.status, 413);
  t.match(err.message, /3000x2000 = 6000000 pixels; the limit is 4000000 pixels/);
  const bytesErr = await decodeImage(big, { maxBytes: 100 }).catch((e) => e);
  t.ok(bytesErr instanceof ImageTooLargeError);
  t.match(bytesErr.message, /bytes; the limit is 100 bytes/);
  // The status survives the trip across threads.
  const rebuilt = fromErrorRecord(structuredClone(toErrorRecord(err)));
  t.ok(rebuilt instanceof ImageTooLargeError);
  t.equal((rebuilt as ImageTooLargeError).details.status, 413);
});

t.test('grey, alpha and palette images decode to RGB', async (t) => {
  const grey = await decodeImage(await solid(20, 10).greyscale().png().toBuffer());
  t.same([grey.width, grey.height, grey.data.length], [20, 10, 600]);
  const alpha = await decodeImage(await solid(8, 4, 4).png().toBuffer());
  t.equal(alpha.data.length, 8 * 4 * 3);
  t.ok(alpha.data[0] > 200, 'transparent parts become white-ish');
  const webp = await decodeImage(await solid(16, 16).webp().toBuffer());
  t.equal(webp.data.length, 16 * 16 * 3);
});

t.test('EXIF orientation is applied', async (t) => {
  const rotated = await sharp(await solid(40, 10).png().toBuffer()).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const image = await decodeImage(rotated);
  t.same([image.width, image.height], [10, 40]);
});

t.test('the pipeline keeps serving after bad images', async (t) => {
  await t.rejects(runOcrInProcess(new Uint8Array(0)), ImageEmptyError);
  await t.rejects(runOcrInProcess(Buffer.from('hello')), ImageFormatError);
  const good = await renderText(['still', 'working'], { dpi: 150 });
  const results = await runOcrInProcess(good);
  t.same(results.map((r) => r.text), ['still', 'working']);
});

t.test('every image error carries its status under details.status and details.httpStatus', async (t) => {
  const errors = [new ImageEmptyError(), new ImageFormatError('x'), new ImageTruncatedError('x'), new ImageTooLargeError('x')];
  t.same(errors.map((e) => [e.details.status, e.details.httpStatus]), [[400, 400], [400, 400], [400, 400], [413, 413]]);
});
