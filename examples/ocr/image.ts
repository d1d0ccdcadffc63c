// Image decoding with sharp: request bytes to an RGB pixel buffer, with the limits
// a server needs. The header is read first, so an oversized image is refused
// before its pixels are decoded.
import sharp, { type Metadata } from 'sharp';
import { ImageEmptyError, ImageFormatError, ImageTooLargeError, ImageTruncatedError } from './errors.ts';

/** 8-bit RGB, interleaved, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this (413). Default 25 megapixels. */
  maxPixels?: number;
  /** Refuse bodies larger than this many bytes (413). Default 20 MiB. */
  maxBytes?: number;
}

export const defaultDecodeLimits = { maxPixels: 25_000_000, maxBytes: 20 * 1024 * 1024 } as const;

export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? defaultDecodeLimits.maxPixels;
  const maxBytes = options.maxBytes ?? defaultDecodeLimits.maxBytes;
  if (!(bytes instanceof Uint8Array)) throw new ImageFormatError('the image must be sent as raw bytes');
  if (bytes.byteLength === 0) throw new ImageEmptyError();
  if (bytes.byteLength > maxBytes) {
    throw new ImageTooLargeError(`the image is ${bytes.byteLength} bytes; the limit is ${maxBytes} bytes`, {
      details: { bytes: bytes.byteLength, maxBytes },
    });
  }
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let meta: Metadata;
  try {
    meta = await sharp(input).metadata();
  } catch (cause) {
    const message = (cause as Error).message ?? '';
    if (/unsupported image format/i.test(message)) {
      throw new ImageFormatError('the body is not an image in a supported format (PNG, JPEG, WebP, GIF, TIFF, AVIF)', { cause });
    }
    // The decoder's own words ("vipspng: libpng read error") stay in `cause`, for the log: they mean nothing to a client.
    throw new ImageTruncatedError('the image header is truncated or corrupt; send the complete file', { cause });
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width <= 0 || height <= 0) throw new ImageFormatError(`the image has no pixels (${width}x${height})`);
  if (width * height > maxPixels) {
    throw new ImageTooLargeError(`the image is ${width}x${height} = ${width * height} pixels; the limit is ${maxPixels} pixels, scale it down first`, {
      details: { width, height, maxPixels },
    });
  }
  try {
    const { data, info } = await sharp(input, { failOn: 'truncated', limitInputPixels: maxPixels })
      .rotate() // honour EXIF orientation
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder returned ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (cause) {
    const message = (cause as Error).message ?? '';
    if (/pixel limit/i.test(message)) {
      throw new ImageTooLargeError(`the image exceeds the limit of ${maxPixels} pixels`, { cause, details: { maxPixels } });
    }
    throw new ImageTruncatedError(`the ${meta.format ?? 'image'} data is truncated or corrupt; send the complete file`, {
      cause,
      details: { format: meta.format },
    });
  }
}

/** Resizes an RGB image with sharp (used for the detector's input, which can be large). */
export async function resizeImage(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
