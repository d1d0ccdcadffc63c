// Rewrites README.md's error list (between <!-- errors:begin --> and <!-- errors:end -->) from src/errors/catalog.ts.
// node --import tsx scripts/errors-readme.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderErrorList } from '../src/errors/index.ts';

export const BEGIN = '<!-- errors:begin -->';
export const END = '<!-- errors:end -->';

/** README text with its error list replaced by the catalog's; throws when the markers are missing. */
export function withErrorList(readme: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${BEGIN} ... ${END} block for the error list`);
  return `${readme.slice(0, a + BEGIN.length)}\n${renderErrorList()}\n${readme.slice(b)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
  writeFileSync(file, withErrorList(readFileSync(file, 'utf8')));
  console.log('README.md: error list rewritten from src/errors/catalog.ts');
}
