// Run a TF.js graph model folder on raw float32 crops with @tensorflow/tfjs (Node, no tfjs-node).
// Usage: node tfjs_runner.cjs NODE_MODULES MODEL_DIR INPUT.bin N SIZE OUTPUT.bin [backend]
// INPUT.bin: N x SIZE x SIZE x 3 float32 (little endian); OUTPUT.bin the same shape.
// Prints one JSON line: {"backend", "ms": [per-image milliseconds]}.
"use strict";
const fs = require("fs");
const path = require("path");
const { loadGraphModelDir } = require(path.join(__dirname, "tfjs_load.cjs"));

async function main() {
  const [nodeModules, modelDir, inputPath, count, size, outputPath, backend] = process.argv.slice(2);
  const tf = require(require.resolve("@tensorflow/tfjs", { paths: [nodeModules] }));
  if (backend === "wasm") {
    require(require.resolve("@tensorflow/tfjs-backend-wasm", { paths: [nodeModules] }));
  }
  if (!(await tf.setBackend(backend || "cpu"))) throw new Error(`backend ${backend} failed`);
  await tf.ready();
  const model = await loadGraphModelDir(tf, modelDir);
  const n = Number(count);
  const s = Number(size);
  const raw = fs.readFileSync(inputPath);
  const input = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const per = s * s * 3;
  const out = new Float32Array(n * per);
  const ms = [];
  for (let i = 0; i < n; i++) {
    const x = tf.tensor4d(input.subarray(i * per, (i + 1) * per), [1, s, s, 3]);
    const t0 = process.hrtime.bigint();
    const y = model.execute(x);
    const data = y.dataSync();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    out.set(data, i * per);
    x.dispose();
    y.dispose();
  }
  fs.writeFileSync(outputPath, Buffer.from(out.buffer));
  console.log(JSON.stringify({ backend: tf.getBackend(), ms }));
}

main().catch((err) => {
  console.error(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
