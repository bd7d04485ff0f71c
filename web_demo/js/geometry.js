// PRNet's crop and the posmap read-out, ported from lprnet/geometry/crop.py and posmap.py.
// Image pixels: x right, y down, z toward the camera. A crop is {center: [x, y], size} (pixels);
// its matrix maps the box center +- size / 2 onto [0, n - 1] (crop.crop_matrix).

/** Similarity of a crop box: crop = s * (image - origin). */
export function cropMatrix(center, size, n) {
  const s = (n - 1) / size;
  return { s, tx: -s * (center[0] - size / 2), ty: -s * (center[1] - size / 2) };
}

/** Square crop of a detector box [l, t, r, b] under a calibration {scale, shift_x, shift_y}. */
export function cropFromBox(box, calibration) {
  const [l, t, r, b] = box;
  const old = (r - l + (b - t)) / 2;
  return {
    center: [(l + r) / 2 + calibration.shift_x * old, (t + b) / 2 + calibration.shift_y * old],
    size: old * calibration.scale,
  };
}

/** PRNet's landmark crop (crop.box_from_landmarks): side = scale x mean landmark extent. */
export function cropFromLandmarks(points, scale) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of points) {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  return { center: [(x0 + x1) / 2, (y0 + y1) / 2], size: ((x1 - x0 + (y1 - y0)) / 2) * scale };
}

/**
 * Warp RGBA pixels into the n x n crop as OpenCV's warpAffine does (INTER_LINEAR, black
 * border): source positions quantised to 1/32 pixel, bilinear, rounded to uint8.
 * @returns {Uint8Array} n * n * 3 RGB
 */
export function warpCrop(rgba, width, height, m, n) {
  const out = new Uint8Array(n * n * 3);
  const inv = 1 / m.s;
  // inverse map: image = (crop - t) / s. OpenCV's fixed point (imgwarp.cpp): positions in
  // 1/1024 px (AB_BITS 10), rounded to 1/32 px (INTER_BITS 5, round_delta 16)
  const a = inv, c = -m.tx * inv, e = -m.ty * inv;
  for (let yy = 0; yy < n; yy++) {
    const rowX = Math.round(c * 1024) + 16;
    const Y = (Math.round((a * yy + e) * 1024) + 16) >> 5;
    for (let xx = 0; xx < n; xx++) {
      const X = (rowX + Math.round(a * xx * 1024)) >> 5;
      const ix = X >> 5, iy = Y >> 5;
      const fx = (X & 31) / 32, fy = (Y & 31) / 32;
      const okX0 = ix >= 0 && ix < width, okX1 = ix + 1 >= 0 && ix + 1 < width;
      const okY0 = iy >= 0 && iy < height, okY1 = iy + 1 >= 0 && iy + 1 < height;
      const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      const i00 = (iy * width + ix) * 4, i10 = i00 + width * 4;
      const o = (yy * n + xx) * 3;
      for (let ch = 0; ch < 3; ch++) {
        let v = 0;
        if (okY0 && okX0) v += rgba[i00 + ch] * w00;
        if (okY0 && okX1) v += rgba[i00 + 4 + ch] * w01;
        if (okY1 && okX0) v += rgba[i10 + ch] * w10;
        if (okY1 && okX1) v += rgba[i10 + 4 + ch] * w11;
        out[o + ch] = Math.min(255, Math.max(0, Math.round(v)));
      }
    }
  }
  return out;
}

/**
 * Network output (n * n * 3, crop units / posmap_scale) -> posmap in image pixels.
 * @returns {Float32Array} n * n * 3
 */
export function posmapToImage(output, scale, m) {
  const pos = new Float32Array(output.length);
  for (let i = 0; i < output.length; i += 3) {
    pos[i] = (output[i] * scale - m.tx) / m.s;
    pos[i + 1] = (output[i + 1] * scale - m.ty) / m.s;
    pos[i + 2] = (output[i + 2] * scale) / m.s;
  }
  return pos;
}

/** The 68 landmarks: posmap[y, x] at each keypoint [x, y]. */
export function landmarks(pos, keypoints, n) {
  return keypoints.map(([x, y]) => {
    const i = (y * n + x) * 3;
    return [pos[i], pos[i + 1], pos[i + 2]];
  });
}

/** Dense face points (M * 3) at the face-mask pixels, in face_indices order. */
export function facePoints(pos, faceIndices) {
  const pts = new Float32Array(faceIndices.length * 3);
  faceIndices.forEach((k, i) => {
    pts[i * 3] = pos[k * 3];
    pts[i * 3 + 1] = pos[k * 3 + 1];
    pts[i * 3 + 2] = pos[k * 3 + 2];
  });
  return pts;
}

/** Bilinear colours (M * 3, [0, 1]) of RGBA pixels at the points' x, y (clamped), as
 * posmap.vertex_colors does. */
export function vertexColors(rgba, width, height, pts) {
  const m = pts.length / 3;
  const out = new Float32Array(m * 3);
  for (let i = 0; i < m; i++) {
    const x = Math.min(Math.max(pts[i * 3], 0), width - 1);
    const y = Math.min(Math.max(pts[i * 3 + 1], 0), height - 1);
    const x0 = Math.min(Math.floor(x), width > 1 ? width - 2 : 0);
    const y0 = Math.min(Math.floor(y), height > 1 ? height - 2 : 0);
    const x1 = Math.min(x0 + 1, width - 1), y1 = Math.min(y0 + 1, height - 1);
    const fx = x - x0, fy = y - y0;
    for (let ch = 0; ch < 3; ch++) {
      const p = (xx, yy) => rgba[(yy * width + xx) * 4 + ch];
      const top = p(x0, y0) * (1 - fx) + p(x1, y0) * fx;
      const bottom = p(x0, y1) * (1 - fx) + p(x1, y1) * fx;
      out[i * 3 + ch] = (top * (1 - fy) + bottom * fy) / 255;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// head pose: rotation of the similarity fit canonical face -> face points (posmap.head_pose)
// ---------------------------------------------------------------------------------------------

/** Eigen-decomposition of a symmetric 4x4 matrix (cyclic Jacobi); returns the top eigenvector. */
function topEigenvector4(a) {
  const m = a.map((r) => r.slice());
  const v = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < 4; p++) for (let q = p + 1; q < 4; q++) off += m[p][q] * m[p][q];
    if (off < 1e-30) break;
    for (let p = 0; p < 4; p++) {
      for (let q = p + 1; q < 4; q++) {
        if (Math.abs(m[p][q]) < 1e-300) continue;
        const theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < 4; k++) {
          const mkp = m[k][p], mkq = m[k][q];
          m[k][p] = c * mkp - s * mkq;
          m[k][q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < 4; k++) {
          const mpk = m[p][k], mqk = m[q][k];
          m[p][k] = c * mpk - s * mqk;
          m[q][k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < 4; k++) {
          const vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i < 4; i++) if (m[i][i] > m[best][best]) best = i;
  return [v[0][best], v[1][best], v[2][best], v[3][best]];
}

/**
 * Least-squares rotation R with target ~ s R source + t (Horn's quaternion method: the same
 * proper rotation as Umeyama's SVD fit in lprnet.geometry.transform.similarity_fit).
 * @param {ArrayLike<number>} src, dst  flat (N * 3)
 * @returns {number[][]} 3 x 3
 */
export function fitRotation(src, dst) {
  const n = src.length / 3;
  const ms = [0, 0, 0], md = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) { ms[k] += src[i * 3 + k] / n; md[k] += dst[i * 3 + k] / n; }
  }
  const S = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]; // S[a][b] = sum src_a * dst_b
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < 3; a++) {
      const sa = src[i * 3 + a] - ms[a];
      for (let b = 0; b < 3; b++) S[a][b] += sa * (dst[i * 3 + b] - md[b]);
    }
  }
  const [[xx, xy, xz], [yx, yy, yz], [zx, zy, zz]] = S;
  const N = [
    [xx + yy + zz, yz - zy, zx - xz, xy - yx],
    [yz - zy, xx - yy - zz, xy + yx, zx + xz],
    [zx - xz, xy + yx, -xx + yy - zz, yz + zy],
    [xy - yx, zx + xz, yz + zy, -xx - yy + zz],
  ];
  const [w, x, y, z] = topEigenvector4(N);
  return [
    [w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y)],
    [2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x)],
    [2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z],
  ];
}

/** transform.matrix_to_angles of FLIP_Y @ R @ FLIP_Y -> [pitch, yaw, roll] degrees. */
export function poseAngles(rot) {
  const f = [1, -1, 1];
  const r = rot.map((row, i) => row.map((v, j) => v * f[i] * f[j]));
  const deg = 180 / Math.PI;
  const yaw = Math.asin(Math.min(1, Math.max(-1, -r[0][2])));
  let pitch, roll;
  if (Math.abs(Math.cos(yaw)) > 1e-6) {
    pitch = Math.atan2(r[1][2], r[2][2]);
    roll = Math.atan2(r[0][1], r[0][0]);
  } else {
    pitch = Math.atan2(-r[2][1], r[1][1]);
    roll = 0;
  }
  return [pitch * deg, yaw * deg, roll * deg];
}

/** Head pose [pitch, yaw, roll] (degrees, 3DDFA convention) from face points. */
export function headPose(canonical, pts) {
  return poseAngles(fitRotation(canonical, pts));
}

/** OBJ text with vertex colours, the same layout as lprnet.geometry.mesh_io.write_obj. */
export function objText(pts, colors, triangles) {
  const lines = ['# lprnet mesh (web demo)'];
  const m = pts.length / 3;
  for (let i = 0; i < m; i++) {
    const v = [pts[i * 3], pts[i * 3 + 1], pts[i * 3 + 2], colors[i * 3], colors[i * 3 + 1],
      colors[i * 3 + 2]];
    lines.push('v ' + v.map((x) => x.toFixed(4)).join(' '));
  }
  for (let t = 0; t < triangles.length; t += 3) {
    lines.push(`f ${triangles[t] + 1} ${triangles[t + 1] + 1} ${triangles[t + 2] + 1}`);
  }
  return lines.join('\n') + '\n';
}
