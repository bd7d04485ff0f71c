"""Geometry checks against PRNet's own uv-data and AFLW2000-3D ground truth (lprnet.geometry).

Fast and deterministic: no timing here (render speed lives in benchmarks/); measured values are
recorded in docs/geometry.md.
"""

from __future__ import annotations

import os
import re

import cv2
import numpy as np
import pytest
import scipy.io as sio

from lprnet import metrics
from lprnet.fileio import write_json
from lprnet.geometry import crop, mesh_io, posmap, transform
from lprnet.geometry.raster import rasterize_table
from lprnet.geometry.uv import WEIGHT_RATIOS, UVLayout

pytestmark = pytest.mark.data

AFLW_NAMES = ["image00050", "image00081", "image00251", "image00430"]
PRNET_TRIANGLES_256 = 86_907  # PRNet's triangles.txt (Data/uv-data) at 256 x 256


def _read_gray(path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert img is not None, f"cannot read {path}"
    return img if img.ndim == 2 else img[..., 0]


@pytest.fixture(scope="module")
def prnet_dir(data_dir):
    return data_dir / "prnet-uv-data"


@pytest.fixture(scope="module")
def prnet_face_mask(prnet_dir) -> np.ndarray:
    return _read_gray(prnet_dir / "uv_face_mask.png") > 0


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


# --------------------------------------------------------------------------- #
# UV layout vs PRNet's uv-data
# --------------------------------------------------------------------------- #
def test_keypoints_256_equal_prnet(layout256, prnet_dir):
    prnet = np.loadtxt(prnet_dir / "uv_kpt_ind.txt")
    assert prnet.shape == (2, 68)
    ours = layout256.keypoint_pixels
    assert ours.shape == (2, 68)
    assert np.issubdtype(ours.dtype, np.integer)
    np.testing.assert_array_equal(ours, prnet.astype(np.int64))


def test_keypoints_128_in_range(layout128):
    kpt = layout128.keypoint_pixels
    assert kpt.shape == (2, 68)
    assert kpt.min() >= 0 and kpt.max() <= 127
    # 68 distinct pixels: no two landmarks read the same posmap value
    assert len({(int(x), int(y)) for x, y in kpt.T}) == 68


def test_face_mask_vs_prnet(layout256, prnet_face_mask, prnet_dir):
    ours = layout256.face_mask
    assert ours.shape == (256, 256) and ours.dtype == bool
    iou = (ours & prnet_face_mask).sum() / (ours | prnet_face_mask).sum()
    print(f"face-mask IoU vs PRNet uv_face_mask.png at 256: {iou:.4f}")
    assert iou >= 0.9
    # PRNet's face_ind.txt is the non-zero pixels of its mask (data sanity)
    face_ind = np.loadtxt(prnet_dir / "face_ind.txt").astype(np.int64)
    np.testing.assert_array_equal(np.sort(face_ind), np.flatnonzero(prnet_face_mask))


@pytest.mark.parametrize("layout_name", ["layout256", "layout128"])
def test_face_indices_are_mask_pixels(layout_name, request):
    layout = request.getfixturevalue(layout_name)
    idx = layout.face_indices
    assert np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(idx, np.flatnonzero(layout.face_mask.ravel()))
    # the 1-pixel border is off, every face pixel is rendered by the model
    n = layout.resolution
    assert not layout.face_mask[[0, -1], :].any() and not layout.face_mask[:, [0, -1]].any()
    covered = np.asarray(layout.render_matrix.getnnz(axis=1) > 0).reshape(n, n)
    assert covered[layout.face_mask].all()


def test_grid_triangles_with_prnet_mask(face_model, layout256, prnet_face_mask):
    fresh = UVLayout(face_model, 256)  # not the cached layout: its face_mask is overridden
    fresh.__dict__["face_mask"] = prnet_face_mask
    assert len(fresh.grid_triangles) == PRNET_TRIANGLES_256


@pytest.mark.parametrize("layout_name", ["layout256", "layout128"])
def test_grid_triangles_valid(layout_name, request):
    layout = request.getfixturevalue(layout_name)
    n = layout.resolution
    tris = layout.grid_triangles
    assert tris.ndim == 2 and tris.shape[1] == 3
    assert layout.face_mask.ravel()[tris].all()
    assert len(np.unique(np.sort(tris, axis=1), axis=0)) == len(tris)
    # each triangle is half of a 2x2 pixel block
    rows, cols = np.divmod(tris, n)
    assert (np.ptp(rows, axis=1) == 1).all() and (np.ptp(cols, axis=1) == 1).all()
    if n == 256:  # same rule as PRNet, a slightly larger mask: within 5% of PRNet's count
        assert abs(len(tris) - PRNET_TRIANGLES_256) < 0.05 * PRNET_TRIANGLES_256


def test_weight_mask(layout256, prnet_dir):
    w = layout256.weight_mask
    assert w.shape == (256, 256)
    values, counts = np.unique(w, return_counts=True)
    assert set(values.tolist()) == {0.0, 3.0, 4.0, 16.0}
    assert counts[values == 16.0].tolist() == [68]
    kx, ky = layout256.keypoint_pixels
    assert (w[ky, kx] == 16).all()
    ratios = [WEIGHT_RATIOS[k] for k in ("landmarks", "eyes_nose_mouth", "face", "neck")]
    assert ratios == [16.0, 4.0, 3.0, 0.0]
    # weights live on the face mask only, and cover all of it
    np.testing.assert_array_equal(w > 0, layout256.face_mask | (w == 16))
    # eyes / nose / mouth region vs PRNet's 64-region (grey levels 53..128 of the PNG)
    prnet = _read_gray(prnet_dir / "uv_weight_mask.png")
    ours4, theirs = w == 4, (prnet >= 53) & (prnet <= 128)
    inter = (ours4 & theirs).sum()
    iou = inter / (ours4 | theirs).sum()
    inside = inter / ours4.sum()
    print(f"weight-mask 4-region vs PRNet 64-region: IoU {iou:.4f}, inside PRNet's {inside:.4f}")
    assert iou > 0.85


# --------------------------------------------------------------------------- #
# AFLW2000-3D: model + Pose_Para -> pt3d_68, and through the posmap
# --------------------------------------------------------------------------- #
def test_aflw_samples_present(aflw_samples):
    assert [name for name, _, _ in aflw_samples] == AFLW_NAMES


@pytest.fixture(scope="module")
def aflw_results(aflw_samples, face_model, layout256) -> dict[str, dict]:
    out = {}
    for name, image_path, mat_path in aflw_samples:
        mat = sio.loadmat(mat_path)
        image = cv2.imread(str(image_path))
        assert image is not None, image_path
        pose = mat["Pose_Para"].ravel()
        verts = transform.pose_to_image(
            face_model.vertices(mat["Shape_Para"], mat["Exp_Para"]), pose, image.shape[0]
        )
        kpt = verts[face_model.keypoints]
        center, size = crop.box_from_landmarks(kpt)
        matrix = crop.crop_matrix(center, size, 256)
        verts_crop = crop.to_crop(verts, matrix)
        pos = posmap.render_posmap(verts_crop, layout256)
        out[name] = {
            "gt": mat["pt3d_68"].T,
            "pose_deg": np.degrees(pose[:3]),
            "kpt": kpt,
            "verts_crop": verts_crop,
            "posmap": pos,
            "landmarks": crop.from_crop(posmap.landmarks(pos, layout256), matrix),
            "head_pose": posmap.head_pose(pos, layout256),
        }
    return out


@pytest.mark.parametrize("name", AFLW_NAMES)
def test_aflw_rebuild_matches_pt3d(aflw_results, name):
    r = aflw_results[name]
    nme = metrics.nme_2d(r["kpt"], r["gt"])
    print(f"{name}: rebuild NME {100 * nme:.3f}%")
    assert nme < 0.015


@pytest.mark.parametrize("name", AFLW_NAMES)
def test_aflw_posmap_landmarks(aflw_results, name):
    r = aflw_results[name]
    vs_gt = metrics.nme_2d(r["landmarks"], r["gt"])
    vs_model = metrics.nme_2d(r["landmarks"], r["kpt"])
    vs_model_3d = metrics.nme_3d(r["landmarks"], r["kpt"])
    print(f"{name}: posmap NME vs pt3d_68 {100 * vs_gt:.3f}%, vs model {100 * vs_model:.3f}%")
    assert vs_gt < 0.015
    assert vs_model < 0.005  # measured ~0.3%: rounding to PRNet's integer keypoint pixels
    assert vs_model_3d < 0.005  # z survives crop scale and back


@pytest.mark.parametrize("name", AFLW_NAMES)
def test_aflw_head_pose(aflw_results, name):
    r = aflw_results[name]
    err = r["head_pose"] - r["pose_deg"]
    print(f"{name}: head pose error (pitch, yaw, roll) {np.round(err, 3)} deg")
    assert np.all(np.abs(err) < 2.0)


@pytest.mark.parametrize("name", AFLW_NAMES)
def test_posmap_readback(aflw_results, face_model, layout256, name):
    r = aflw_results[name]
    back = posmap.model_vertices(r["posmap"], layout256)
    assert back.shape == (face_model.n_vertices, 3)
    err = np.linalg.norm(back - r["verts_crop"], axis=1)[face_model.no_neck]
    size = metrics.bbox_size(r["verts_crop"][face_model.keypoints])
    # measured at 256 (face ~160 px): mean 1.2e-4, p99 1.2e-3 of the face size; a few dozen
    # vertices (nostrils, inner lips: BFM_UV folds there) read another sheet of the surface
    assert err.mean() / size < 5e-4
    assert np.percentile(err, 99) / size < 5e-3
    assert (err > 0.01 * size).mean() < 2e-3


def test_face_mesh(aflw_results, layout256):
    pos = aflw_results[AFLW_NAMES[0]]["posmap"]
    points, tris = posmap.face_mesh(pos, layout256)
    assert points.shape == (len(layout256.face_indices), 3)
    np.testing.assert_array_equal(points, pos.reshape(-1, 3)[layout256.face_indices])
    assert tris.shape == (len(layout256.grid_triangles), 3)
    assert tris.min() >= 0 and tris.max() < len(points)
    # triangles of neighbouring pixels are small in image space (no long spikes)
    edges = np.linalg.norm(points[tris[:, 0], :2] - points[tris[:, 1], :2], axis=1)
    assert np.median(edges) < 2.0


def test_posmap_shape_errors(layout128):
    with pytest.raises(ValueError, match="vertices"):
        posmap.render_posmap(np.zeros((10, 3)), layout128)
    with pytest.raises(ValueError, match="posmap"):
        posmap.landmarks(np.zeros((256, 256, 3)), layout128)


# --------------------------------------------------------------------------- #
# transform
# --------------------------------------------------------------------------- #
def test_angles_round_trip():
    rng = np.random.default_rng(0)
    n = 500
    angles = np.stack(
        [
            rng.uniform(-np.pi + 1e-3, np.pi - 1e-3, n),
            np.radians(rng.uniform(-89.0, 89.0, n)),
            rng.uniform(-np.pi + 1e-3, np.pi - 1e-3, n),
        ],
        1,
    )
    for a in angles:
        rot = transform.angles_to_matrix(*a)
        np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(rot) == pytest.approx(1.0, abs=1e-12)
        np.testing.assert_allclose(transform.matrix_to_angles(rot), a, atol=1e-9)


@pytest.mark.parametrize("yaw", [np.pi / 2, -np.pi / 2])
def test_angles_gimbal_lock(yaw):
    rot = transform.angles_to_matrix(0.3, yaw, 0.2)
    back = transform.matrix_to_angles(rot)
    assert back[1] == pytest.approx(yaw) and back[2] == 0.0
    np.testing.assert_allclose(transform.angles_to_matrix(*back), rot, atol=1e-12)


def test_pose_to_image_flip_and_scale():
    verts = np.array([[0.0, 0.0, 0.0], [10.0, 20.0, 30.0]])
    out = transform.pose_to_image(verts, [0, 0, 0, 5.0, 7.0, 1.0, 2.0], image_height=100)
    np.testing.assert_allclose(out, [[5.0, 100 - 7.0, 1.0], [25.0, 100 - 47.0, 61.0]])
    with pytest.raises(ValueError, match="pose_para"):
        transform.pose_to_image(verts, np.zeros(6), 100)


def test_similarity_fit_recovers():
    rng = np.random.default_rng(1)
    src = rng.normal(size=(50, 3))
    rot, s, t = _random_rotation(rng), 2.5, np.array([3.0, -1.0, 7.0])
    dst = s * src @ rot.T + t
    s_fit, rot_fit, t_fit = transform.similarity_fit(src, dst)
    assert s_fit == pytest.approx(s, rel=1e-10)
    np.testing.assert_allclose(rot_fit, rot, atol=1e-10)
    np.testing.assert_allclose(t_fit, t, atol=1e-10)
    s1, rot1, t1 = transform.similarity_fit(src, src @ rot.T + t, scale=False)
    assert s1 == 1.0
    np.testing.assert_allclose(rot1, rot, atol=1e-10)
    np.testing.assert_allclose(t1, t, atol=1e-10)


def test_similarity_fit_reflection_gives_rotation():
    rng = np.random.default_rng(2)
    src = rng.normal(size=(40, 3)) * [3.0, 2.0, 0.5]
    dst = src @ np.diag([1.0, 1.0, -1.0])  # a mirror: no rotation fits exactly
    s, rot, _ = transform.similarity_fit(src, dst)
    assert np.linalg.det(rot) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    assert 0 < s < 1.0  # the flattened axis is the one given up


def test_similarity_fit_bad_shapes():
    with pytest.raises(ValueError, match="similarity_fit"):
        transform.similarity_fit(np.zeros((5, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="similarity_fit"):
        transform.similarity_fit(np.zeros((5, 2)), np.zeros((5, 2)))


# --------------------------------------------------------------------------- #
# raster
# --------------------------------------------------------------------------- #
SQUARE = np.array([[0.0, 0.0], [7.0, 0.0], [7.0, 7.0], [0.0, 7.0]])
SQUARE_TRIS = np.array([[0, 1, 2], [0, 2, 3]])


def test_raster_square_covers_and_interpolates():
    tri_index, weights = rasterize_table(SQUARE, SQUARE_TRIS, 8, 8)
    assert tri_index.shape == (64,) and weights.shape == (64, 3)
    assert (tri_index >= 0).all()
    assert (weights >= 0).all()
    np.testing.assert_allclose(weights.sum(1), 1.0, atol=1e-12)
    # interpolating the vertex positions gives back each pixel's own (x, y) = (col, row)
    corners = SQUARE[SQUARE_TRIS[tri_index]]  # (64, 3, 2)
    xy = np.einsum("pk,pkd->pd", weights, corners)
    rows, cols = np.divmod(np.arange(64), 8)
    np.testing.assert_allclose(xy, np.stack([cols, rows], 1), atol=1e-12)
    # above the diagonal (y < x) triangle 0, below triangle 1; the shared edge goes to the first
    expected = np.where(rows <= cols, 0, 1)
    np.testing.assert_array_equal(tri_index, expected)


def test_raster_partial_and_outside():
    tri_index, weights = rasterize_table(SQUARE, SQUARE_TRIS[:1], 8, 8)
    rows, cols = np.divmod(np.arange(64), 8)
    np.testing.assert_array_equal(tri_index >= 0, rows <= cols)
    assert (weights[tri_index < 0] == 0).all()
    far = np.array([[100.0, 100.0], [110.0, 100.0], [100.0, 110.0]])
    tri_index, _ = rasterize_table(far, np.array([[0, 1, 2]]), 8, 8)
    assert (tri_index == -1).all()


def test_render_matrix_identity_128(face_model, layout128):
    n = 128
    xy = layout128.vertex_pixels
    verts = np.column_stack([xy, np.zeros(len(xy))])
    pos = posmap.render_posmap(verts, layout128)
    assert pos.shape == (n, n, 3) and pos.dtype == np.float32
    covered = np.asarray(layout128.render_matrix.getnnz(axis=1) > 0).reshape(n, n)
    assert covered.sum() > 0.4 * n * n
    rows, cols = np.nonzero(covered)
    np.testing.assert_allclose(pos[rows, cols, 0], cols, atol=1e-6)
    np.testing.assert_allclose(pos[rows, cols, 1], rows, atol=1e-6)
    assert (pos[..., 2] == 0).all()
    assert (pos[~covered] == 0).all()
    # rows of the render matrix are barycentric weights: non-negative, summing to 1
    sums = np.asarray(layout128.render_matrix.sum(axis=1)).ravel()
    np.testing.assert_allclose(sums[covered.ravel()], 1.0, atol=1e-12)
    assert layout128.render_matrix.data.min() >= 0


# --------------------------------------------------------------------------- #
# crop
# --------------------------------------------------------------------------- #
def test_crop_round_trip_and_corners():
    rng = np.random.default_rng(3)
    matrix = crop.crop_matrix(np.array([212.5, 180.25]), 171.3, 256)
    pts = rng.uniform(0, 450, size=(100, 3)) - [0, 0, 225]
    np.testing.assert_allclose(crop.from_crop(crop.to_crop(pts, matrix), matrix), pts, atol=1e-9)
    # z is scaled by the crop scale
    scale = 255 / 171.3
    np.testing.assert_allclose(crop.to_crop(pts, matrix)[:, 2], pts[:, 2] * scale)
    corners = np.array([[212.5 - 85.65, 180.25 - 85.65, 0], [212.5 + 85.65, 180.25 + 85.65, 0]])
    np.testing.assert_allclose(crop.to_crop(corners, matrix)[:, :2], [[0, 0], [255, 255]])
    # from_crop keeps leading shapes, e.g. a (n, n, 3) posmap
    grid = rng.uniform(0, 255, size=(4, 4, 3))
    assert crop.from_crop(grid, matrix).shape == (4, 4, 3)


@pytest.mark.parametrize(("center", "size"), [((130.0, 95.0), 100.0), ((150.0, 100.0), 300.0)])
def test_warp_image_puts_dot_where_to_crop_does(center, size):
    image = np.zeros((200, 300, 3), np.uint8)
    dot = np.array([137.0, 71.0])
    image[70:73, 136:139] = 255  # 3x3 dot centred on (x=137, y=71)
    matrix = crop.crop_matrix(np.array(center), size, 256)
    warped = crop.warp_image(image, matrix, 256).astype(np.float64)[..., 0]
    assert warped.shape == (256, 256)
    ys, xs = np.mgrid[0:256, 0:256]
    found = np.array([(warped * xs).sum(), (warped * ys).sum()]) / warped.sum()
    expected = crop.to_crop(np.array([[*dot, 0.0]]), matrix)[0, :2]
    assert np.linalg.norm(found - expected) < 1.0


def test_box_from_detection_follows_prnet():
    center, size = crop.box_from_detection(100, 50, 200, 170)
    old = ((200 - 100) + (170 - 50)) / 2.0
    np.testing.assert_allclose(center, [150.0, 110.0 + 0.14 * old])
    assert size == pytest.approx(1.58 * old)
    with pytest.raises(ValueError):
        crop.box_from_detection(10, 10, 10, 10)


def test_box_from_landmarks_follows_prnet():
    pts = np.array([[10.0, 20.0, 5.0], [110.0, 80.0, -5.0], [50.0, 50.0, 0.0]])
    center, size = crop.box_from_landmarks(pts)
    np.testing.assert_allclose(center, [60.0, 50.0])
    assert size == pytest.approx(1.6 * (100 + 60) / 2)
    with pytest.raises(ValueError, match="points"):
        crop.box_from_landmarks(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="points"):
        crop.box_from_landmarks(np.ones((5, 2)))


# --------------------------------------------------------------------------- #
# mesh_io
# --------------------------------------------------------------------------- #
TET_V = np.array([[0.0, 0.0, 0.0], [1.5, 0.0, 0.0], [0.0, 2.25, 0.0], [0.0, 0.0, -3.125]])
TET_T = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
TET_C = np.array([[0, 0, 0], [255, 0, 0], [0, 128, 255], [17, 34, 51]]) / 255.0


def _parse_obj(path):
    verts, faces = [], []
    for line in path.read_text().splitlines():
        if line.startswith("v "):
            verts.append([float(x) for x in line.split()[1:]])
        elif line.startswith("f "):
            faces.append([int(x) for x in line.split()[1:]])
    return np.array(verts), np.array(faces) - 1


def _parse_ply(path):
    raw = path.read_bytes()
    head, body = raw.split(b"end_header\n", 1)
    lines = head.decode("ascii").splitlines()
    assert lines[:2] == ["ply", "format binary_little_endian 1.0"]
    n_vert = int(next(re.findall(r"\d+", x)[0] for x in lines if x.startswith("element vertex")))
    n_face = int(next(re.findall(r"\d+", x)[0] for x in lines if x.startswith("element face")))
    props = [x.split()[1:] for x in lines if x.startswith("property ") and "list" not in x]
    fmt = {"float": "<f4", "uchar": "u1"}
    vdtype = np.dtype([(name, fmt[kind]) for kind, name in props])
    assert "property list uchar int vertex_indices" in lines
    verts = np.frombuffer(body, vdtype, count=n_vert)
    fdtype = np.dtype([("n", "u1"), ("i", "<i4", (3,))])
    faces = np.frombuffer(body, fdtype, count=n_face, offset=n_vert * vdtype.itemsize)
    assert len(body) == n_vert * vdtype.itemsize + n_face * fdtype.itemsize
    return verts, faces


def test_write_obj_round_trip(tmp_path):
    path = tmp_path / "sub" / "tet.obj"
    mesh_io.write_obj(path, TET_V, TET_T, TET_C)
    rows, faces = _parse_obj(path)
    assert rows.shape == (4, 6)
    np.testing.assert_allclose(rows[:, :3], TET_V, atol=1e-4)
    np.testing.assert_allclose(rows[:, 3:], TET_C, atol=1e-4)
    np.testing.assert_array_equal(faces, TET_T)
    mesh_io.write_obj(path, TET_V, TET_T)  # overwrite, no colours
    rows, faces = _parse_obj(path)
    assert rows.shape == (4, 3)
    np.testing.assert_array_equal(faces, TET_T)
    assert [p.name for p in path.parent.iterdir()] == ["tet.obj"]  # no temp files left


def test_write_ply_round_trip(tmp_path):
    path = tmp_path / "tet.ply"
    mesh_io.write_ply(path, TET_V, TET_T, TET_C)
    verts, faces = _parse_ply(path)
    assert verts.dtype.names == ("x", "y", "z", "red", "green", "blue")
    np.testing.assert_array_equal(np.stack([verts["x"], verts["y"], verts["z"]], 1), TET_V)
    rgb = np.stack([verts["red"], verts["green"], verts["blue"]], 1)
    np.testing.assert_array_equal(rgb, np.round(TET_C * 255))
    assert (faces["n"] == 3).all()
    np.testing.assert_array_equal(faces["i"], TET_T)
    mesh_io.write_ply(path, TET_V, TET_T)
    verts, faces = _parse_ply(path)
    assert verts.dtype.names == ("x", "y", "z")
    np.testing.assert_array_equal(faces["i"], TET_T)


def test_colours_clipped(tmp_path):
    mesh_io.write_ply(tmp_path / "c.ply", TET_V, TET_T, TET_C * 3 - 1)
    verts, _ = _parse_ply(tmp_path / "c.ply")
    rgb = np.stack([verts["red"], verts["green"], verts["blue"]], 1)
    np.testing.assert_array_equal(rgb, np.round(np.clip(TET_C * 3 - 1, 0, 1) * 255))


@pytest.mark.parametrize("writer", [mesh_io.write_obj, mesh_io.write_ply])
@pytest.mark.parametrize(
    ("vertices", "triangles", "colors", "argument"),
    [
        (TET_V[:, :2], TET_T, None, "vertices"),
        (TET_V, TET_T[:, :2], None, "triangles"),
        (TET_V, TET_T + 1, None, "triangles"),
        (TET_V, TET_T - 1, None, "triangles"),
        (TET_V, TET_T, TET_C[:3], "colors"),
    ],
)
def test_mesh_bad_shapes(tmp_path, writer, vertices, triangles, colors, argument):
    path = tmp_path / "bad.mesh"
    with pytest.raises(ValueError, match=argument):
        writer(path, vertices, triangles, colors)
    assert not path.exists()


def test_rasterize_no_triangles_is_an_empty_table() -> None:
    tri_index, weights = rasterize_table(np.zeros((3, 2)), np.zeros((0, 3), int), 4, 5)
    assert tri_index.shape == (20,) and (tri_index == -1).all() and not weights.any()


def test_written_files_get_normal_permissions(tmp_path) -> None:
    old = os.umask(0o022)
    try:
        write_json(tmp_path / "x.json", {"a": 1})
    finally:
        os.umask(old)
    assert (tmp_path / "x.json").stat().st_mode & 0o777 == 0o644


def test_json_is_strict(tmp_path) -> None:
    write_json(tmp_path / "x.json", {"a": float("nan"), "b": [1.0, float("inf")], "c": "s"})
    assert (tmp_path / "x.json").read_text().split() == [
        "{",
        '"a":',
        "null,",
        '"b":',
        "[",
        "1.0,",
        "null",
        "],",
        '"c":',
        '"s"',
        "}",
    ]


def test_uv_layout_cache_never_serves_another_model(face_model) -> None:
    import dataclasses
    import weakref

    from lprnet.geometry import uv

    a = uv.uv_layout(face_model, 16)
    assert uv.uv_layout(face_model, 16) is a  # cached
    other = dataclasses.replace(face_model)
    assert uv.uv_layout(other, 16) is not a

    # a dead model's entry under a recycled id is rebuilt, not returned
    class Gone:
        pass

    dead = Gone()
    stale = weakref.ref(dead)
    del dead
    uv._LAYOUTS[(id(face_model), 16)] = (stale, a)
    fresh = uv.uv_layout(face_model, 16)
    assert fresh is not a and fresh.resolution == 16
    assert uv.uv_layout(face_model, 16) is fresh
