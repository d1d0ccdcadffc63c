import t from 'tap';
import { applyHomography, convexHull, minAreaRect, orderCorners, perspectiveTransform, type Point, type Quad } from '../../../examples/ocr/geometry.ts';
import { cropQuad, resizeBilinear, rotate180, rotate90CounterClockwise, type RgbImage } from '../../../examples/ocr/index.ts';

const close = (a: number, b: number, eps = 1e-6) => Math.abs(a - b) < eps;

t.test('convexHull drops interior points', async (t) => {
  const hull = convexHull([[0, 0], [4, 0], [4, 4], [0, 4], [2, 2], [1, 3]]);
  t.equal(hull.length, 4);
});

t.test('minAreaRect finds a rotated rectangle exactly', async (t) => {
  const angle = (20 * Math.PI) / 180;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const points: Point[] = [];
  for (let u = 0; u <= 50; u += 5) for (let v = 0; v <= 10; v += 2) points.push([100 + u * c - v * s, 50 + u * s + v * c]);
  const rect = minAreaRect(points);
  t.ok(close(Math.max(rect.width, rect.height), 50, 1e-6) && close(Math.min(rect.width, rect.height), 10, 1e-6), `${rect.width}x${rect.height}`);
  const [tl, tr, br, bl] = rect.corners;
  t.ok(tl[0] < tr[0] && bl[0] < br[0], 'left corners are left of right corners');
  t.ok(tl[1] < bl[1] && tr[1] < br[1], 'top corners above bottom ones');
});

t.test('orderCorners gives tl, tr, br, bl whatever the input order', async (t) => {
  t.same(orderCorners([[10, 10], [0, 10], [10, 0], [0, 0]]), [[0, 0], [10, 0], [10, 10], [0, 10]]);
});

t.test('perspectiveTransform maps each corner onto its target', async (t) => {
  const from: Quad = [[0, 0], [100, 0], [100, 30], [0, 30]];
  const to: Quad = [[12, 7], [118, 20], [110, 55], [5, 40]];
  const h = perspectiveTransform(from, to);
  from.forEach((p, i) => {
    const [x, y] = applyHomography(h, p[0], p[1]);
    t.ok(close(x, to[i][0], 1e-6) && close(y, to[i][1], 1e-6), `corner ${i}`);
  });
  t.throws(() => perspectiveTransform(from, [[0, 0], [0, 0], [0, 0], [0, 0]]), /degenerate/);
});

// A 6x4 image whose red channel is x*10 and green channel is y*10.
const gradient = (): RgbImage => {
  const width = 6;
  const height = 4;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x * 10, y * 10, 0], (y * width + x) * 3);
  return { width, height, data };
};
const px = (img: RgbImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

t.test('cropQuad of an axis-aligned box copies the pixels', async (t) => {
  const crop = cropQuad(gradient(), [[1, 1], [5, 1], [5, 3], [1, 3]]);
  t.same([crop.width, crop.height], [4, 2]);
  t.same(px(crop, 0, 0), [10, 10, 0]);
  t.same(px(crop, 3, 1), [40, 20, 0]);
});

t.test('cropQuad turns tall crops of vertical text on their side', async (t) => {
  const crop = cropQuad(gradient(), [[1, 0], [2, 0], [2, 4], [1, 4]]);
  t.same([crop.width, crop.height], [4, 1], 'rotated to 4 wide, 1 tall');
});

t.test('rotations and resize', async (t) => {
  const img = gradient();
  const r = rotate90CounterClockwise(img);
  t.same([r.width, r.height], [4, 6]);
  t.same(px(r, 0, 0), px(img, 5, 0), 'top-right corner moves to top-left');
  const f = rotate180(img);
  t.same(px(f, 0, 0), px(img, 5, 3));
  const half = resizeBilinear(img, 3, 2);
  t.same([half.width, half.height], [3, 2]);
  t.same(px(half, 0, 0), [5, 5, 0], 'average of the 2x2 block');
});
