// The error catalog (src/errors/catalog.ts) against the code: every TROUPE_ERR_* code in src/ and native/src/ has
// a row, every row is used, its class is exported and rebuilds across threads, the proxy answers its status, and
// the README lists exactly the catalog. Failures say which line to add where.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as troupe from '../../src/index.ts';
import { ERROR_CATALOG, TroupeError, fromErrorRecord, toErrorRecord } from '../../src/errors/index.ts';
import { describeError } from '../../src/http/error-mapping.ts';
import { withErrorList } from '../../scripts/errors-readme.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CATALOG = 'src/errors/catalog.ts';
const ADD_HINT = `then export the class from src/index.ts and run \`node --import tsx scripts/errors-readme.ts\` (README's list)`;

function walk(dir: string, exts: RegExp, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, exts, out);
    else if (exts.test(name)) out.push(path);
  }
  return out;
}

interface Use { file: string; line: number; cls: string | undefined }

/** Every code written in the sources, with where it first appears and the class it sits in, if any. */
function codesInSources(): Map<string, Use> {
  const files = [...walk(join(root, 'src'), /\.(ts|mjs|js)$/), ...walk(join(root, 'native', 'src'), /\.(cc|cpp|h|hpp|cu)$/)];
  const uses = new Map<string, Use>();
  for (const path of files) {
    const file = relative(root, path);
    if (file === CATALOG) continue;
    const text = readFileSync(path, 'utf8');
    for (const m of text.matchAll(/TROUPE_ERR_[A-Z0-9][A-Z0-9_]*/g)) {
      if (uses.has(m[0])) continue;
      const before = text.slice(0, m.index);
      const cls = [...before.matchAll(/class (\w+)/g)].at(-1)?.[1];
      uses.set(m[0], { file, line: before.split('\n').length, cls });
    }
  }
  return uses;
}

const uses = codesInSources();
const byCode = new Map(ERROR_CATALOG.map((e) => [e.code, e]));

t.test('every code in src/ and native/src/ has a row in the catalog', async (t) => {
  for (const [code, use] of uses) {
    if (byCode.has(code)) {
      t.pass(code);
      continue;
    }
    t.fail(
      `${use.file}:${use.line} uses ${code}, which ${CATALOG} does not list: add ` +
        `e('${code.slice('TROUPE_ERR_'.length)}', '${use.cls ?? 'TheErrorClass'}', <HTTP status a request ended by it gets; 500 if none>, '<what the caller does next>'), ` +
        `to ERROR_CATALOG under its folder's comment; ${ADD_HINT}`,
    );
  }
});

t.test('every row is a code something uses, once', async (t) => {
  const seen = new Set<string>();
  for (const e of ERROR_CATALOG) {
    t.notOk(seen.has(e.code), `${e.code} has one row in ${CATALOG}`);
    seen.add(e.code);
    if (uses.has(e.code)) t.pass(e.code);
    else t.fail(`${CATALOG} lists ${e.code}, but nothing in src/ or native/src/ uses it: remove the row (and run node --import tsx scripts/errors-readme.ts)`);
  }
});

t.test("every row's class is exported from src/index.ts, is a TroupeError and rebuilds after crossing a thread", async (t) => {
  const exported = troupe as unknown as Record<string, unknown>;
  for (const e of ERROR_CATALOG) {
    if (e.class === null) continue;
    const cls = exported[e.class];
    if (typeof cls !== 'function') {
      t.fail(`${e.class} (${e.code}) is not exported from src/index.ts: add it to the export list of its folder there`);
      continue;
    }
    t.ok((cls as { prototype: object }).prototype instanceof TroupeError, `${e.class} extends TroupeError`);
    const rebuilt = fromErrorRecord(structuredClone(toErrorRecord(Object.assign(new Error('m'), { name: e.class, code: e.code }))));
    t.ok(rebuilt instanceof (cls as new () => Error), `${e.class} is rebuilt as itself after crossing a thread (registerError('${e.class}', ${e.class}) in its errors file)`);
  }
});

t.test('the proxy answers each code with the status in the catalog', async (t) => {
  for (const e of ERROR_CATALOG) {
    const reply = describeError({ name: e.class ?? 'Error', code: e.code, message: 'm', details: e.ownStatus ? { status: 418 } : {} });
    t.equal(reply.status, e.ownStatus ? 418 : e.status, `${e.code}: ${e.ownStatus ? 'its own status' : e.status}`);
    if (e.retryAfter) t.ok(reply.headers?.['retry-after'], `${e.code} says when to come back`);
  }
  t.equal(describeError({ code: 'TROUPE_ERR_DRAINING', message: 'm' }).status, 500, 'a code the catalog does not list is an internal error');
});

t.test("the README's error list is the catalog's", async (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  t.equal(readme, withErrorList(readme), "README.md's error list differs from src/errors/catalog.ts: run `node --import tsx scripts/errors-readme.ts`");
});

// A plain Error reaches a caller without a code or a next step. These report only a bug in troupe itself (a state
// machine's impossible move, a frame this codec did not write), so they stay plain.
const INTERNAL = [
  /src\/serve\/controller\/replica\.ts: .*no transition/,
  /src\/serve\/controller\/replica-actions\.ts: .*is not running/,
  /src\/core\/codec\.ts: .*compact frame/,
];

t.test('src/ throws no plain Error a caller can see', async (t) => {
  for (const path of walk(join(root, 'src'), /\.(ts|mjs)$/)) {
    const file = relative(root, path);
    readFileSync(path, 'utf8').split('\n').forEach((text, i) => {
      if (!/throw new (Error|TypeError|RangeError)\(/.test(text)) return;
      const where = `${file}: ${text.trim()}`;
      if (INTERNAL.some((re) => re.test(where))) return;
      t.fail(
        `${file}:${i + 1} throws a plain Error: throw a catalog error instead (InvalidArgumentError for a bad argument or option, or a class of ` +
          `the folder's errors.ts with a TROUPE_ERR_* code and a next step), or, if only a bug in troupe can reach it, add it to INTERNAL in test/errors/catalog.test.ts`,
      );
    });
  }
  t.pass('checked');
});
