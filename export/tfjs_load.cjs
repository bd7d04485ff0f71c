// Load a TF.js graph model folder from disk (model.json + weight shards) with a tfjs module.
"use strict";
const fs = require("fs");
const path = require("path");

async function loadGraphModelDir(tf, modelDir) {
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
  return tf.loadGraphModel(handler);
}

module.exports = { loadGraphModelDir };
