// The 3D face in three.js: a vertex-coloured mesh (the UV grid triangles) or a point cloud,
// with orbit controls. Image pixels (x right, y down, z toward the camera) are shown with y up.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

/** The WebGL renderer's name (e.g. SwiftShader: software rendering on the CPU), or ''. */
export function glRenderer() {
  const gl = document.createElement('canvas').getContext('webgl2') ||
    document.createElement('canvas').getContext('webgl');
  if (!gl) return '';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  const lose = gl.getExtension('WEBGL_lose_context');
  if (lose) lose.loseContext();
  return name;
}

export class FaceViewer {
  constructor(canvas) {
    this.canvas = canvas;
    // multisampling is free on a GPU and costs a software renderer most of its frame
    this.software = /swiftshader|llvmpipe|software/i.test(glRenderer());
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: !this.software, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(window.devicePixelRatio || 1);
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0x1d2330);
    this.camera = new THREE.PerspectiveCamera(30, 1, 1, 100000);
    this.camera.position.set(0, 0, 1000);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x444444, 2.0));
    const key = new THREE.DirectionalLight(0xffffff, 1.6);
    key.position.set(0.4, 0.6, 1);
    this.camera.add(key);
    this.scene.add(this.camera);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = false;
    this.controls.addEventListener('change', () => this.render());
    this.group = new THREE.Group();
    this.scene.add(this.group);
    this.mode = 'mesh';
    this.geometry = null;
    this.hasView = false;
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  resize() {
    const w = this.canvas.clientWidth || 400, h = this.canvas.clientHeight || 400;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  setMode(mode) {
    this.mode = mode;
    this.rebuild();
  }

  /** Show face points (M * 3 image px), colours (M * 3 in [0, 1]) and triangles (T * 3). */
  update(points, colors, triangles) {
    const m = points.length / 3;
    const pos = new Float32Array(points.length);
    let cx = 0, cy = 0, cz = 0;
    for (let i = 0; i < m; i++) { cx += points[i * 3]; cy += points[i * 3 + 1]; cz += points[i * 3 + 2]; }
    cx /= m; cy /= m; cz /= m;
    let radius = 0;
    for (let i = 0; i < m; i++) {
      pos[i * 3] = points[i * 3] - cx;
      pos[i * 3 + 1] = -(points[i * 3 + 1] - cy);
      pos[i * 3 + 2] = points[i * 3 + 2] - cz;
      radius = Math.max(radius, Math.hypot(pos[i * 3], pos[i * 3 + 1], pos[i * 3 + 2]));
    }
    const g = this.geometry;
    if (g && g.attributes.position.count === m && this.triangleCount === triangles.length) {
      g.attributes.position.array.set(pos);
      g.attributes.position.needsUpdate = true;
      g.attributes.color.array.set(colors);
      g.attributes.color.needsUpdate = true;
      g.computeVertexNormals();
      g.computeBoundingSphere();
    } else {
      if (g) g.dispose();
      this.geometry = new THREE.BufferGeometry();
      this.geometry.setAttribute('position', new THREE.BufferAttribute(pos, 3));
      this.geometry.setAttribute('color', new THREE.BufferAttribute(Float32Array.from(colors), 3));
      this.geometry.setIndex(new THREE.BufferAttribute(triangles, 1));
      this.geometry.computeVertexNormals();
      this.triangleCount = triangles.length;
      this.rebuild();
    }
    if (!this.hasView) {
      this.radius = radius;
      this.resetView();
      this.hasView = true;
    }
    this.render();
  }

  /** Show nothing (no face in the frame); the camera stays where it is. */
  clear() {
    this.group.clear();
    if (this.geometry) this.geometry.dispose();
    this.geometry = null;
    this.triangleCount = 0;
    this.render();
  }

  rebuild() {
    this.group.clear();
    if (!this.geometry) return;
    if (this.mode === 'points') { // every vertex once: the same attributes, no index
      const cloud = new THREE.BufferGeometry();
      cloud.setAttribute('position', this.geometry.attributes.position);
      cloud.setAttribute('color', this.geometry.attributes.color);
      const material = new THREE.PointsMaterial({ size: 1.5, vertexColors: true, sizeAttenuation: true });
      this.group.add(new THREE.Points(cloud, material));
    } else {
      const material = new THREE.MeshStandardMaterial({
        vertexColors: true, roughness: 0.85, metalness: 0.0, side: THREE.DoubleSide,
      });
      this.group.add(new THREE.Mesh(this.geometry, material));
    }
    this.render();
  }

  resetView() {
    const d = (this.radius || 100) / Math.tan((this.camera.fov * Math.PI) / 360) * 1.15;
    this.camera.position.set(0, 0, d);
    this.camera.near = d / 100;
    this.camera.far = d * 100;
    this.camera.updateProjectionMatrix();
    this.controls.target.set(0, 0, 0);
    this.controls.update();
    this.render();
  }

  /** Look from azimuth / elevation (degrees; 0, 0 = straight at the face), same distance. */
  viewAngle(azimuth, elevation) {
    const d = this.camera.position.distanceTo(this.controls.target);
    const a = (azimuth * Math.PI) / 180, e = (elevation * Math.PI) / 180;
    this.camera.position.set(d * Math.sin(a) * Math.cos(e), d * Math.sin(e), d * Math.cos(a) * Math.cos(e));
    this.controls.update();
    this.render();
  }

  render() {
    this.renderer.render(this.scene, this.camera);
  }

  /** What the last render drew (for tests): triangles, points, draw calls. */
  info() {
    const r = this.renderer.info.render;
    return { triangles: r.triangles, points: r.points, calls: r.calls, mode: this.mode };
  }
}
