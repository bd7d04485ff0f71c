// Per-kernel time of a TF.js graph model on the wasm backend in Node (tf.profile).
// Usage: node tfjs_kernels.cjs NODE_MODULES MODEL_DIR RUNS
// Prints one JSON line: {"wall_ms": median of RUNS, "kernels": [{"name", "shape", "ms"}]}:
// each kernel's mean time over RUNS profiled runs (after 5 warm-up runs).
"use strict";
const path = require("path");
const { loadGraphModelDir } = require(path.join(__dirname, "..", "export", "tfjs_load.cjs"));

async function main() {
  const [nodeModules, modelDir, runsText] = process.argv.slice(2);
  const tf = require(require.resolve("@tensorflow/tfjs", { paths: [nodeModules] }));
  require(require.resolve("@tensorflow/tfjs-backend-wasm", { paths: [nodeModules] }));
  if (!(await tf.setBackend("wasm"))) throw new Error("wasm backend failed");
  await tf.ready();
  const model = await loadGraphModelDir(tf, modelDir);
  const n = model.inputs[0].shape[1];
  const x = tf.randomUniform([1, n, n, 3]);
  for (let i = 0; i < 5; i++) model.execute(x).dataSync();
  const runs = Number(runsText);
  const wall = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    model.execute(x).dataSync();
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  wall.sort((a, b) => a - b);
  const sum = new Map();
  for (let r = 0; r < runs; r++) {
    const prof = await tf.profile(() => {
      const y = model.execute(x);
      y.dataSync();
      return y;
    });
    // a fused op reports itself and its kernel: keep the kernels (the names without "__op")
    prof.kernels.forEach((k, i) => {
      if (k.name.endsWith("__op")) return;
      const key = `${i}|${k.name}|${JSON.stringify(k.outputShapes[0])}`;
      sum.set(key, (sum.get(key) || 0) + k.kernelTimeMs / runs);
    });
  }
  const kernels = [...sum].map(([key, ms]) => {
    const [, name, shape] = key.split("|");
    return { name, shape: JSON.parse(shape), ms };
  });
  console.log(JSON.stringify({ wall_ms: wall[Math.floor(runs / 2)], kernels }));
}

main().catch((err) => {
  console.error(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
