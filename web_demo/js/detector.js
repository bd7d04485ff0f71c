// BlazeFace in the browser: the MediaPipe models the Python detector runs
// (lprnet/inference/detect.py), converted to TF.js graph models by lprnet/demo/blazeface.py.
// Decoding, weighted NMS and the box calibration are ported from detect.py; the numbers
// (input size, anchor strides, score threshold, calibration) come from each model.json's
// userDefinedMetadata.blazeface.
/* global tf */

/** MediaPipe's SsdAnchorsCalculator for a square input, anchor centres only (detect.ssd_anchors). */
export function ssdAnchors(size, strides, interpolated) {
  const anchors = [];
  let i = 0;
  while (i < strides.length) {
    let j = i, repeats = 0;
    while (j < strides.length && strides[j] === strides[i]) {
      repeats += interpolated ? 2 : 1;
      j++;
    }
    const cells = Math.floor(size / strides[i]);
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let r = 0; r < repeats; r++) anchors.push([(x + 0.5) / cells, (y + 0.5) / cells]);
      }
    }
    i = j;
  }
  return anchors;
}

function iou(a, b) {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Non-maximum suppression of [l, t, r, b, score] boxes (detect.nms); weighted: MediaPipe's. */
export function nms(boxes, threshold, weighted) {
  const b = boxes.slice().sort((p, q) => q[4] - p[4]);
  const alive = b.map(() => true);
  const kept = [];
  for (let i = 0; i < b.length; i++) {
    if (!alive[i]) continue;
    const cluster = b.map((o, k) => alive[k] && (k === i || iou(b[i], o) > threshold));
    const box = b[i].slice();
    if (weighted) {
      let w = 0;
      const acc = [0, 0, 0, 0];
      cluster.forEach((c, k) => {
        if (!c) return;
        w += b[k][4];
        for (let d = 0; d < 4; d++) acc[d] += b[k][d] * b[k][4];
      });
      for (let d = 0; d < 4; d++) box[d] = acc[d] / w;
    }
    kept.push(box);
    cluster.forEach((c, k) => { if (c) alive[k] = false; });
  }
  return kept;
}

/** Boxes of calibration src -> boxes giving the same crops under dst (detect.recalibrate). */
export function recalibrate(boxes, src, dst) {
  return boxes.map((b) => {
    const old = (b[2] - b[0] + (b[3] - b[1])) / 2;
    const cx = (b[0] + b[2]) / 2 + src.shift_x * old;
    const cy = (b[1] + b[3]) / 2 + src.shift_y * old;
    const side = (old * src.scale) / dst.scale;
    const x = cx - side * dst.shift_x, y = cy - side * dst.shift_y;
    return [x - side / 2, y - side / 2, x + side / 2, y + side / 2, b[4]];
  });
}

const RAW_SCORE_LIMIT = 80;

class BlazeFaceNet {
  constructor(model) {
    const meta = model.metadata && model.metadata.blazeface;
    if (!meta) throw new Error('BlazeFace model.json has no userDefinedMetadata.blazeface');
    this.model = model;
    this.meta = meta;
    this.size = meta.size;
    this.anchors = ssdAnchors(meta.size, meta.strides, meta.interpolated);
    this.canvas = document.createElement('canvas');
    this.canvas.width = this.canvas.height = this.size;
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true });
  }

  /** Letterbox (centred on black, detect.letterbox), run, decode, weighted NMS. */
  async detect(source, width, height) {
    const S = this.size;
    const scale = S / Math.max(width, height);
    const nw = Math.max(1, Math.round(width * scale)), nh = Math.max(1, Math.round(height * scale));
    const px = Math.floor((S - nw) / 2), py = Math.floor((S - nh) / 2);
    const ctx = this.ctx;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, S, S);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(source, 0, 0, width, height, px, py, nw, nh);
    const out = tf.tidy(() => {
      const x = tf.browser.fromPixels(this.canvas).toFloat().div(127.5).sub(1).expandDims(0);
      return this.model.execute(x);
    });
    const raw = await out.data();
    out.dispose();
    const boxes = [];
    const A = this.anchors.length;
    for (let a = 0; a < A; a++) {
      const o = a * 17;
      const logit = Math.min(RAW_SCORE_LIMIT, Math.max(-RAW_SCORE_LIMIT, raw[o + 16]));
      const score = 1 / (1 + Math.exp(-logit));
      if (score < this.meta.min_score) continue;
      const cx = raw[o] / S + this.anchors[a][0], cy = raw[o + 1] / S + this.anchors[a][1];
      const w = raw[o + 2] / S, h = raw[o + 3] / S;
      if (!(w > 0 && h > 0)) continue;
      boxes.push([
        ((cx - w / 2) * S - px) / scale, ((cy - h / 2) * S - py) / scale,
        ((cx + w / 2) * S - px) / scale, ((cy + h / 2) * S - py) / scale, score,
      ]);
    }
    return nms(boxes, this.meta.nms_iou, true);
  }

  dispose() { this.model.dispose(); }
}

/**
 * BlazeFace full range + short range merged as lprnet.inference.detect.BlazeFaceDetector does:
 * boxes in the first model's convention (its calibration), sorted by score.
 */
export class FaceDetector {
  static async load(urls) {
    const nets = [];
    for (const url of urls) nets.push(new BlazeFaceNet(await tf.loadGraphModel(url)));
    return new FaceDetector(nets);
  }

  constructor(nets) {
    this.nets = nets;
    this.calibration = nets[0].meta.calibration;
    this.nmsIou = nets[0].meta.nms_iou;
  }

  /** Faces in a drawable source: [[l, t, r, b, score], ...] image pixels, best first. */
  async detect(source, width, height) {
    let all = [];
    for (const net of this.nets) {
      const boxes = await net.detect(source, width, height);
      all = all.concat(recalibrate(boxes, net.meta.calibration, this.calibration));
    }
    return nms(all, this.nmsIou, false);
  }

  dispose() { this.nets.forEach((n) => n.dispose()); }
}
