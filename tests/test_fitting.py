"""3DMM fitting to 68 landmarks (lprnet.geometry.fitting): AFLW2000-3D, 300W-LP, round trips.

Fast and deterministic (seeded); measured values are printed (``pytest -s``) and recorded in the
module docstring of lprnet.geometry.fitting. Timing lives outside the tests.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from lprnet.data.annotations import FaceParams, read_params
from lprnet.errors import DataFormatError
from lprnet.geometry import fitting
from lprnet.geometry.transform import angles_to_matrix, pose_to_image

pytestmark = pytest.mark.data


def _nme(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean point error over sqrt(w * h) of the ground-truth box (AFLW2000-3D protocol)."""
    return float(np.linalg.norm(pred - gt, axis=1).mean() / fitting.face_size(gt))


@pytest.fixture(scope="module")
def fitter(face_model, data_dir) -> fitting.LandmarkFitter:
    return fitting.get_fitter(face_model, data_dir)


@pytest.fixture(scope="module")
def prior(data_dir) -> fitting.ParamPrior:
    return fitting.load_param_prior(data_dir)


# --------------------------------------------------------------------------- #
# data: prior and contour lines
# --------------------------------------------------------------------------- #
def test_prior_matches_300wlp_units(prior, data_dir: Path) -> None:
    assert prior.shape_std.shape == prior.shape_mean.shape == (40,)
    assert prior.exp_std.shape == prior.exp_mean.shape == (10,)
    mats = sorted((data_dir / "samples").glob("*/*.mat"))
    assert len(mats) == 5
    for mat in mats:
        p = read_params(mat)
        z_shape = (p.shape[:40] - prior.shape_mean) / prior.shape_std
        z_exp = (p.expression[:10] - prior.exp_mean) / prior.exp_std
        rms = np.sqrt((z_shape**2).mean()), np.sqrt((z_exp**2).mean())
        print(f"{mat.stem}: rms z-score shape {rms[0]:.2f}, expression {rms[1]:.2f}")
        assert 0.4 < rms[0] < 2.5 and 0.4 < rms[1] < 3.0


def test_contour_lines(face_model, data_dir: Path) -> None:
    lines = fitting.load_contour_lines(data_dir)
    assert len(lines) == 17
    assert lines[8].tolist() == [face_model.keypoints[8]]  # the chin is fixed
    assert all(line.min() >= 0 and line.max() < face_model.n_vertices for line in lines)


def test_prior_refuses_foreign_pickles(tmp_path: Path) -> None:
    (tmp_path / "face-model").mkdir()
    path = tmp_path / "face-model" / "param_whitening.pkl"
    path.write_bytes(pickle.dumps({"param_mean": np.zeros(62), "param_std": np.ones(62)}))
    prior = fitting.load_param_prior(tmp_path)
    np.testing.assert_array_equal(prior.shape_std, np.ones(40))
    path.write_bytes(pickle.dumps({"param_mean": np.zeros(62), "param_std": np.ones(61)}))
    with pytest.raises(DataFormatError, match="param_whitening.pkl.*62 values"):
        fitting.load_param_prior(tmp_path)
    path.write_bytes(pickle.dumps(Path("x")))  # any class but NumPy's arrays is refused
    with pytest.raises(DataFormatError, match="refusing to load pathlib"):
        fitting.load_param_prior(tmp_path)


# --------------------------------------------------------------------------- #
# camera
# --------------------------------------------------------------------------- #
def test_estimate_camera_exact() -> None:
    rng = np.random.default_rng(3)
    pts = rng.normal(size=(68, 3)) * 8e4
    rot = angles_to_matrix(0.3, -1.1, 0.2)
    x = 1.3e-3 * pts @ rot[:2].T + [200.0, 150.0]
    s, r, t = fitting.estimate_camera(pts, x)
    assert s == pytest.approx(1.3e-3, rel=1e-9)
    np.testing.assert_allclose(r, rot, atol=1e-9)
    np.testing.assert_allclose(t, [200.0, 150.0], atol=1e-6)
    assert np.linalg.det(r) == pytest.approx(1.0)


# --------------------------------------------------------------------------- #
# real data
# --------------------------------------------------------------------------- #
def test_fit_aflw2000_3d_landmarks(face_model, aflw_samples, data_dir: Path) -> None:
    errors = []
    for name, image_path, mat_path in aflw_samples:
        p = read_params(mat_path)
        h = cv2.imread(str(image_path)).shape[0]
        gt = p.pt3d_68[:, :2]
        q = fitting.fit_landmarks(gt, face_model, h, contour="fixed", root=data_dir)
        # the 300W-LP convention: pose_to_image of the fitted model gives the landmarks
        kpt = pose_to_image(face_model.vertices(q.shape, q.expression), q.pose, h)
        nme = _nme(kpt[face_model.keypoints, :2], gt)
        yaw_err = np.degrees(q.pose[1] - p.pose[1])
        print(f"{name}: NME {100 * nme:.2f}%  yaw {np.degrees(q.pose[1]):.1f} (err {yaw_err:+.2f})")
        assert nme < 0.03 and abs(yaw_err) < 8.0, name
        assert q.pose[5] == 0.0 and q.pose[6] > 0
        assert q.shape.shape == (face_model.n_shape,) and q.expression.shape == (face_model.n_exp,)
        np.testing.assert_array_equal(q.pt2d, gt.T)
        errors.append(nme)
    assert np.mean(errors) < 0.012  # measured 0.72%


def test_fit_300wlp_2d_landmarks(face_model, fitter, data_dir: Path) -> None:
    p = read_params(data_dir / "samples" / "300w-lp" / "IBUG_image_008_1_0.mat")
    h = cv2.imread(str(data_dir / "samples" / "300w-lp" / "IBUG_image_008_1_0.jpg")).shape[0]
    gt = p.pt2d.T
    results = {}
    for mode in fitting.CONTOUR_MODES:
        q = fitter.fit(gt, h, contour=mode)
        results[mode] = (_nme(fitter.landmarks(q, h, mode), gt), np.degrees(q.pose[1]))
    print(f"300W-LP pt2d (yaw {np.degrees(p.pose[1]):.1f}):", results)
    nme, yaw = results["silhouette"]
    assert nme < 0.035 and abs(yaw - np.degrees(p.pose[1])) < 5.0
    # the contour update is what fits a turned face's 2D jaw outline
    assert nme < results["fixed"][0] - 0.005


def test_landmarks_follow_the_convention(face_model, fitter, prior, data_dir: Path) -> None:
    shape, exp = prior.sample(np.random.default_rng(0))
    pose = np.array([np.radians(5.0), np.radians(40.0), np.radians(-3.0), 120, 130, 0, 1e-3])
    params = FaceParams(pose, shape, exp)
    fixed = fitter.landmarks(params, 300, contour="fixed")
    want = pose_to_image(face_model.vertices(shape, exp), params.pose, 300)
    np.testing.assert_allclose(fixed, want[face_model.keypoints, :2], atol=1e-6)
    ids = fitter.landmark_vertices(params)
    np.testing.assert_allclose(fitter.landmarks(params, 300), want[ids, :2], atol=1e-6)
    # yaw +40 brings model +x (image right) toward the camera: the jaw points 0-7 (image left)
    # turn away and move to the outline; the chin, the near side and the inner points stay
    assert (ids[:8] != face_model.keypoints[:8]).all()
    assert (ids[8:] == face_model.keypoints[8:]).all()
    mirrored = FaceParams(pose * [1, -1, -1, 1, 1, 1, 1], shape, exp)
    ids = fitter.landmark_vertices(mirrored)
    assert (ids[:9] == face_model.keypoints[:9]).all()
    assert (ids[9:17] != face_model.keypoints[9:17]).all()
    # the outline points are the extreme image x of their lines
    lines = fitting.load_contour_lines(data_dir)
    img = pose_to_image(face_model.vertices(shape, exp), mirrored.pose, 300)
    for k in range(9, 17):
        assert img[ids[k], 0] == img[lines[k], 0].max()


@pytest.mark.parametrize("yaw", [-70, -30, 0, 45, 75])
def test_synthetic_round_trip(fitter, prior, yaw: int) -> None:
    rng = np.random.default_rng(1000 + yaw)
    for _ in range(2):
        shape, exp = prior.sample(rng)
        angles = np.radians([rng.uniform(-15, 15), yaw, rng.uniform(-10, 10)])
        pose = np.concatenate([angles, [rng.uniform(150, 300), rng.uniform(150, 300), 0.0]])
        truth = FaceParams(np.append(pose, rng.uniform(8e-4, 1.6e-3)), shape, exp)
        marks = fitter.landmarks(truth, 450)
        q = fitter.fit(marks, 450)
        nme = _nme(fitter.landmarks(q, 450), marks)
        yaw_err = np.degrees(q.pose[1]) - yaw
        print(f"yaw {yaw}: NME {100 * nme:.3f}%  yaw error {yaw_err:+.2f}")
        assert nme < 0.01 and abs(yaw_err) < 3.0


# --------------------------------------------------------------------------- #
# bad input
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"landmarks": np.zeros((67, 2))}, r"landmarks: expected shape \(68, 2\)"),
        ({"landmarks": np.zeros((68, 3))}, r"landmarks: expected shape \(68, 2\), got \(68, 3\)"),
        ({"landmarks": np.full((68, 2), np.nan)}, "landmarks: contain NaN"),
        ({"landmarks": np.ones((68, 2))}, "landmarks: the points span no area"),
        ({"image_height": 0}, "image_height"),
        ({"image_height": np.nan}, "image_height"),
        ({"n_iter": 0}, "n_iter"),
        ({"n_iter": 2.5}, "n_iter"),
        ({"contour": "jaw"}, "contour: must be one of"),
        ({"noise": -0.1}, "noise"),
    ],
)
def test_bad_input(face_model, data_dir: Path, kwargs: dict, match: str) -> None:
    args = {"landmarks": np.random.default_rng(0).uniform(0, 100, (68, 2)), "image_height": 100}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fitting.fit_landmarks(model=face_model, root=data_dir, **args)
