// The webcam loop's tracking, the way MediaPipe's face mesh runs: the detector runs only when
// there is no track (and every `confirmEvery` frames, because the posmap network has no
// face-presence score of its own), and each frame is cropped from the previous frame's
// landmarks with PRNet's landmark rule. Landmarks and vertices are smoothed over time with the
// One Euro filter, which follows fast motion without the lag of a fixed low-pass.
import { cropFromLandmarks } from './geometry.js';

function alpha(cutoff, dt) {
  const tau = 1 / (2 * Math.PI * cutoff);
  return 1 / (1 + tau / dt);
}

/**
 * One Euro filter (Casiez, Roussel and Vogel, CHI 2012) over a vector of values.
 *
 * The cutoff of each value's low-pass rises with its (smoothed) speed:
 * `cutoff = minCutoff + beta * |speed| / scale`; at rest jitter is cut at `minCutoff` Hz, on fast
 * motion the cutoff opens up and the lag vanishes. `scale` is the unit of the speed (here the
 * face's crop size in pixels), so that the constants do not depend on the face's size in the
 * image.
 */
export class OneEuroFilter {
  constructor({ minCutoff = 1.0, beta = 2.0, dCutoff = 1.0 } = {}) {
    this.minCutoff = minCutoff;
    this.beta = beta;
    this.dCutoff = dCutoff;
    this.reset();
  }

  reset() {
    this.x = null;
    this.dx = null;
    this.t = null;
  }

  /**
   * @param {ArrayLike<number>} values  this frame's raw values
   * @param {number} t  its time in seconds
   * @param {number} scale  the unit of speed (values per second / scale)
   * @returns {Float32Array} the filtered values (a new array)
   */
  filter(values, t, scale = 1) {
    const n = values.length;
    if (this.x === null || this.x.length !== n || !(t > this.t)) {
      this.x = Float64Array.from(values);
      this.dx = new Float64Array(n);
      this.t = t;
      return Float32Array.from(values);
    }
    const dt = t - this.t;
    this.t = t;
    const aD = alpha(this.dCutoff, dt);
    const unit = scale > 0 ? scale : 1;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const speed = (values[i] - this.x[i]) / dt;
      this.dx[i] += aD * (speed - this.dx[i]);
      const a = alpha(this.minCutoff + (this.beta * Math.abs(this.dx[i])) / unit, dt);
      this.x[i] += a * (values[i] - this.x[i]);
      out[i] = this.x[i];
    }
    return out;
  }
}

/** Intersection over union of two square crops {center, size}. */
export function cropIou(a, b) {
  const ha = a.size / 2, hb = b.size / 2;
  const w = Math.min(a.center[0] + ha, b.center[0] + hb) - Math.max(a.center[0] - ha, b.center[0] - hb);
  const h = Math.min(a.center[1] + ha, b.center[1] + hb) - Math.max(a.center[1] - ha, b.center[1] - hb);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.size * a.size + b.size * b.size - inter);
}

/**
 * Which crop each webcam frame uses.
 *
 * Per frame: if `needsDetection()`, run the detector and pass its crops to `fromDetections`
 * (which returns the crop to use, or null: no face); else use `crop`. After the network, pass
 * the landmarks to `update`, which sets the next frame's crop, or drops the track when the
 * landmarks leave the image or collapse (the next frame detects again).
 *
 * The crop is held while the landmark crop moves less than `hold` (centre shift and size change
 * relative to its size): the network's answer depends on its crop, and a crop re-derived from
 * every frame's landmarks wanders ~1-2% a frame on a still face, which shows as jitter.
 */
export class FaceTracker {
  constructor({ confirmEvery = 30, minSize = 24, minIou = 0.3, hold = 0.04 } = {}) {
    this.confirmEvery = confirmEvery;
    this.minSize = minSize;
    this.minIou = minIou;
    this.hold = hold;
    this.reset();
  }

  reset() {
    this.crop = null;
    this.sinceDetection = 0;
    this.detections = 0;
    this.frames = 0;
  }

  needsDetection() {
    return !this.crop || this.sinceDetection >= this.confirmEvery;
  }

  /** @returns the crop to use this frame: the track's when a detection confirms it. */
  fromDetections(crops) {
    this.detections += 1;
    this.sinceDetection = 0;
    if (!crops.length) {
      this.crop = null;
      return null;
    }
    if (this.crop) {
      const best = Math.max(...crops.map((c) => cropIou(c, this.crop)));
      if (best >= this.minIou) return this.crop;
    }
    this.crop = crops[0];
    return this.crop;
  }

  /** The next frame's crop from this frame's landmarks ([x, y, ...] each), or null (lost). */
  update(landmarks, scale, width, height) {
    this.frames += 1;
    this.sinceDetection += 1;
    const next = cropFromLandmarks(landmarks, scale);
    const [cx, cy] = next.center;
    const ok = next.size >= this.minSize && next.size <= 2 * Math.max(width, height) &&
      cx >= 0 && cy >= 0 && cx < width && cy < height;
    if (!ok) {
      this.crop = null;
    } else if (!this.crop || !this.holds(next)) {
      this.crop = next;
    }
    return this.crop;
  }

  /** Whether `next` is within `hold` of the current crop (the current one is kept). */
  holds(next) {
    const c = this.crop, s = c.size;
    const shift = Math.hypot(next.center[0] - c.center[0], next.center[1] - c.center[1]);
    return shift < this.hold * s && Math.abs(next.size - s) < this.hold * s;
  }
}
