// Run a TF.js graph model folder on raw float32 crops with @tensorflow/tfjs (Node, no tfjs-node).
// Usage: node tfjs_runner.cjs NODE_MODULES MODEL_DIR INPUT.bin N SIZE OUTPUT.bin [backend]
// INPUT.bin: N x SIZE x SIZE x 3 float32 (little endian); OUTPUT.bin the same shape.
// Prints one JSON line: {"backend", "ms": [per-image milliseconds]}.
"use strict";
const fs = require("fs");
const path = require("path");

async function main() {
  const [nodeModules, modelDir, inputPath, count, size, outputPath, backend] = process.argv.slice(2);
  const tf = require(require.resolve("@tensorflow/tfjs", { paths: [nodeModules] }));
  if (backend === "wasm") {
    require(require.resolve("@tensorflow/tfjs-backend-wasm", { paths: [nodeModules] }));
  }
  if (!(await tf.setBackend(backend || "cpu"))) throw new Error(`backend ${backend} failed`);
  await tf.ready();
  const spec = JSON.parse(fs.readFileSync(path.join(modelDir, "model.json"), "utf8"));
  const specs = [];
  const buffers = [];
  for (const group of spec.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(modelDir, p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const handler = {
    load: async () => ({
      modelTopology: spec.modelTopology,
      format: spec.format,
      generatedBy: spec.generatedBy,
      convertedBy: spec.convertedBy,
      signature: spec.signature,
      userDefinedMetadata: spec.userDefinedMetadata,
      weightSpecs: specs,
      weightData,
    }),
  };
  const model = await tf.loadGraphModel(handler);
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
