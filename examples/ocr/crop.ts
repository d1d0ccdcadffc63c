// Cropping text boxes out of the image: a perspective warp of each (possibly
// rotated) quad to an upright rectangle, turning tall crops of vertical text on
// their side, and the small resizes and rotations the classifier and recognizer need.
import { applyHomography, perspectiveTransform, type Quad } from './geometry.ts';
import type { RgbImage } from './image.ts';

/**
 * The box's content as an upright image: width = its longer top/bottom side, height = its longer
 * left/right side (PaddleOCR's get_rotate_crop_image). Crops at least 1.5x taller than wide are
 * rotated 90° counter-clockwise so vertical text reads left to right.
 */
export function cropQuad(image: RgbImage, quad: Quad): RgbImage {
  const [tl, tr, br, bl] = quad;
  const width = Math.max(1, Math.round(Math.max(Math.hypot(tr[0] - tl[0], tr[1] - tl[1]), Math.hypot(br[0] - bl[0], br[1] - bl[1]))));
  const height = Math.max(1, Math.round(Math.max(Math.hypot(bl[0] - tl[0], bl[1] - tl[1]), Math.hypot(br[0] - tr[0], br[1] - tr[1]))));
  const target: Quad = [[0, 0], [width, 0], [width, height], [0, height]];
  // Destination pixel → source point; sampled at pixel centres.
  const h = perspectiveTransform(target, quad);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = applyHomography(h, x + 0.5, y + 0.5);
      sampleBilinear(image, sx - 0.5, sy - 0.5, out, (y * width + x) * 3);
    }
  }
  const crop = { width, height, data: out };
  return height / width >= 1.5 ? rotate90CounterClockwise(crop) : crop;
}

export function rotate90CounterClockwise(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  const out = new Uint8Array(data.length);
  // New image is height wide and width tall; new (x', y') = (y, width - 1 - x).
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = ((width - 1 - x) * height + y) * 3;
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
    }
  }
  return { width: height, height: width, data: out };
}

export function rotate180(image: RgbImage): RgbImage {
  const { data } = image;
  const out = new Uint8Array(data.length);
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) {
    const s = i * 3;
    const d = (n - 1 - i) * 3;
    out[d] = data[s];
    out[d + 1] = data[s + 1];
    out[d + 2] = data[s + 2];
  }
  return { width: image.width, height: image.height, data: out };
}

/** Bilinear resize (OpenCV INTER_LINEAR's half-pixel convention), for small crops. */
export function resizeBilinear(image: RgbImage, width: number, height: number): RgbImage {
  if (image.width === width && image.height === height) return image;
  const out = new Uint8Array(width * height * 3);
  const fx = image.width / width;
  const fy = image.height / height;
  for (let y = 0; y < height; y++) {
    const sy = (y + 0.5) * fy - 0.5;
    for (let x = 0; x < width; x++) {
      sampleBilinear(image, (x + 0.5) * fx - 0.5, sy, out, (y * width + x) * 3);
    }
  }
  return { width, height, data: out };
}

// Samples (x, y) in pixel-index coordinates with edge pixels replicated outside the image.
function sampleBilinear(image: RgbImage, x: number, y: number, out: Uint8Array, at: number): void {
  const { width, height, data } = image;
  const cx = x < 0 ? 0 : x > width - 1 ? width - 1 : x;
  const cy = y < 0 ? 0 : y > height - 1 ? height - 1 : y;
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const x1 = x0 + 1 < width ? x0 + 1 : x0;
  const y1 = y0 + 1 < height ? y0 + 1 : y0;
  const ax = cx - x0;
  const ay = cy - y0;
  const i00 = (y0 * width + x0) * 3;
  const i01 = (y0 * width + x1) * 3;
  const i10 = (y1 * width + x0) * 3;
  const i11 = (y1 * width + x1) * 3;
  for (let c = 0; c < 3; c++) {
    const top = data[i00 + c] + (data[i01 + c] - data[i00 + c]) * ax;
    const bottom = data[i10 + c] + (data[i11 + c] - data[i10 + c]) * ax;
    out[at + c] = Math.round(top + (bottom - top) * ay);
  }
}
