"""Tests for lprnet.metrics (AFLW2000-3D benchmark metrics)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lprnet import metrics as m


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    """Uniform-ish proper 3x3 rotation from a QR decomposition."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _box_landmarks(rng: np.random.Generator, w: float = 100.0, h: float = 50.0) -> np.ndarray:
    """68 3D points whose xy box is exactly w x h, with the eye corners at known spots."""
    lm = np.empty((68, 3))
    lm[:, 0] = rng.uniform(10.0, 10.0 + w, size=68)
    lm[:, 1] = rng.uniform(20.0, 20.0 + h, size=68)
    lm[:, 2] = rng.uniform(-30.0, 30.0, size=68)
    lm[0, :2] = (10.0, 20.0)
    lm[1, :2] = (10.0 + w, 20.0 + h)
    lm[36] = (30.0, 40.0, 5.0)
    lm[45] = (70.0, 43.0, 17.0)  # distance sqrt(40^2 + 3^2 + 12^2) = 42.8719...
    return lm


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


# --------------------------------------------------------------------------- #
# Normalisers
# --------------------------------------------------------------------------- #
def test_bbox_size_known_box(rng: np.random.Generator) -> None:
    lm = _box_landmarks(rng)
    assert m.bbox_size(lm) == pytest.approx(math.sqrt(5000.0))
    assert m.bbox_size(lm[:, :2]) == pytest.approx(math.sqrt(5000.0))


def test_bbox_size_ignores_z(rng: np.random.Generator) -> None:
    lm = _box_landmarks(rng)
    lm2 = lm.copy()
    lm2[:, 2] *= 100.0
    assert m.bbox_size(lm2) == m.bbox_size(lm)


def test_bbox_size_degenerate_raises() -> None:
    lm = np.zeros((68, 3))
    lm[:, 0] = np.linspace(0.0, 10.0, 68)  # zero height
    with pytest.raises(ValueError, match="degenerate"):
        m.bbox_size(lm)


def test_interocular_distance_3d(rng: np.random.Generator) -> None:
    lm = _box_landmarks(rng)
    assert m.interocular_distance(lm) == pytest.approx(math.sqrt(40**2 + 3**2 + 12**2))
    assert m.interocular_distance(lm[:, :2]) == pytest.approx(math.sqrt(40**2 + 3**2))


# --------------------------------------------------------------------------- #
# NME
# --------------------------------------------------------------------------- #
def test_nme_2d_known_shift(rng: np.random.Generator) -> None:
    gt = _box_landmarks(rng)
    pred = gt.copy()
    pred[:, 0] += 3.0
    assert m.nme_2d(pred, gt) == pytest.approx(3.0 / math.sqrt(5000.0))


def test_nme_2d_ignores_z_and_is_zero_for_identity(rng: np.random.Generator) -> None:
    gt = _box_landmarks(rng)
    pred = gt.copy()
    pred[:, 2] += rng.normal(size=68) * 50.0
    assert m.nme_2d(pred, gt) == 0.0
    assert m.nme_2d(pred[:, :2], gt) == 0.0


def test_nme_2d_mixed_displacements(rng: np.random.Generator) -> None:
    gt = _box_landmarks(rng)
    pred = gt.copy()
    pred[:34, 0] += 3.0  # half shifted by 3 in x
    pred[34:, 1] -= 4.0  # half shifted by 4 in y
    pred[0, :2] += (3.0, 4.0)  # first one: (6, 4) displacement instead of (3, 0)
    expected = (33 * 3.0 + 34 * 4.0 + math.hypot(6.0, 4.0)) / 68 / math.sqrt(5000.0)
    assert m.nme_2d(pred, gt) == pytest.approx(expected)


def test_nme_explicit_normaliser_and_gt_landmarks(rng: np.random.Generator) -> None:
    lm = _box_landmarks(rng)
    dense_gt = rng.normal(size=(500, 3)) * 20.0
    dense_pred = dense_gt + np.array([0.0, 2.0, 0.0])
    assert m.nme_2d(dense_pred, dense_gt, 4.0) == pytest.approx(0.5)
    assert m.nme_2d(dense_pred, dense_gt, gt_landmarks=lm) == pytest.approx(2.0 / math.sqrt(5000.0))
    # Explicit normaliser wins over gt_landmarks.
    assert m.nme_3d(dense_pred, dense_gt, 8.0, gt_landmarks=lm) == pytest.approx(0.25)


def test_nme_dense_without_normaliser_raises(rng: np.random.Generator) -> None:
    gt = rng.normal(size=(100, 3))
    with pytest.raises(ValueError, match="normaliser"):
        m.nme_2d(gt, gt)
    with pytest.raises(ValueError, match="normaliser"):
        m.nme_3d(gt, gt)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_nme_bad_normaliser_raises(rng: np.random.Generator, bad: float) -> None:
    gt = _box_landmarks(rng)
    with pytest.raises(ValueError, match="normaliser"):
        m.nme_2d(gt, gt, bad)


def test_nme_3d_invariant_to_z_offset(rng: np.random.Generator) -> None:
    gt = _box_landmarks(rng)
    pred = gt + rng.normal(size=gt.shape) * 2.0
    base = m.nme_3d(pred, gt)
    assert base > 0.0
    shifted_pred = pred + np.array([0.0, 0.0, 137.5])
    shifted_gt = gt + np.array([0.0, 0.0, -42.0])
    assert m.nme_3d(shifted_pred, gt) == pytest.approx(base)
    assert m.nme_3d(pred, shifted_gt) == pytest.approx(base)
    # A pure z offset alone gives zero error.
    assert m.nme_3d(gt + np.array([0.0, 0.0, 99.0]), gt) == pytest.approx(0.0, abs=1e-12)


def test_nme_3d_known_displacement(rng: np.random.Generator) -> None:
    gt = _box_landmarks(rng)
    pred = gt.copy()
    pred[:, 0] += 3.0
    # z displacement of +/-4 alternating (zero mean, so it survives centring).
    pred[:, 2] += np.where(np.arange(68) % 2 == 0, 4.0, -4.0)
    assert m.nme_3d(pred, gt) == pytest.approx(5.0 / math.sqrt(5000.0))
    # 2D NME of the same prediction ignores z.
    assert m.nme_2d(pred, gt) == pytest.approx(3.0 / math.sqrt(5000.0))


# --------------------------------------------------------------------------- #
# Alignment and reconstruction error
# --------------------------------------------------------------------------- #
def test_rigid_align_recovers_similarity(rng: np.random.Generator) -> None:
    src = rng.normal(size=(200, 3)) * 30.0
    rot = _random_rotation(rng)
    s_true = 1.7
    t_true = np.array([12.0, -5.0, 40.0])
    dst = s_true * src @ rot.T + t_true
    aligned, r_est, s_est, t_est = m.rigid_align(src, dst)
    np.testing.assert_allclose(r_est, rot, atol=1e-10)
    assert s_est == pytest.approx(s_true)
    np.testing.assert_allclose(t_est, t_true, atol=1e-9)
    np.testing.assert_allclose(aligned, dst, atol=1e-9)
    assert np.linalg.det(r_est) == pytest.approx(1.0)


def test_rigid_align_without_scale(rng: np.random.Generator) -> None:
    src = rng.normal(size=(50, 3)) * 10.0
    rot = _random_rotation(rng)
    dst = src @ rot.T + np.array([1.0, 2.0, 3.0])
    aligned, r_est, s_est, _ = m.rigid_align(src, dst, scale=False)
    assert s_est == 1.0
    np.testing.assert_allclose(r_est, rot, atol=1e-10)
    np.testing.assert_allclose(aligned, dst, atol=1e-9)
    # With a true scale of 2, the rigid fit must keep s == 1 and leave a residual.
    aligned2, _, s2, _ = m.rigid_align(src, 2.0 * dst, scale=False)
    assert s2 == 1.0
    assert np.abs(aligned2 - 2.0 * dst).max() > 1.0


def test_rigid_align_is_reflection_safe(rng: np.random.Generator) -> None:
    src = rng.normal(size=(100, 3)) * 10.0
    mirrored = src * np.array([-1.0, 1.0, 1.0])
    _, r_est, s_est, _ = m.rigid_align(src, mirrored)
    assert np.linalg.det(r_est) == pytest.approx(1.0)
    np.testing.assert_allclose(r_est @ r_est.T, np.eye(3), atol=1e-10)
    assert s_est > 0.0


def test_rigid_align_2d(rng: np.random.Generator) -> None:
    src = rng.normal(size=(30, 2))
    a = 0.7
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    dst = 0.5 * src @ rot.T + np.array([3.0, 4.0])
    aligned, r_est, s_est, _ = m.rigid_align(src, dst)
    np.testing.assert_allclose(r_est, rot, atol=1e-10)
    assert s_est == pytest.approx(0.5)
    np.testing.assert_allclose(aligned, dst, atol=1e-10)


def test_rigid_align_degenerate_raises() -> None:
    with pytest.raises(ValueError, match="coincide"):
        m.rigid_align(np.ones((10, 3)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="target"):
        m.rigid_align(np.zeros((10, 3)), np.zeros((10, 2)))


def test_reconstruction_error_zero_for_transformed_copy(rng: np.random.Generator) -> None:
    lm = _box_landmarks(rng)
    gt = rng.normal(size=(300, 3)) * 25.0
    pred = 0.8 * gt @ _random_rotation(rng).T + np.array([5.0, -7.0, 300.0])
    assert m.reconstruction_error(pred, gt, lm) == pytest.approx(0.0, abs=1e-10)


def test_reconstruction_error_positive_for_perturbed(rng: np.random.Generator) -> None:
    lm = _box_landmarks(rng)
    gt = rng.normal(size=(300, 3)) * 25.0
    noise = rng.normal(size=gt.shape) * 2.0
    err = m.reconstruction_error(gt + noise, gt, lm)
    # Alignment can only reduce the error below that of the raw perturbation.
    raw = np.linalg.norm(noise, axis=1).mean() / m.interocular_distance(lm)
    assert 0.0 < err <= raw
    assert err > 0.5 * raw


# --------------------------------------------------------------------------- #
# Yaw bins and summaries
# --------------------------------------------------------------------------- #
def test_yaw_bins_constant() -> None:
    assert m.YAW_BINS == ("[0, 30]", "(30, 60]", "(60, 90]")


def test_yaw_bin_edges() -> None:
    yaws = np.array([0.0, 30.0, -30.0, 30.0001, 60.0, -60.0, 60.0001, -75.0, 99.0])
    np.testing.assert_array_equal(m.yaw_bin(yaws), [0, 0, 0, 1, 1, 1, 2, 2, 2])
    assert m.yaw_bin(np.array([[10.0, -45.0]])).shape == (1, 2)


def test_yaw_bin_nan_raises() -> None:
    with pytest.raises(ValueError, match="yaw_deg"):
        m.yaw_bin(np.array([10.0, np.nan]))


def test_summarize_by_yaw_mean_of_bin_means() -> None:
    # Bin 0: 0.01, 0.03 (mean 2 %); bin 1: 0.04 (4 %); bin 2: 0.06, 0.06, 0.09 (7 %).
    values = np.array([0.01, 0.03, 0.04, 0.06, 0.06, 0.09])
    yaws = np.array([5.0, -30.0, 45.0, 61.0, -80.0, 90.0])
    out = m.summarize_by_yaw(values, yaws)
    assert out["bins"]["[0, 30]"] == {"count": 2, "mean": pytest.approx(2.0)}
    assert out["bins"]["(30, 60]"] == {"count": 1, "mean": pytest.approx(4.0)}
    assert out["bins"]["(60, 90]"] == {"count": 3, "mean": pytest.approx(7.0)}
    assert out["count"] == 6
    assert out["mean"] == pytest.approx(13.0 / 3.0)
    assert out["overall"] == pytest.approx(29.0 / 6.0)
    assert out["overall"] != pytest.approx(out["mean"])
    assert out["std"] == pytest.approx(np.std([2.0, 4.0, 7.0]))


def test_summarize_by_yaw_empty_bin_makes_the_protocol_mean_undefined() -> None:
    values = np.array([0.02, 0.04, 0.10])
    yaws = np.array([10.0, -20.0, 70.0])
    out = m.summarize_by_yaw(values, yaws)
    mid = out["bins"]["(30, 60]"]
    assert mid["count"] == 0
    assert math.isnan(mid["mean"])
    assert math.isnan(out["mean"]) and out["defined"] is False
    assert out["mean_present_bins"] == pytest.approx((3.0 + 10.0) / 2.0)
    assert out["std"] == pytest.approx(3.5)
    assert out["overall"] == pytest.approx(16.0 / 3.0)


def test_summarize_by_yaw_empty_input() -> None:
    out = m.summarize_by_yaw(np.array([]), np.array([]))
    assert out["count"] == 0
    assert math.isnan(out["mean"]) and math.isnan(out["overall"]) and math.isnan(out["std"])


def test_summarize_by_yaw_shape_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="yaw_deg"):
        m.summarize_by_yaw(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"values: expected shape \(M,\)"):
        m.summarize_by_yaw(np.zeros((3, 1)), np.zeros((3, 1)))


# --------------------------------------------------------------------------- #
# Per-face evaluation and normaliser table
# --------------------------------------------------------------------------- #
def test_normalisers_cover_evaluate_face_keys(rng: np.random.Generator) -> None:
    lm = _box_landmarks(rng)
    dense = rng.normal(size=(64, 3)) * 20.0
    out = m.evaluate_face(lm, lm, dense, dense)
    assert set(out) == set(m.NORMALISERS)
    assert all(isinstance(v, str) and v for v in m.NORMALISERS.values())
    assert "interocular" in m.NORMALISERS["recon_3d"]
    assert "sqrt(w*h)" in m.NORMALISERS["nme_2d_sparse"]
    for key, value in out.items():
        assert value == pytest.approx(0.0, abs=1e-10), key


def test_evaluate_face_values(rng: np.random.Generator) -> None:
    gt = _box_landmarks(rng)
    pred = gt + np.array([3.0, 0.0, 50.0])
    gt_dense = rng.normal(size=(80, 3)) * 20.0
    pred_dense = gt_dense + np.array([0.0, 4.0, -9.0])
    out = m.evaluate_face(pred, gt, pred_dense, gt_dense)
    norm = math.sqrt(5000.0)
    assert out["nme_2d_sparse"] == pytest.approx(3.0 / norm)
    assert out["nme_3d_sparse"] == pytest.approx(3.0 / norm)
    assert out["nme_2d_dense"] == pytest.approx(4.0 / norm)
    assert out["nme_3d_dense"] == pytest.approx(4.0 / norm)
    assert out["recon_3d"] == pytest.approx(0.0, abs=1e-10)


def test_evaluate_face_2d_only(rng: np.random.Generator) -> None:
    gt = _box_landmarks(rng)[:, :2]
    out = m.evaluate_face(gt + 1.0, gt)
    assert set(out) == {"nme_2d_sparse"}
    assert out["nme_2d_sparse"] == pytest.approx(math.sqrt(2.0) / math.sqrt(5000.0))


def test_evaluate_face_requires_both_dense(rng: np.random.Generator) -> None:
    lm = _box_landmarks(rng)
    with pytest.raises(ValueError, match="gt_dense"):
        m.evaluate_face(lm, lm, pred_dense=np.zeros((10, 3)))


# --------------------------------------------------------------------------- #
# Shape validation messages
# --------------------------------------------------------------------------- #
def test_gt_landmarks_shape_message() -> None:
    with pytest.raises(ValueError) as exc:
        m.bbox_size(np.zeros((5, 3)))
    assert str(exc.value) == "gt_landmarks: expected shape (68, 2) or (68, 3), got (5, 3)"


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: m.interocular_distance(np.zeros((68, 4))), r"gt_landmarks: expected shape"),
        (lambda: m.nme_2d(np.zeros(68), np.zeros((68, 2))), r"pred: expected shape \(N, 2\)"),
        (lambda: m.nme_3d(np.zeros((68, 3)), np.zeros((68, 2))), r"gt: expected shape \(N, 3\)"),
        (lambda: m.nme_2d(np.zeros((67, 2)), np.ones((68, 2))), r"pred: expected 68 points"),
        (
            lambda: m.reconstruction_error(np.zeros((9, 2)), np.zeros((9, 3)), np.zeros((68, 3))),
            r"pred_points: expected shape \(N, 3\), got \(9, 2\)",
        ),
        (
            lambda: m.evaluate_face(
                np.zeros((68, 3)), np.zeros((68, 3)), np.zeros((5, 3)), np.zeros((6, 3))
            ),
            r"pred_dense: expected 6 points",
        ),
        (
            lambda: m.evaluate_face(np.zeros((21, 3)), np.zeros((68, 3))),
            r"pred_landmarks: expected shape \(68, 2\) or \(68, 3\), got \(21, 3\)",
        ),
    ],
)
def test_shape_validation_messages(call, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        call()


def test_non_finite_input_raises(rng: np.random.Generator) -> None:
    gt = _box_landmarks(rng)
    pred = gt.copy()
    pred[3, 1] = np.nan
    with pytest.raises(ValueError, match="pred: contains non-finite"):
        m.nme_2d(pred, gt)
