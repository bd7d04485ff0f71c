// The page: photo or webcam -> BlazeFace box -> PRNet crop -> posmap network -> 68 landmarks,
// coloured 3D mesh, head pose, per-frame latency. The same steps as lprnet.Reconstructor.
//
// For scripts and tests (docs/web_demo.md):
//   window.lprnetReady   true once the backend and both models are loaded
//   window.lprnetError   the last error message, or null
//   window.lprnetResult  the last frame's result (landmarks, crop, box, pose, timings, ...)
//   window.lprnetBench(runs)  -> {backend, model_ms_median, pipeline_ms_median, ...}
//   window.lprnet        {runUrl(url), setBackend(name), startWebcam(), stopWebcam(),
//                         webcamStats(), resetWebcamStats(), setTracking(on), setSmoothing(on),
//                         setCrop(center, size), setView(mode), viewAngle(az, el),
//                         viewerInfo(), objText()}
/* global tf */
import { FaceDetector } from './detector.js';
import * as geo from './geometry.js';
import { PosmapNet } from './model.js';
import { FaceTracker, OneEuroFilter } from './tracking.js';
import { FaceViewer } from './viewer.js';

const params = new URLSearchParams(location.search);
const BACKENDS = ['wasm', 'webgl', 'cpu'];
const MODEL_URL = params.get('model') || 'model/model.json';
// webcam: 3D view refreshes per second (?view_hz=0: not during the webcam; the landmarks are
// drawn on every frame either way); fewer on a software WebGL renderer, where each costs more
// than the rest of the frame
const viewHz = () => (params.has('view_hz') ? Math.max(0, parseFloat(params.get('view_hz')) || 0)
  : (viewer.software ? 4 : 10));
const DETECTOR_URLS = ['models/blazeface-full/model.json', 'models/blazeface-short/model.json'];
// iBUG-68 contours for drawing: [first, last, closed]
const CONTOURS = [[0, 16, false], [17, 21, false], [22, 26, false], [27, 30, false], [31, 35, false],
  [36, 41, true], [42, 47, true], [48, 59, true], [60, 67, true]];

const $ = (id) => document.getElementById(id);
const photo = $('photo'), overlay = $('overlay'), video = $('video');
const photoCtx = photo.getContext('2d', { willReadFrequently: true });
const overlayCtx = overlay.getContext('2d');
const viewer = new FaceViewer($('view3d'));

const state = {
  backend: null, net: null, detector: null, loading: null,
  hasImage: false, width: 0, height: 0, rgba: null, source: 'none',
  boxes: [], selected: 0, crop: null, manualCrop: null,
  face: null, frame: 0, busy: false, webcam: null, drag: null,
  tracker: new FaceTracker(), smoothLandmarks: new OneEuroFilter(), smoothPoints: new OneEuroFilter(),
  wasmThreads: null, viewShown: -Infinity,
};
window.lprnetReady = false;
window.lprnetError = null;
window.lprnetResult = null;

function setStatus(text, error = false) {
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', error);
  if (error) window.lprnetError = text;
}

// Everything that touches the models runs one at a time, in call order (UI events, webcam
// frames, backend switches, scripted calls), so a backend switch never meets a running frame.
let queue = Promise.resolve();
function serial(fn) {
  const done = queue.then(fn);
  queue = done.catch(() => {});
  return done;
}

function report(err) {
  console.error(err);
  setStatus(`error: ${err && err.message ? err.message : err}`, true);
}

// ---------------------------------------------------------------------------------------------
// backend and models
// ---------------------------------------------------------------------------------------------
async function setBackend(name) {
  if (!BACKENDS.includes(name)) throw new Error(`unknown backend ${name}; choose ${BACKENDS}`);
  window.lprnetReady = false;
  setStatus(`loading (${name})…`);
  if (state.net) state.net.dispose();
  if (state.detector) state.detector.dispose();
  state.net = state.detector = null;
  // the threaded SIMD build loads under cross-origin isolation (the demo server's COOP / COEP
  // headers); tfjs would start half the cores' threads (one on a 2-core machine): use them all.
  // The count is fixed when the wasm module first starts (?threads=N overrides it).
  if (name === 'wasm') {
    tf.wasm.setWasmPaths(new URL('vendor/', location.href).href);
    if (state.wasmThreads === null && self.crossOriginIsolated && tf.wasm.setThreadsCount) {
      state.wasmThreads = parseInt(params.get('threads'), 10) || navigator.hardwareConcurrency || 1;
      // the backend caps the count at hardwareConcurrency / 2 (it assumes 2 hyper-threads per
      // core), read once as the module starts: let it see the count asked for
      const cores = navigator.hardwareConcurrency || 1;
      Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * state.wasmThreads, configurable: true });
      tf.wasm.setThreadsCount(state.wasmThreads);
      state.restoreCores = () => Object.defineProperty(navigator, 'hardwareConcurrency', { value: cores, configurable: true });
    }
  }
  const started = await tf.setBackend(name);
  if (state.restoreCores) { state.restoreCores(); state.restoreCores = null; }
  if (!started) throw new Error(`backend ${name} failed to start`);
  await tf.ready();
  state.backend = tf.getBackend();
  $('backend').value = state.backend;
  const [net, detector] = await Promise.all([PosmapNet.load(MODEL_URL), FaceDetector.load(DETECTOR_URLS)]);
  state.net = net;
  state.detector = detector;
  await net.predict(new Uint8Array(net.info.n * net.info.n * 3)); // compile / warm up
  let extra = '';
  if (state.backend === 'wasm') {
    const threads = tf.wasm.getThreadsCount ? tf.wasm.getThreadsCount() : 1;
    extra = ` (${threads} thread${threads === 1 ? '' : 's'}, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'})`;
  }
  $('s-backend').textContent = state.backend + extra;
  const info = net.info;
  $('s-model').textContent = `${info.name} ${info.precision}, ${info.n}×${info.n}, ` +
    `${info.faceIndices.length} vertices, ${info.triangles.length / 3} triangles`;
  window.lprnetReady = true;
  setStatus(`ready: ${state.backend}`);
  if (state.hasImage && !state.webcam) await reconstruct(true);
}

function ready() {
  if (!state.net || !state.detector) throw new Error('models are not loaded yet');
}

// ---------------------------------------------------------------------------------------------
// images
// ---------------------------------------------------------------------------------------------
function grabPixels(source, width, height) {
  if (photo.width !== width || photo.height !== height) {
    photo.width = overlay.width = width;
    photo.height = overlay.height = height;
  }
  photoCtx.drawImage(source, 0, 0, width, height);
  state.rgba = photoCtx.getImageData(0, 0, width, height).data;
  state.width = width;
  state.height = height;
  state.hasImage = true;
  $('hint').hidden = true;
}

async function loadBlob(blob) {
  stopWebcam();
  // the decoded pixels as they are (OpenCV ignores ICC profiles too)
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none' });
  grabPixels(bitmap, bitmap.width, bitmap.height);
  bitmap.close();
  state.manualCrop = null;
  state.source = 'photo';
  return reconstruct(true);
}

async function runUrl(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return loadBlob(await res.blob());
}

// ---------------------------------------------------------------------------------------------
// the pipeline
// ---------------------------------------------------------------------------------------------
async function runCrop(crop) {
  const info = state.net.info;
  const t0 = performance.now();
  const m = geo.cropMatrix(crop.center, crop.size, info.n);
  const pixels = geo.warpCrop(state.rgba, state.width, state.height, m, info.n);
  const t1 = performance.now();
  const out = await state.net.predict(pixels);
  const t2 = performance.now();
  const pos = geo.posmapToImage(out, info.posmapScale, m);
  return { crop, m, pixels, pos, cropMs: t1 - t0, modelMs: t2 - t1 };
}

function tracking() {
  return state.source === 'webcam' && $('track').checked && !state.manualCrop &&
    Boolean(state.net.info.crop.landmark_scale);
}

/**
 * One frame: detect (unless told not to, the crop is hand-placed, or the webcam's track holds),
 * crop, run, read out.
 */
async function reconstruct(detect = true) {
  ready();
  const info = state.net.info;
  const t0 = performance.now();
  const track = tracking();
  let detected = false, tracked = false;
  let crop = state.manualCrop;
  if (track) {
    if (state.tracker.needsDetection()) {
      const previous = state.tracker.crop;
      state.boxes = await state.detector.detect(photo, state.width, state.height);
      state.selected = 0;
      detected = true;
      crop = state.tracker.fromDetections(state.boxes.map((b) => geo.cropFromBox(b, state.detector.calibration)));
      tracked = previous !== null && crop === previous; // a detection confirmed the track
    } else {
      crop = state.tracker.crop;
      tracked = true;
      state.boxes = []; // no detection this frame
    }
  } else if (detect && !state.manualCrop) {
    state.boxes = await state.detector.detect(photo, state.width, state.height);
    state.selected = 0;
    detected = true;
  } else if (state.manualCrop && state.source === 'webcam') {
    state.boxes = []; // a new frame: the old detections no longer apply
  }
  const tDetect = performance.now() - t0;
  if (!crop && !track && state.boxes.length) {
    const box = state.boxes[Math.min(state.selected, state.boxes.length - 1)];
    crop = geo.cropFromBox(box, state.detector.calibration);
  }
  if (!tracked) { // a new face (or none): the filters start over
    state.smoothLandmarks.reset();
    state.smoothPoints.reset();
  }
  state.frame += 1;
  if (state.webcam) countFrame(detected, tracked);
  if (!crop) {
    state.face = null;
    state.crop = null;
    viewer.clear();
    $('download').disabled = true;
    drawOverlay();
    publish(null, { detect: tDetect, total: performance.now() - t0 }, { detected, tracked });
    if (track) state.tracker.reset();
    setStatus(`${state.backend}: no face found — draw a box around the face`);
    return window.lprnetResult;
  }
  let run = await runCrop(crop);
  let cropMs = run.cropMs, modelMs = run.modelMs;
  const tA = performance.now();
  let lms = geo.landmarks(run.pos, info.keypoints, info.n);
  let postMs = performance.now() - tA;
  if ($('refine').checked && info.crop.landmark_scale && !track) { // a track's crop is refined already
    run = await runCrop(geo.cropFromLandmarks(lms, info.crop.landmark_scale));
    cropMs += run.cropMs;
    modelMs += run.modelMs;
    const tB = performance.now();
    lms = geo.landmarks(run.pos, info.keypoints, info.n);
    postMs += performance.now() - tB;
  }
  const t3 = performance.now();
  let points = geo.facePoints(run.pos, info.faceIndices);
  if (track) state.tracker.update(lms, info.crop.landmark_scale, state.width, state.height);
  if (state.source === 'webcam' && $('smooth').checked) {
    const t = t0 / 1000, unit = run.crop.size;
    const flat = state.smoothLandmarks.filter(lms.flat(), t, unit);
    const dim = lms[0].length;
    lms = lms.map((_, i) => Array.from(flat.subarray(i * dim, (i + 1) * dim)));
    points = state.smoothPoints.filter(points, t, unit);
  }
  const colors = geo.vertexColors(state.rgba, state.width, state.height, points);
  const pose = info.canonical ? geo.headPose(info.canonical, points) : null;
  postMs += performance.now() - t3;
  state.crop = run.crop;
  state.face = { points, colors, landmarks: lms, pose, crop: run.crop };
  const t4 = performance.now();
  // the webcam refreshes the 3D view at most viewHz() times a second
  const now = performance.now();
  const hz = viewHz();
  if (state.source !== 'webcam' || (hz > 0 && now - state.viewShown >= 1000 / hz)) {
    viewer.update(points, colors, info.triangles);
    state.viewShown = now;
  }
  drawOverlay();
  const renderMs = performance.now() - t4;
  const timings = { detect: tDetect, crop: cropMs, model: modelMs, post: postMs, render: renderMs,
    total: performance.now() - t0 };
  publish(state.face, timings, { detected, tracked });
  $('download').disabled = false;
  setStatus(`${state.backend}: ${state.source} frame ${state.frame}, ${state.boxes.length} face(s) found` +
    (state.manualCrop ? ' (hand-placed crop)' : ''));
  return window.lprnetResult;
}

function publish(face, timings, how = { detected: false, tracked: false }) {
  const info = state.net.info;
  const box = state.boxes.length && !state.manualCrop
    ? state.boxes[Math.min(state.selected, state.boxes.length - 1)] : null;
  window.lprnetResult = {
    frame: state.frame, source: state.source, backend: state.backend,
    model: info.name, precision: info.precision, n: info.n,
    image: { width: state.width, height: state.height },
    detections: state.boxes.map((b) => b.slice()),
    box: box ? box.slice() : null,
    crop: face ? { center: face.crop.center.slice(), size: face.crop.size } : null,
    manual: Boolean(state.manualCrop),
    landmarks: face ? face.landmarks : null,
    pose: face ? face.pose : null,
    vertices: face ? face.points.length / 3 : 0,
    triangles: face ? info.triangles.length / 3 : 0,
    detected: how.detected, // the detector ran on this frame
    tracked: how.tracked, // the crop came from the previous frame's landmarks
    timings,
  };
  const f = (x) => x.toFixed(1);
  $('s-pose').textContent = face && face.pose
    ? face.pose.map((a) => `${f(a)}°`).join(', ') : (face ? 'n/a (no canonical face in lprnet.json)' : '–');
  const t = timings;
  $('s-latency').textContent = face
    ? `${f(t.total)} ms/frame (${f(1000 / t.total)} fps): detect ${f(t.detect)}, crop ${f(t.crop)}, ` +
      `model ${f(t.model)}, post ${f(t.post)}, render ${f(t.render)} ms`
    : `${f(t.total)} ms (no face)`;
}

// ---------------------------------------------------------------------------------------------
// overlay: detections, the crop square (draggable), the 68 landmarks
// ---------------------------------------------------------------------------------------------
function drawOverlay() {
  const ctx = overlayCtx;
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  // line width in image pixels: ~2.5 screen pixels whatever the photo's size
  const lw = Math.max(1.5, (2.5 * state.width) / Math.max(1, overlay.getBoundingClientRect().width));
  ctx.lineWidth = lw;
  state.boxes.forEach((b, i) => {
    ctx.strokeStyle = i === state.selected && !state.manualCrop ? '#ffd24a' : 'rgba(255,210,74,0.5)';
    ctx.strokeRect(b[0], b[1], b[2] - b[0], b[3] - b[1]);
  });
  const crop = state.drag ? state.drag.crop : state.crop || state.manualCrop;
  if (crop) {
    const h = crop.size / 2;
    ctx.setLineDash([lw * 4, lw * 3]);
    ctx.strokeStyle = '#5fb3ff';
    ctx.strokeRect(crop.center[0] - h, crop.center[1] - h, crop.size, crop.size);
    ctx.setLineDash([]);
    ctx.fillStyle = '#5fb3ff';
    const k = handleSize();
    ctx.fillRect(crop.center[0] + h - k / 2, crop.center[1] + h - k / 2, k, k);
  }
  const face = state.face;
  if (face && !state.drag) {
    const mark = Math.min(lw, face.crop.size / 120); // small faces get small marks
    ctx.strokeStyle = 'rgba(120,255,160,0.9)';
    ctx.lineWidth = mark * 0.75;
    for (const [a, b, closed] of CONTOURS) {
      ctx.beginPath();
      for (let i = a; i <= b; i++) {
        const [x, y] = face.landmarks[i];
        if (i === a) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      }
      if (closed) ctx.closePath();
      ctx.stroke();
    }
    ctx.fillStyle = '#ff4f6d';
    for (const [x, y] of face.landmarks) {
      ctx.beginPath();
      ctx.arc(x, y, mark * 1.4, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

function handleSize() {
  const r = overlay.getBoundingClientRect();
  return 14 * (overlay.width / Math.max(1, r.width));
}

function toImage(ev) {
  const r = overlay.getBoundingClientRect();
  return [(ev.clientX - r.left) * (overlay.width / r.width), (ev.clientY - r.top) * (overlay.height / r.height)];
}

overlay.addEventListener('pointerdown', (ev) => {
  if (!state.hasImage || !window.lprnetReady) return;
  const [x, y] = toImage(ev);
  const crop = state.crop || state.manualCrop;
  const k = handleSize();
  overlay.setPointerCapture(ev.pointerId);
  if (crop) {
    const h = crop.size / 2;
    const hx = crop.center[0] + h, hy = crop.center[1] + h;
    if (Math.abs(x - hx) < k && Math.abs(y - hy) < k) {
      state.drag = { mode: 'resize', start: [x, y], from: crop, crop };
      return;
    }
    if (Math.abs(x - crop.center[0]) < h && Math.abs(y - crop.center[1]) < h) {
      state.drag = { mode: 'move', start: [x, y], from: crop, crop };
      return;
    }
  }
  const hit = state.boxes.findIndex((b) => x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3]);
  if (hit >= 0 && !state.webcam) { // another detected face
    state.selected = hit;
    state.manualCrop = null;
    overlay.releasePointerCapture(ev.pointerId);
    serial(() => reconstruct(false)).catch(report);
    return;
  }
  state.drag = { mode: 'draw', start: [x, y], from: null, crop: { center: [x, y], size: 1 } };
});

overlay.addEventListener('pointermove', (ev) => {
  const d = state.drag;
  if (!d) return;
  const [x, y] = toImage(ev);
  const dx = x - d.start[0], dy = y - d.start[1];
  if (d.mode === 'move') {
    d.crop = { center: [d.from.center[0] + dx, d.from.center[1] + dy], size: d.from.size };
  } else if (d.mode === 'resize') { // keep the opposite corner, stay square
    const c0 = [d.from.center[0] - d.from.size / 2, d.from.center[1] - d.from.size / 2];
    const size = Math.max(16, d.from.size + (dx + dy) / 2);
    d.crop = { center: [c0[0] + size / 2, c0[1] + size / 2], size };
  } else {
    const size = Math.max(16, Math.max(Math.abs(dx), Math.abs(dy)));
    d.crop = { center: [d.start[0] + Math.sign(dx || 1) * size / 2, d.start[1] + Math.sign(dy || 1) * size / 2], size };
  }
  drawOverlay();
});

overlay.addEventListener('pointerup', () => {
  const d = state.drag;
  state.drag = null;
  if (!d || d.crop.size < 16) { drawOverlay(); return; }
  state.manualCrop = d.crop;
  if (!state.webcam) serial(() => reconstruct(false)).catch(report);
});

function setCrop(center, size) {
  return serial(() => {
    state.manualCrop = center ? { center: center.slice(), size } : null;
    return reconstruct(!center);
  });
}

// ---------------------------------------------------------------------------------------------
// webcam: the newest camera frame as soon as the last one is done; tracked (see tracking.js)
// ---------------------------------------------------------------------------------------------
function newStats() {
  return { since: performance.now(), frames: 0, detector_runs: 0, tracked_frames: 0 };
}

function countFrame(detected, tracked) {
  const s = state.webcam.stats;
  s.frames += 1;
  if (detected) s.detector_runs += 1;
  if (tracked) s.tracked_frames += 1;
}

/** Frames, detector runs and frames per second since the webcam started (or the last reset). */
function webcamStats() {
  if (!state.webcam) return null;
  const s = state.webcam.stats;
  const seconds = (performance.now() - s.since) / 1000;
  return { ...s, seconds, fps: seconds > 0 ? s.frames / seconds : 0, tracking: $('track').checked,
    smoothing: $('smooth').checked, backend: state.backend, view_hz: viewHz(),
    software_gl: viewer.software,
    camera_fps: state.webcam.stream.getVideoTracks()[0].getSettings().frameRate ?? null,
    threads: state.backend === 'wasm' && tf.wasm.getThreadsCount ? tf.wasm.getThreadsCount() : null };
}

async function startWebcam() {
  ready();
  if (state.webcam) return;
  // a 60 Hz camera is asked for where there is one (the loop keeps up with it); 30 Hz elsewhere
  const camera = { width: 640, height: 480, frameRate: { ideal: 60 } };
  const stream = await navigator.mediaDevices.getUserMedia({ video: camera, audio: false });
  video.srcObject = stream;
  await video.play();
  state.webcam = { stream, running: true, stats: newStats() };
  state.source = 'webcam';
  state.manualCrop = null;
  state.tracker.reset();
  $('webcam').textContent = 'Stop webcam';
  const cam = state.webcam;
  const nextFrame = () => new Promise((resolve) => {
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => resolve());
    else requestAnimationFrame(() => resolve());
  });
  (async () => {
    // armed before a frame is processed, so a camera frame that arrives meanwhile is taken at
    // once: the loop runs at the slower of the pipeline and the camera
    let next = nextFrame();
    while (cam.running) {
      await next;
      next = nextFrame();
      if (video.videoWidth > 0) {
        try {
          await serial(async () => {
            if (!cam.running) return null;
            const t = performance.now();
            grabPixels(video, video.videoWidth, video.videoHeight);
            const grab = performance.now() - t;
            const result = await reconstruct(true);
            result.timings.grab = grab; // drawing the video frame and reading its pixels
            return result;
          });
        } catch (err) {
          report(err);
          stopWebcam();
          break;
        }
      }
    }
  })();
}

function stopWebcam() {
  if (!state.webcam) return;
  state.webcam.running = false;
  state.webcam.stream.getTracks().forEach((t) => t.stop());
  state.webcam = null;
  video.srcObject = null;
  $('webcam').textContent = 'Start webcam';
}

// ---------------------------------------------------------------------------------------------
// benchmark entry for the harness: medians over `runs`
// ---------------------------------------------------------------------------------------------
function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

async function bench(runs = 20, { pipeline = true, warmup = 3 } = {}) {
  ready();
  const info = state.net.info;
  let pixels = new Uint8Array(info.n * info.n * 3).fill(128);
  if (state.face) pixels = (await runCrop(state.face.crop)).pixels;
  for (let i = 0; i < warmup; i++) await state.net.predict(pixels);
  const model = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await state.net.predict(pixels);
    model.push(performance.now() - t);
  }
  const frames = [];
  if (pipeline && state.hasImage && !state.webcam) {
    for (let i = 0; i < runs; i++) frames.push((await reconstruct(true)).timings.total);
  }
  return {
    backend: state.backend, model: info.name, precision: info.precision, n: info.n, runs,
    threads: state.backend === 'wasm' && tf.wasm.getThreadsCount ? tf.wasm.getThreadsCount() : null,
    model_ms_median: median(model), model_ms: model,
    pipeline_ms_median: frames.length ? median(frames) : null, pipeline_ms: frames,
    user_agent: navigator.userAgent,
  };
}

// ---------------------------------------------------------------------------------------------
// wiring
// ---------------------------------------------------------------------------------------------
function objText() {
  if (!state.face) return null;
  return geo.objText(state.face.points, state.face.colors, state.net.info.triangles);
}

$('file').addEventListener('change', (ev) => {
  const file = ev.target.files && ev.target.files[0];
  if (file) serial(() => loadBlob(file)).catch(report);
});
$('backend').addEventListener('change', (ev) => {
  const wasRunning = Boolean(state.webcam);
  stopWebcam();
  serial(() => setBackend(ev.target.value))
    .then(() => (wasRunning ? startWebcam() : null))
    .catch(report);
});
$('webcam').addEventListener('click', () => {
  if (state.webcam) stopWebcam();
  else startWebcam().catch(report);
});
$('auto').addEventListener('click', () => {
  state.manualCrop = null;
  if (state.hasImage && !state.webcam) serial(() => reconstruct(true)).catch(report);
});
$('view').addEventListener('change', (ev) => viewer.setMode(ev.target.value));
$('refine').addEventListener('change', () => {
  if (state.hasImage && !state.webcam) serial(() => reconstruct(false)).catch(report);
});
$('download').addEventListener('click', () => {
  const text = objText();
  if (!text) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  a.download = 'lprnet_face.obj';
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});

const api = {
  runUrl: (url) => serial(() => runUrl(url)),
  setBackend: (name) => serial(() => setBackend(name)),
  bench: (runs, options) => serial(() => bench(runs, options)),
  startWebcam, stopWebcam, setCrop, objText, webcamStats,
  resetWebcamStats: () => { if (state.webcam) state.webcam.stats = newStats(); },
  setTracking: (on) => { $('track').checked = Boolean(on); state.tracker.reset(); },
  setSmoothing: (on) => { $('smooth').checked = Boolean(on); },
  viewerInfo: () => viewer.info(),
  resetView: () => viewer.resetView(),
  viewAngle: (azimuth, elevation) => viewer.viewAngle(azimuth, elevation),
  setView: (mode) => { $('view').value = mode; viewer.setMode(mode); },
};
window.lprnet = api;
window.lprnetBench = api.bench;

api.setBackend(params.get('backend') || 'wasm')
  .then(() => (params.get('image') ? api.runUrl(params.get('image')) : null))
  .catch(report);
