// The lprnet posmap network as a TF.js graph model, described by its own metadata
// (model.json userDefinedMetadata.lprnet, schema lprnet.model/1) and the UV tables beside it
// (lprnet.json: uv.keypoints, uv.face_indices, uv.triangles, uv.canonical_points).
// Nothing about the model is hard-coded here: input size, normalisation, quantisation, the
// posmap scale and the keypoint pixels are read from the metadata.
/* global tf */

const SCHEMA = 'lprnet.model/1';

function fail(what) {
  throw new Error(`model metadata: ${what}`);
}

/** Parse "x = pixel / A" or "x = pixel / A - B" -> {div, sub}. */
export function parseNormalization(text) {
  const m = /^x = pixel \/ ([0-9.]+)(?: - ([0-9.]+))?$/.exec(String(text).trim());
  if (!m) fail(`unsupported input.normalization ${JSON.stringify(text)}`);
  return { div: parseFloat(m[1]), sub: m[2] ? parseFloat(m[2]) : 0 };
}

/** Check the metadata and the UV tables; returns what the pipeline reads. */
export function describe(meta, tables) {
  if (!meta || meta.schema !== SCHEMA) fail(`expected schema ${SCHEMA}, got ${meta && meta.schema}`);
  const shape = meta.input && meta.input.shape;
  if (!Array.isArray(shape) || shape.length !== 4 || shape[1] !== shape[2] || shape[3] !== 3) {
    fail(`input.shape must be [1, n, n, 3], got ${JSON.stringify(shape)}`);
  }
  const n = shape[1];
  if (meta.input.layout !== 'NHWC' || meta.input.color !== 'RGB') {
    fail(`input must be NHWC RGB, got ${meta.input.layout} ${meta.input.color}`);
  }
  const posmapScale = meta.output && meta.output.posmap_scale;
  if (!(posmapScale > 0)) fail('output.posmap_scale missing');
  const keypoints = meta.keypoints_uv;
  if (!Array.isArray(keypoints) || keypoints.length !== 68) fail('keypoints_uv must hold 68 [x, y]');
  const uv = tables.uv || tables; // lprnet.json: {..metadata, uv: {...}}
  const faceIndices = uv.face_indices;
  if (!Array.isArray(faceIndices) || !faceIndices.length) fail('lprnet.json: uv.face_indices missing');
  if ((uv.resolution || n) !== n) fail(`lprnet.json is for n=${uv.resolution}, the model for ${n}`);
  const M = faceIndices.length;
  let tri = (uv.triangles || []).flat();
  let maxIndex = -1;
  for (const k of tri) if (k > maxIndex) maxIndex = k;
  if (maxIndex >= M) {
    // flat UV pixel indices (the grid rule): map onto vertex indices
    const remap = new Int32Array(n * n).fill(-1);
    faceIndices.forEach((k, i) => { remap[k] = i; });
    tri = tri.map((k) => remap[k]);
  }
  const canonical = uv.canonical_points ? Float32Array.from(uv.canonical_points.flat()) : null;
  if (canonical && canonical.length !== M * 3) fail('uv.canonical_points must be (M, 3)');
  return {
    name: meta.name,
    precision: meta.precision,
    n,
    posmapScale,
    normalization: parseNormalization(meta.input.normalization),
    inputQuant: meta.input.quantization || null,
    inputDtype: meta.input.dtype || 'float32',
    outputQuant: meta.output.quantization || null,
    keypoints,
    crop: meta.crop || {},
    faceIndices: Int32Array.from(faceIndices),
    triangles: Uint32Array.from(tri),
    canonical,
  };
}

export class PosmapNet {
  /** Load model.json (+ lprnet.json beside it). */
  static async load(modelUrl) {
    const model = await tf.loadGraphModel(modelUrl);
    const tablesUrl = new URL('lprnet.json', new URL(modelUrl, location.href)).href;
    const res = await fetch(tablesUrl);
    if (!res.ok) throw new Error(`${tablesUrl}: HTTP ${res.status}`);
    const tables = await res.json();
    const meta = (model.metadata && model.metadata.lprnet) || tables;
    return new PosmapNet(model, describe(meta, tables));
  }

  constructor(model, info) {
    this.model = model;
    this.info = info;
  }

  /** Crop (n * n * 3 uint8 RGB) -> network output (n * n * 3 floats, posmap / posmap_scale). */
  async predict(crop) {
    const { n, normalization, inputQuant, outputQuant, inputDtype } = this.info;
    const out = tf.tidy(() => {
      let x = tf.tensor4d(crop, [1, n, n, 3], 'int32').toFloat();
      x = x.div(normalization.div).sub(normalization.sub);
      if (inputQuant) {
        x = x.div(inputQuant.scale).add(inputQuant.zero_point).round();
      }
      if (inputDtype.startsWith('int') || inputDtype.startsWith('uint')) x = x.toInt();
      let y = this.model.execute(x);
      if (outputQuant) y = y.toFloat().sub(outputQuant.zero_point).mul(outputQuant.scale);
      return y;
    });
    const data = await out.data();
    out.dispose();
    return data;
  }

  dispose() { this.model.dispose(); }
}
