// Copy the browser builds the page needs from node_modules into vendor/ (no bundler, no CDN).
// Run after `npm ci`: `npm run vendor` (or `node scripts/vendor.mjs`). Prints what it copied.
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = join(root, 'node_modules');
const vendor = join(root, 'vendor');

// [package, file inside the package, name in vendor/]
const FILES = [
  ['@tensorflow/tfjs', 'dist/tf.min.js', 'tf.min.js'],
  ['@tensorflow/tfjs-backend-wasm', 'dist/tf-backend-wasm.min.js', 'tf-backend-wasm.min.js'],
  ['@tensorflow/tfjs-backend-wasm', 'dist/tfjs-backend-wasm.wasm', 'tfjs-backend-wasm.wasm'],
  ['@tensorflow/tfjs-backend-wasm', 'dist/tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-simd.wasm'],
  ['@tensorflow/tfjs-backend-wasm', 'dist/tfjs-backend-wasm-threaded-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm'],
  ['three', 'build/three.module.js', 'three.module.js'],
  ['three', 'build/three.core.js', 'three.core.js'],
  ['three', 'examples/jsm/controls/OrbitControls.js', 'addons/controls/OrbitControls.js'],
  ['three', 'LICENSE', 'three.LICENSE'], // the tfjs builds carry their Apache-2.0 header
];

rmSync(vendor, { recursive: true, force: true });
const versions = {};
let total = 0;
for (const [pkg, file, name] of FILES) {
  const pkgDir = join(modules, pkg);
  const meta = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  versions[pkg] = { version: meta.version, license: meta.license };
  const dst = join(vendor, name);
  mkdirSync(dirname(dst), { recursive: true });
  copyFileSync(join(pkgDir, file), dst);
  const size = statSync(dst).size;
  total += size;
  console.log(`${pkg}@${meta.version} ${file} -> vendor/${name} (${size} bytes)`);
}
writeFileSync(join(vendor, 'VERSIONS.json'), JSON.stringify(versions, null, 2) + '\n');
console.log(`vendored ${FILES.length} files, ${total} bytes`);
