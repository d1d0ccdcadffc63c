// The images every OCR bench target gets: small documents with several lines of
// known text, rendered locally (same renderer as the tests), in rotation.
import { renderText } from '../../test/fixtures/ocr/render.ts';

export interface BenchImage {
  name: string;
  bytes: Buffer;
  lines: string[];
}

const documents: { lines: string[]; dpi: number; angle: number; noise: number; font: 'sans' | 'serif' | 'mono' }[] = [
  { lines: ['INVOICE 2024-117', 'Customer number 48213', 'Total amount due 312.40', 'Payment within 14 days'], dpi: 150, angle: 0, noise: 0, font: 'sans' },
  { lines: ['Shipping address', 'Berlin Hauptstrasse 12', 'Parcel weight 4.2 kg', 'Fragile handle with care'], dpi: 140, angle: 3, noise: 10, font: 'serif' },
  { lines: ['Platform 7 departures', 'Express 09:41 Hamburg', 'Regional 09:55 Potsdam'], dpi: 160, angle: -2, noise: 6, font: 'mono' },
  { lines: ['Meeting notes', 'Budget approved for Q3', 'Next review on Friday', 'Owner Maria Lopez', 'Status on track'], dpi: 130, angle: 1, noise: 4, font: 'sans' },
];

export async function benchImages(): Promise<BenchImage[]> {
  return Promise.all(
    documents.map(async (d, i) => ({
      name: `doc-${i}`,
      lines: d.lines,
      bytes: await renderText(d.lines, { dpi: d.dpi, angle: d.angle, noise: d.noise, font: d.font, seed: i + 1, spacing: 10 }),
    })),
  );
}
