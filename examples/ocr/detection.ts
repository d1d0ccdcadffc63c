// Text detection around the PP-OCRv4 DB model: pre-processing (resize to multiples
// of 32 within a max side, normalize) and DB post-processing (threshold the
// probability map, connected regions, box scoring, unclip, min-area boxes, map back
// to the original image). Mirrors PaddleOCR's DetResizeForTest + DBPostProcess.
import type { TensorLike } from 'troupe';
import { insideConvex, minAreaRect, orderCorners, polygonArea, polygonPerimeter, type Point, type Quad } from './geometry.ts';
import { resizeImage, type RgbImage } from './image.ts';

// ImageNet mean/std, applied to channels in BGR order as the Paddle models were trained (cv2 loads BGR).
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export interface DetectionPreOptions {
  /** Longest side the detector sees; larger images are scaled down. Default 960. */
  maxSide?: number;
}

export interface DetectionInput {
  tensor: TensorLike;
  /** Size of the original image, for mapping boxes back. */
  sourceWidth: number;
  sourceHeight: number;
}

export async function preprocessForDetection(image: RgbImage, options: DetectionPreOptions = {}): Promise<DetectionInput> {
  const maxSide = options.maxSide ?? 960;
  const ratio = Math.max(image.width, image.height) > maxSide ? maxSide / Math.max(image.width, image.height) : 1;
  const w = Math.max(32, Math.round((image.width * ratio) / 32) * 32);
  const h = Math.max(32, Math.round((image.height * ratio) / 32) * 32);
  const resized = await resizeImage(image, w, h);
  const plane = w * h;
  const data = new Float32Array(3 * plane);
  const px = resized.data;
  for (let c = 0; c < 3; c++) {
    const src = 2 - c; // RGB → BGR
    const scale = 1 / (255 * STD[c]);
    const shift = MEAN[c] / STD[c];
    const out = c * plane;
    for (let i = 0; i < plane; i++) data[out + i] = px[i * 3 + src] * scale - shift;
  }
  return { tensor: { dtype: 'float32', shape: [1, 3, h, w], data }, sourceWidth: image.width, sourceHeight: image.height };
}

export interface DbOptions {
  /** Pixel probability above which a pixel is text. Default 0.3. */
  threshold?: number;
  /** Mean probability inside a box below which it is dropped. Default 0.6. */
  boxThreshold?: number;
  /** How far boxes grow (area * ratio / perimeter). Default 1.5. */
  unclipRatio?: number;
  /** At most this many regions are considered. Default 1000. */
  maxCandidates?: number;
  /** Boxes whose short side is below this (in map pixels) are dropped. Default 3. */
  minSize?: number;
}

export interface TextBox {
  /** Corners in the original image: top-left, top-right, bottom-right, bottom-left. */
  box: Quad;
  /** Mean text probability inside the box before unclipping. */
  score: number;
}

/**
 * DB post-processing of a probability map `prob` (height x width, values 0..1) into boxes in
 * the coordinates of the original `sourceWidth` x `sourceHeight` image, sorted in reading order.
 */
export function boxesFromProbabilityMap(
  prob: Float32Array,
  width: number,
  height: number,
  sourceWidth: number,
  sourceHeight: number,
  options: DbOptions = {},
): TextBox[] {
  const threshold = options.threshold ?? 0.3;
  const boxThreshold = options.boxThreshold ?? 0.6;
  const unclipRatio = options.unclipRatio ?? 1.5;
  const maxCandidates = options.maxCandidates ?? 1000;
  const minSize = options.minSize ?? 3;

  const regions = connectedRegions(prob, width, height, threshold, maxCandidates);
  const boxes: TextBox[] = [];
  for (const points of regions) {
    const rect = minAreaRect(points);
    if (Math.min(rect.width, rect.height) < minSize) continue;
    const score = meanInside(prob, width, height, rect.corners);
    if (score < boxThreshold) continue;
    const grown = unclip(rect.corners, rect.width, rect.height, unclipRatio);
    if (Math.min(grown.width, grown.height) < minSize + 2) continue;
    const sx = sourceWidth / width;
    const sy = sourceHeight / height;
    const mapped = grown.corners.map(([x, y]): Point => [
      clamp(Math.round(x * sx), 0, sourceWidth),
      clamp(Math.round(y * sy), 0, sourceHeight),
    ]);
    const box = orderCorners(mapped);
    const bw = Math.hypot(box[1][0] - box[0][0], box[1][1] - box[0][1]);
    const bh = Math.hypot(box[3][0] - box[0][0], box[3][1] - box[0][1]);
    if (bw <= 3 || bh <= 3) continue;
    boxes.push({ box, score });
  }
  return sortReadingOrder(boxes);
}

/**
 * 8-connected regions of pixels above `threshold`. Each region is returned as the leftmost and
 * rightmost pixel of each of its rows: every convex-hull vertex is among them, which is all the
 * min-area rectangle needs.
 */
function connectedRegions(prob: Float32Array, width: number, height: number, threshold: number, maxRegions: number): Point[][] {
  const n = width * height;
  const label = new Int32Array(n); // 0 = unvisited
  const stack = new Int32Array(n);
  const regions: Point[][] = [];
  let next = 1;
  for (let start = 0; start < n && regions.length < maxRegions; start++) {
    if (label[start] !== 0 || !(prob[start] > threshold)) continue;
    const id = next++;
    const rowMin = new Map<number, number>();
    const rowMax = new Map<number, number>();
    let top = 0;
    stack[top++] = start;
    label[start] = id;
    while (top > 0) {
      const p = stack[--top];
      const y = (p / width) | 0;
      const x = p - y * width;
      const lo = rowMin.get(y);
      if (lo === undefined || x < lo) rowMin.set(y, x);
      const hi = rowMax.get(y);
      if (hi === undefined || x > hi) rowMax.set(y, x);
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if ((dx === 0 && dy === 0) || nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (label[q] === 0 && prob[q] > threshold) {
            label[q] = id;
            stack[top++] = q;
          }
        }
      }
    }
    const points: Point[] = [];
    for (const [y, lo] of rowMin) {
      points.push([lo, y]);
      const hi = rowMax.get(y)!;
      if (hi !== lo) points.push([hi, y]);
    }
    regions.push(points);
  }
  return regions;
}

/** Mean probability over the pixels inside the quad (PaddleOCR's box_score_fast). */
function meanInside(prob: Float32Array, width: number, height: number, quad: Quad): number {
  const xs = quad.map((p) => p[0]);
  const ys = quad.map((p) => p[1]);
  const x0 = clamp(Math.floor(Math.min(...xs)), 0, width - 1);
  const x1 = clamp(Math.ceil(Math.max(...xs)), 0, width - 1);
  const y0 = clamp(Math.floor(Math.min(...ys)), 0, height - 1);
  const y1 = clamp(Math.ceil(Math.max(...ys)), 0, height - 1);
  let sum = 0;
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (!insideConvex(quad, x, y, 0.5)) continue;
      sum += prob[y * width + x];
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}

/**
 * Grows a rectangle by d = area * ratio / perimeter on every side. For a rectangle this is exactly
 * the min-area rectangle of the polygon offset (what PaddleOCR gets from pyclipper + minAreaRect).
 */
function unclip(corners: Quad, width: number, height: number, ratio: number): { corners: Quad; width: number; height: number } {
  const d = (polygonArea(corners) * ratio) / Math.max(polygonPerimeter(corners), 1e-6);
  const [tl, tr, , bl] = corners;
  const ux = unit(tl, tr);
  const uy = unit(tl, bl);
  const move = (p: Point, su: number, sv: number): Point => [p[0] + d * (su * ux[0] + sv * uy[0]), p[1] + d * (su * ux[1] + sv * uy[1])];
  const grown: Quad = [move(corners[0], -1, -1), move(corners[1], 1, -1), move(corners[2], 1, 1), move(corners[3], -1, 1)];
  return { corners: orderCorners(grown), width: width + 2 * d, height: height + 2 * d };
}

function unit(a: Point, b: Point): Point {
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
  return len === 0 ? [0, 0] : [(b[0] - a[0]) / len, (b[1] - a[1]) / len];
}

/** Top to bottom, then left to right for boxes on the same line (within 10 px), as PaddleOCR's sorted_boxes. */
export function sortReadingOrder<T extends { box: Quad }>(boxes: T[]): T[] {
  const sorted = [...boxes].sort((a, b) => a.box[0][1] - b.box[0][1] || a.box[0][0] - b.box[0][0]);
  for (let i = 0; i < sorted.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      const a = sorted[j];
      const b = sorted[j + 1];
      if (Math.abs(b.box[0][1] - a.box[0][1]) < 10 && b.box[0][0] < a.box[0][0]) {
        sorted[j] = b;
        sorted[j + 1] = a;
      } else break;
    }
  }
  return sorted;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
