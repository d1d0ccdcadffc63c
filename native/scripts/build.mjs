#!/usr/bin/env node
// Builds the native addon into build/Release/troupe_native.node.
//
//   node native/scripts/build.mjs            cmake-js (CUDA backend when nvcc is found), node-gyp as fallback
//   node native/scripts/build.mjs --cpu      cmake-js without CUDA
//   node native/scripts/build.mjs --gyp      node-gyp only (CPU-only), for machines without CMake
//   node native/scripts/build.mjs --gyp --out DIR    node-gyp build in DIR (leaves build/ alone)
//   node native/scripts/build.mjs --optional (npm install) never fails: troupe falls back to TypeScript; it builds
//                                            nothing when the package's prebuilt binary for this platform loads
//   node native/scripts/build.mjs --prebuild (npm pack) copies the built binary to prebuilds/<platform>-<arch>/,
//                                            building it first when build/Release has none
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'package.json'));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const releaseDir = join(root, 'build', 'Release');
const target = join(releaseDir, 'troupe_native.node');
// Where the package carries its prebuilt binary (src/native/binding.ts looks there after build/Release).
const prebuildDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const prebuilt = join(prebuildDir, 'troupe_native.node');

function run(cmd, cmdArgs, cwd = root) {
  console.log(`[troupe native] ${[cmd, ...cmdArgs].join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { cwd, stdio: 'inherit', env: process.env });
  return r.status === 0;
}

function has(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

function publish(file, info) {
  mkdirSync(releaseDir, { recursive: true });
  if (resolve(file) !== target) copyFileSync(file, target);
  writeFileSync(join(releaseDir, 'troupe_native.json'), JSON.stringify({ ...info, builtAt: new Date().toISOString() }, null, 2));
  console.log(`[troupe native] built ${target} (${info.builder}${info.cuda ? ', CUDA' : ', CPU only'})`);
}

function cmakeBuild(cuda) {
  if (!has('cmake')) {
    console.log('[troupe native] cmake not found');
    return false;
  }
  const out = join(root, 'build', cuda ? 'cmake' : 'cmake-cpu');
  let cli;
  try {
    cli = require.resolve('cmake-js/bin/cmake-js');
  } catch {
    console.log('[troupe native] cmake-js not installed (a devDependency of troupe\'s repository)');
    return false;
  }
  const ok = run(process.execPath, [cli, 'rebuild', '--out', out, '--parallel', '2', `--CDTROUPE_CUDA=${cuda ? 'ON' : 'OFF'}`]);
  const file = join(out, 'Release', 'troupe_native.node');
  if (!ok || !existsSync(file)) return false;
  // cmake-js does not tell us whether check_language found nvcc; the cache does.
  let withCuda = false;
  try {
    withCuda = spawnSync('grep', ['-q', '^CMAKE_CUDA_COMPILER:', join(out, 'CMakeCache.txt')]).status === 0 && cuda;
  } catch {}
  publish(file, { builder: 'cmake-js', cuda: withCuda });
  return true;
}

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    (() => { try { return require.resolve('node-gyp/bin/node-gyp.js'); } catch { return undefined; } })(),
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  return candidates.find((c) => c && existsSync(c));
}

// node-gyp owns its build/ folder (rebuild wipes it), so it builds in a folder of its own.
function gypBuild(outDir) {
  const gyp = nodeGyp();
  if (!gyp) {
    console.log('[troupe native] node-gyp not found');
    return undefined;
  }
  const dir = resolve(outDir ?? join(root, 'build', 'gyp'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'native'), { recursive: true });
  cpSync(join(root, 'binding.gyp'), join(dir, 'binding.gyp'));
  cpSync(join(root, 'native', 'src'), join(dir, 'native', 'src'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const gypArgs = [gyp, 'rebuild', '--jobs', '2'];
  // Use the headers installed beside this node binary instead of downloading them.
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'common.gypi'))) gypArgs.push(`--nodedir=${prefix}`);
  if (!run(process.execPath, gypArgs, dir)) return undefined;
  const file = join(dir, 'build', 'Release', 'troupe_native.node');
  return existsSync(file) ? file : undefined;
}

/** True when `file` loads in this Node (the addon's N-API version and this platform's libc agree). */
function loads(file) {
  if (!existsSync(file)) return false;
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], { stdio: 'ignore' });
  return r.status === 0;
}

function main() {
  if (flag('--prebuild')) {
    if (!existsSync(target) && !buildAddon()) return false;
    mkdirSync(prebuildDir, { recursive: true });
    copyFileSync(target, prebuilt);
    console.log(`[troupe native] prebuilt ${prebuilt}`);
    return true;
  }
  if (flag('--optional') && !existsSync(target) && loads(prebuilt)) {
    console.log(`[troupe native] using the prebuilt ${prebuilt}`);
    return true;
  }
  return buildAddon();
}

function buildAddon() {
  if (flag('--gyp')) {
    const file = gypBuild(option('--out'));
    if (!file) return false;
    if (!option('--out')) publish(file, { builder: 'node-gyp', cuda: false });
    else console.log(`[troupe native] built ${file} (node-gyp, CPU only)`);
    return true;
  }
  const wantCuda = !flag('--cpu') && process.env.TROUPE_NATIVE_CUDA !== '0';
  if (cmakeBuild(wantCuda)) return true;
  if (wantCuda) {
    console.log('[troupe native] the CUDA build failed; trying the CPU-only build');
    if (cmakeBuild(false)) return true;
  }
  console.log('[troupe native] cmake-js failed; trying node-gyp');
  const file = gypBuild();
  if (file) {
    publish(file, { builder: 'node-gyp', cuda: false });
    return true;
  }
  return false;
}

if (!main()) {
  const msg = '[troupe native] could not build the native addon; troupe will use its TypeScript fallbacks (no GPU slots). ' +
    'Install cmake and a C++17 compiler, then run `npm run build:native`.';
  if (flag('--optional')) {
    console.warn(msg);
  } else {
    console.error(msg);
    process.exit(1);
  }
}
