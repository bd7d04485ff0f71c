"""Fit the 3DMM (shape, expression, pose) to 68 2D landmarks, as 3DDFA / face3d do.

The cost is the MAP one of face3d's ``morphable_model/fit.py::fit_points``: squared landmark
residuals over ``sigma**2`` plus the Gaussian prior of the coefficients. The first
``N_ALTERNATIONS`` iterations alternate, as ``fit_points`` does:

a. the camera: an affine camera from the 2D-3D correspondences by linear least squares on
   centred points (the Gold Standard algorithm for an affine camera, Hartley & Zisserman
   Alg. 7.2: with isotropic image noise the linear solution *is* the maximum-likelihood one),
   projected to the nearest scaled orthographic camera ``s * R[:2]`` (SVD) and refined by a few
   Gauss-Newton steps on (rotation, scale, translation);
b. + c. the shape and expression coefficients by linear least squares with Tikhonov
   regularisation by the prior. face3d alternates shape and expression (block coordinate
   descent of one quadratic); we solve the joint 50-unknown system, its fixed point.

The remaining iterations are damped Gauss-Newton steps on pose and coefficients together. The
alternation alone crawls along the pitch / shape valley (on the AFLW2000-3D samples pitch still
moves by 2-4 degrees after 6 rounds); the joint steps converge in 2-3.

The result is in the 300W-LP convention (:mod:`lprnet.geometry.transform`):
``pose_to_image(model.vertices(shape, exp), pose, image_height)[model.keypoints, :2]`` are the
fitted landmarks (with the contour update below for 2D annotations).

Prior
-----
``param_whitening.pkl`` (3DDFA) holds the mean and std of its 62 parameters over 300W-LP:
12 pose, 40 shape, 10 expression. Its shape / expression entries are in 300W-LP
``Shape_Para`` / ``Exp_Para`` units: the 300W-LP and AFLW2000-3D sample parameters have z-scores
of rms 0.7-1.2 (shape) and 0.9-2.1 (expression) against it. The prior is
``N(param_mean, param_std**2)`` per coefficient (note the non-zero means, e.g. -3.0e5 for the
first shape coefficient). Components past the prior's 40 / 10 (the full BFM) are kept at 0.
The landmark noise is ``noise * sqrt(w * h)`` pixels of the landmarks' box; the default 0.02
was within 0.1 degree of yaw and 0.2 mm of 3D shape of the best value for synthetic landmark
noise of 1-4% (0.005 overfits: at 4% noise, 2.6 degrees and 4.9 mm against 1.4 and 1.9).

Contour
-------
2D annotations (300-W, dlib, menpo) put the jaw points 0-16 on the visible outline. As 3DDFA's
landmark marching does, on the side turned away from the camera each jaw point is moved to the
vertex of its horizontal "parallel" line (``BFM_info.mat`` ``model_info.parallel``, 17 lists
of 1-based vertex indices) with the extreme image x (min x for points 0-7, max x for 9-16); the
side facing the camera and the chin (8) keep their fixed vertices. Frontal, the extreme vertex
of each line lies within 1-2 mm of the fixed keypoint, so the update is near-continuous through
yaw 0 and is always applied (``contour="silhouette"``). AFLW2000-3D's ``pt3d_68`` are the fixed
3D keypoints, hidden or not: fit those with ``contour="fixed"``.

Depth
-----
``tz`` is unobservable under the orthographic camera; it is set to 0 (the model origin at depth
0). The 300W-LP / AFLW2000-3D files hold values of -50 to -112 that come out of 3DDFA's fitter
and carry no image information. Depth comparisons should mean-centre z (as ``lprnet.metrics``
does) or shift by the minimum as PRNet does.
"""

from __future__ import annotations

import io
import os
import pickle
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.io as sio

from lprnet.assets import asset_path
from lprnet.data.annotations import FaceParams
from lprnet.errors import DataFormatError
from lprnet.geometry.bfm import FaceModel
from lprnet.geometry.transform import angles_to_matrix, matrix_to_angles, pose_to_image

N_LANDMARKS = 68
#: Jaw keypoints left / right of the chin (iBUG order; 8 is the chin).
JAW_LEFT = np.arange(0, 8)
JAW_RIGHT = np.arange(9, 17)
#: Landmarks whose vertices never change (brows, nose, eyes, mouth).
INNER = np.arange(17, 68)
CONTOUR_MODES = ("silhouette", "fixed")
#: Default image noise, as a fraction of the landmark box size sqrt(w * h).
DEFAULT_NOISE = 0.02
DEFAULT_ITERATIONS = 5
#: Iterations of face3d's camera / coefficient alternation before the joint Gauss-Newton steps.
N_ALTERNATIONS = 2


# --------------------------------------------------------------------------- #
# data: parameter prior, contour lines
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class ParamPrior:
    """Independent Gaussian prior of the 3DMM coefficients (300W-LP units).

    Attributes
    ----------
    shape_mean, shape_std : (Ks,) float64
        Mean and standard deviation of ``Shape_Para[:Ks]``.
    exp_mean, exp_std : (Ke,) float64
        Mean and standard deviation of ``Exp_Para[:Ke]``.
    """

    shape_mean: np.ndarray
    shape_std: np.ndarray
    exp_mean: np.ndarray
    exp_std: np.ndarray

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``(shape (Ks,), expression (Ke,))`` from the prior."""
        shape = self.shape_mean + self.shape_std * rng.standard_normal(self.shape_std.size)
        exp = self.exp_mean + self.exp_std * rng.standard_normal(self.exp_std.size)
        return shape, exp


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that only rebuilds NumPy arrays (the whitening file is a dict of two)."""

    _ALLOWED: ClassVar[set[tuple[str, str]]] = {
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def load_param_prior(root: str | os.PathLike | None = None) -> ParamPrior:
    """The shape / expression prior from 3DDFA's ``param_whitening.pkl``.

    Parameters
    ----------
    root : path-like, optional
        Data directory (defaults to ``$LPRNET_DATA``).

    Raises
    ------
    AssetNotFoundError
        The file is missing.
    DataFormatError
        Not a pickle of ``{"param_mean": (62,), "param_std": (62,)}`` with positive stds.
    """
    path = asset_path("param_whitening", root)
    try:
        data = _NumpyOnlyUnpickler(io.BytesIO(path.read_bytes())).load()
        mean = np.asarray(data["param_mean"], np.float64).reshape(-1)
        std = np.asarray(data["param_std"], np.float64).reshape(-1)
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as exc:
        raise DataFormatError(
            f"{path}: expected a pickled dict with 62-value 'param_mean' and 'param_std' ({exc})"
        ) from exc
    ok = mean.size == 62 and std.size == 62 and np.isfinite(mean).all() and np.isfinite(std).all()
    if not ok or std[12:].min() <= 0:
        raise DataFormatError(
            f"{path}: 'param_mean' / 'param_std' must have 62 values with positive, finite "
            f"stds (12 pose, 40 shape, 10 expression); got {mean.size} and {std.size}"
        )
    return ParamPrior(mean[12:52], std[12:52], mean[52:62], std[52:62])


def load_contour_lines(root: str | os.PathLike | None = None) -> tuple[np.ndarray, ...]:
    """The 17 jaw "parallel" lines of ``BFM_info.mat`` as 0-based vertex indices.

    Returns
    -------
    tuple of 17 (M_k,) int64 arrays
        Candidate vertices of jaw landmark k (line 8, the chin, holds one vertex).
    """
    path = asset_path("bfm_info", root)
    try:
        cells = sio.loadmat(path)["model_info"][0, 0]["parallel"].reshape(-1)
        lines = tuple(np.asarray(c, np.float64).reshape(-1).astype(np.int64) - 1 for c in cells)
    except (KeyError, ValueError, IndexError, OSError) as exc:
        raise DataFormatError(f"{path}: cannot read 'model_info.parallel' ({exc})") from exc
    if len(lines) != 17 or any(line.size == 0 or line.min() < 0 for line in lines):
        raise DataFormatError(
            f"{path}: 'model_info.parallel' must be 17 non-empty lists of 1-based vertex indices"
        )
    return lines


# --------------------------------------------------------------------------- #
# validation
# --------------------------------------------------------------------------- #
def _check_landmarks(landmarks: np.ndarray) -> np.ndarray:
    pts = np.asarray(landmarks, dtype=np.float64)
    if pts.shape != (N_LANDMARKS, 2):
        raise ValueError(f"landmarks: expected shape ({N_LANDMARKS}, 2), got {pts.shape}")
    if not np.isfinite(pts).all():
        raise ValueError("landmarks: contain NaN or infinite values")
    if np.ptp(pts, axis=0).min() <= 0:
        raise ValueError("landmarks: the points span no area (all x or all y are equal)")
    return pts


def _check_height(image_height: float) -> float:
    h = float(image_height)
    if not np.isfinite(h) or h <= 0:
        raise ValueError(f"image_height: must be a positive number of pixels, got {image_height}")
    return h


def _check_contour(contour: str) -> str:
    if contour not in CONTOUR_MODES:
        raise ValueError(f"contour: must be one of {CONTOUR_MODES}, got {contour!r}")
    return contour


def face_size(landmarks: np.ndarray) -> float:
    """``sqrt(w * h)`` of the landmarks' 2D box (the AFLW2000-3D NME normaliser), pixels."""
    pts = np.asarray(landmarks, np.float64)
    return float(np.sqrt(np.prod(pts.max(axis=0) - pts.min(axis=0))))


# --------------------------------------------------------------------------- #
# camera
# --------------------------------------------------------------------------- #
def _skew(w: np.ndarray) -> np.ndarray:
    return np.array([[0.0, -w[2], w[1]], [w[2], 0.0, -w[0]], [-w[1], w[0], 0.0]])


def _rodrigues(w: np.ndarray) -> np.ndarray:
    theta = float(np.linalg.norm(w))
    if theta < 1e-12:
        return np.eye(3) + _skew(w)
    k = _skew(w / theta)
    return np.eye(3) + np.sin(theta) * k + (1.0 - np.cos(theta)) * k @ k


def estimate_camera(
    points3d: np.ndarray, points2d: np.ndarray, refine: int = 3
) -> tuple[float, np.ndarray, np.ndarray]:
    """Scaled orthographic camera ``x ~ s * R[:2] @ X + t`` from 2D-3D correspondences.

    Parameters
    ----------
    points3d : (N, 3) array
        Model points (any units), N >= 4, not coplanar.
    points2d : (N, 2) array
        Their image positions (y up, same frame as ``t``).
    refine : int
        Gauss-Newton steps on rotation, scale and translation after the affine solution.

    Returns
    -------
    s : float
        Scale (image units per model unit).
    R : (3, 3) float64
        Proper rotation; its first two rows project.
    t : (2,) float64
        Translation.
    """
    X = np.asarray(points3d, np.float64)
    x = np.asarray(points2d, np.float64)
    if X.ndim != 2 or X.shape[1] != 3 or x.shape != (len(X), 2) or len(X) < 4:
        raise ValueError(
            f"points3d, points2d: need (N, 3) and (N, 2) with N >= 4, got {X.shape}, {x.shape}"
        )
    xm, Xm = x.mean(axis=0), X.mean(axis=0)
    Xc, xc = X - Xm, x - xm
    # affine camera: the linear least-squares (Gold Standard) solution on centred points
    affine = np.linalg.lstsq(Xc, xc, rcond=None)[0].T  # (2, 3)
    u, sig, vt = np.linalg.svd(affine, full_matrices=False)
    r2 = u @ vt
    s = float(sig.mean())
    rot = np.vstack([r2, np.cross(r2[0], r2[1])])
    # Gauss-Newton on the scaled orthographic model, R <- exp([w]x) R and s (t = xm - s R2 Xm):
    # with y = R X, d(s P exp([w]x) y)/dw = -s P [y]x and d/ds = P y
    for _ in range(refine):
        y = Xc @ rot.T  # (N, 3) rotated
        res = (s * y[:, :2] - xc).reshape(-1)
        jw = np.empty((len(y), 2, 3))
        jw[:, 0] = s * np.stack([np.zeros(len(y)), y[:, 2], -y[:, 1]], axis=1)
        jw[:, 1] = s * np.stack([-y[:, 2], np.zeros(len(y)), y[:, 0]], axis=1)
        jac = np.concatenate([jw.reshape(-1, 3), y[:, :2].reshape(-1, 1)], axis=1)
        step = np.linalg.lstsq(jac, -res, rcond=None)[0]
        rot = _rodrigues(step[:3]) @ rot
        s += float(step[3])
    return s, rot, xm - s * rot[:2] @ Xm


# --------------------------------------------------------------------------- #
# the fitter
# --------------------------------------------------------------------------- #
class LandmarkFitter:
    """Fits a :class:`FaceModel` to 68 landmarks; build once per model (see :func:`get_fitter`).

    Parameters
    ----------
    model : FaceModel
    prior : ParamPrior
        Its sizes cap the fitted components (the rest stay 0).
    contour_lines : tuple of 17 (M_k,) int64 arrays
        Candidate vertices of each jaw landmark (:func:`load_contour_lines`).
    """

    def __init__(
        self, model: FaceModel, prior: ParamPrior, contour_lines: tuple[np.ndarray, ...]
    ) -> None:
        if len(contour_lines) != 17 or max(int(c.max()) for c in contour_lines) >= model.n_vertices:
            raise ValueError("contour_lines: expected 17 arrays of vertex indices of the model")
        self.model = model
        self.n_shape = min(model.n_shape, prior.shape_std.size)
        self.n_exp = min(model.n_exp, prior.exp_std.size)
        self.prior_mean = np.concatenate(
            [prior.shape_mean[: self.n_shape], prior.exp_mean[: self.n_exp]]
        )
        self.prior_std = np.concatenate(
            [prior.shape_std[: self.n_shape], prior.exp_std[: self.n_exp]]
        )
        # landmark rows of the model, and the candidates of the 16 side jaw points
        self._kp_mean, self._kp_basis = self._rows(model.keypoints)
        sides = np.concatenate([JAW_LEFT, JAW_RIGHT])
        self._cand_ids = np.concatenate([contour_lines[k] for k in sides])
        self._cand_owner = np.concatenate([np.full(contour_lines[k].size, k) for k in sides])
        self._cand_mean, self._cand_basis = self._rows(self._cand_ids)
        self._cand_of = {
            k: np.flatnonzero(self._cand_owner == k) for k in np.concatenate([JAW_LEFT, JAW_RIGHT])
        }

    def _rows(self, vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean (V, 3) and whitened basis (V, 3, K) of the given vertices, float64.

        The basis columns are scaled by the prior std: ``X = mean + basis @ z`` with
        ``z = (coef - prior_mean) / prior_std``; the prior mean is folded into ``mean``.
        """
        rows = (3 * np.asarray(vertices)[:, None] + np.arange(3)).reshape(-1)
        shape = self.model.shape_basis[rows, : self.n_shape]
        exp = self.model.exp_basis[rows, : self.n_exp]
        basis = np.concatenate([shape, exp], axis=1).astype(np.float64)
        mean = self.model.mean[rows].astype(np.float64) + basis @ self.prior_mean
        basis *= self.prior_std
        return mean.reshape(-1, 3), basis.reshape(len(vertices), 3, -1)

    # -- correspondences ---------------------------------------------------- #
    def _silhouette(self, z: np.ndarray, rot: np.ndarray) -> dict[int, int]:
        """``{jaw landmark: candidate row}`` on the side turned away from the camera."""
        far = JAW_LEFT if rot[2, 0] > 0 else JAW_RIGHT  # model +x toward the camera: left far
        rows = np.concatenate([self._cand_of[k] for k in far])
        x = (self._cand_mean[rows] + self._cand_basis[rows] @ z) @ rot[0]  # image x, unscaled
        pick, start = {}, 0
        for k in far:
            n = self._cand_of[k].size
            seg = x[start : start + n]
            pick[int(k)] = int(self._cand_of[k][np.argmin(seg) if k < 8 else np.argmax(seg)])
            start += n
        return pick

    def _correspondence(
        self, z: np.ndarray, rot: np.ndarray | None, contour: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Model mean (68, 3) and whitened basis (68, 3, K) of the landmarks for a fit state."""
        if contour == "fixed" or rot is None:
            return self._kp_mean, self._kp_basis
        mean, basis = self._kp_mean.copy(), self._kp_basis.copy()
        for k, row in self._silhouette(z, rot).items():
            mean[k], basis[k] = self._cand_mean[row], self._cand_basis[row]
        return mean, basis

    def _z(self, params: FaceParams) -> np.ndarray:
        coef = np.zeros(self.n_shape + self.n_exp)
        a = np.asarray(params.shape, np.float64).reshape(-1)[: self.n_shape]
        b = np.asarray(params.expression, np.float64).reshape(-1)[: self.n_exp]
        coef[: a.size] = a
        coef[self.n_shape : self.n_shape + b.size] = b
        return (coef - self.prior_mean) / self.prior_std

    def landmark_vertices(self, params: FaceParams, contour: str = "silhouette") -> np.ndarray:
        """(68,) int64: the model vertex of each landmark for ``params``.

        ``model.keypoints`` with ``contour="fixed"``; with ``"silhouette"`` the jaw points on the
        side turned away from the camera move to the extreme vertex of their parallel line.
        """
        ids = self.model.keypoints.copy()
        if _check_contour(contour) == "silhouette":
            rot = angles_to_matrix(*np.asarray(params.pose, np.float64)[:3])
            for k, row in self._silhouette(self._z(params), rot).items():
                ids[k] = self._cand_ids[row]
        return ids

    def landmarks(
        self, params: FaceParams, image_height: float, contour: str = "silhouette"
    ) -> np.ndarray:
        """The model's 68 landmarks in the image for ``params``.

        Returns
        -------
        (68, 2) float64
            Pixels (x right, y down): ``pose_to_image`` of :meth:`landmark_vertices`.
        """
        h = _check_height(image_height)
        ids = self.landmark_vertices(params, contour)
        mean, basis = self._rows(ids)
        return pose_to_image(mean + basis @ self._z(params), params.pose, h)[:, :2]

    # -- the fit ------------------------------------------------------------ #
    def fit(
        self,
        landmarks: np.ndarray,
        image_height: float,
        n_iter: int = DEFAULT_ITERATIONS,
        contour: str = "silhouette",
        noise: float = DEFAULT_NOISE,
    ) -> FaceParams:
        """Fit shape, expression and pose to 68 landmarks.

        Parameters
        ----------
        landmarks : (68, 2) array
            Image pixels (x right, y down), iBUG order.
        image_height : float
            Image height in pixels (300W-LP's y flip).
        n_iter : int
            Iterations (>= 1): the first two alternate camera and coefficient solves (face3d),
            the rest are joint Gauss-Newton steps on pose and coefficients.
        contour : {"silhouette", "fixed"}
            ``silhouette`` for 2D annotations (jaw on the visible outline), ``fixed`` for
            AFLW2000-3D style 3D landmarks.
        noise : float
            Landmark noise (std per axis) as a fraction of the face size ``sqrt(w * h)``:
            weighs the data against the prior (larger = stronger prior).

        Returns
        -------
        FaceParams
            ``pose`` (7,) [pitch, yaw, roll (rad), tx, ty, tz = 0, s]; ``shape`` (n_shape,) and
            ``expression`` (n_exp,) in 300W-LP units; ``pt2d`` the input landmarks (2, 68).
        """
        pts = _check_landmarks(landmarks)
        h = _check_height(image_height)
        contour = _check_contour(contour)
        if isinstance(n_iter, bool) or int(n_iter) != n_iter or n_iter < 1:
            raise ValueError(f"n_iter: must be an integer >= 1, got {n_iter!r}")
        if not (np.isfinite(noise) and noise > 0):
            raise ValueError(f"noise: must be a positive fraction of the face size, got {noise}")
        target = np.column_stack([pts[:, 0], h - pts[:, 1]])  # the model's y-up frame
        sigma = float(noise) * face_size(pts)
        z = np.zeros(self.prior_std.size)
        rot = None
        for it in range(int(n_iter)):
            if it < N_ALTERNATIONS:
                mean, basis = self._correspondence(z, rot, contour)
                use = INNER if rot is None else slice(None)  # jaw unknown before the first pose
                s, rot, t = estimate_camera((mean + basis @ z)[use], target[use])
                mean, basis = self._correspondence(z, rot, contour)
                z = self._solve_z(mean, basis, s, rot, t, target, sigma)
            else:
                mean, basis = self._correspondence(z, rot, contour)
                s, rot, t, z = self._gauss_newton(mean, basis, s, rot, t, z, target, sigma)
        pose = np.concatenate([matrix_to_angles(rot), [t[0], t[1], 0.0, s]])
        coef = self.prior_mean + self.prior_std * z
        shape = np.zeros(self.model.n_shape)
        exp = np.zeros(self.model.n_exp)
        shape[: self.n_shape] = coef[: self.n_shape]
        exp[: self.n_exp] = coef[self.n_shape :]
        return FaceParams(pose=pose, shape=shape, expression=exp, pt2d=pts.T.copy())

    @staticmethod
    def _solve_z(mean, basis, s, rot, t, target, sigma) -> np.ndarray:
        """Coefficients for a fixed camera: ``min |A z - c|^2 / sigma^2 + |z|^2``."""
        proj = s * rot[:2]  # (2, 3)
        a = np.einsum("ij,njk->nik", proj, basis).reshape(-1, basis.shape[2])  # (136, K)
        c = (target - mean @ proj.T - t).reshape(-1)
        lhs = a.T @ a + sigma**2 * np.eye(a.shape[1])
        return np.linalg.solve(lhs, a.T @ c)

    @staticmethod
    def _gauss_newton(mean, basis, s, rot, t, z, target, sigma):
        """One damped Gauss-Newton step on (rotation, log s, t, z) for fixed correspondences."""

        def cost(s_, rot_, t_, z_):
            pred = s_ * (mean + basis @ z_) @ rot_[:2].T + t_
            return float(((pred - target) ** 2).sum() / sigma**2 + z_ @ z_)

        verts = mean + basis @ z
        y = verts @ rot.T  # (68, 3) rotated model points
        res = (s * y[:, :2] + t - target).reshape(-1) / sigma
        n, k = len(y), z.size
        jac = np.zeros((n, 2, 6 + k))
        zero = np.zeros(n)
        jac[:, 0, :3] = s * np.stack([zero, y[:, 2], -y[:, 1]], axis=1)  # R <- exp([w]x) R
        jac[:, 1, :3] = s * np.stack([-y[:, 2], zero, y[:, 0]], axis=1)
        jac[:, :, 3] = s * y[:, :2]  # log s
        jac[:, 0, 4] = jac[:, 1, 5] = 1.0  # t
        jac[:, :, 6:] = np.einsum("ij,njk->nik", s * rot[:2], basis)
        jac = jac.reshape(2 * n, -1) / sigma
        lhs = jac.T @ jac
        lhs[6:, 6:] += np.eye(k)
        rhs = -(jac.T @ res)
        rhs[6:] -= z
        step = np.linalg.solve(lhs + 1e-9 * np.eye(lhs.shape[0]), rhs)
        before = cost(s, rot, t, z)
        for scale in (1.0, 0.5, 0.25):  # backtrack if the full step overshoots
            d = scale * step
            cand = (s * np.exp(d[3]), _rodrigues(d[:3]) @ rot, t + d[4:6], z + d[6:])
            if cost(*cand) <= before:
                return cand
        return s, rot, t, z


_FITTERS: dict[tuple[int, str], LandmarkFitter] = {}


def get_fitter(model: FaceModel, root: str | os.PathLike | None = None) -> LandmarkFitter:
    """The cached :class:`LandmarkFitter` of ``model`` with the data of ``root``.

    Loads ``param_whitening.pkl`` and ``BFM_info.mat`` (from ``root``, default
    ``$LPRNET_DATA``) once per (model, data directory).
    """
    key = (id(model), str(asset_path("param_whitening", root).resolve()))
    fitter = _FITTERS.get(key)
    if fitter is None or fitter.model is not model:
        fitter = LandmarkFitter(model, load_param_prior(root), load_contour_lines(root))
        _FITTERS[key] = fitter
    return fitter


def fit_landmarks(
    landmarks: np.ndarray,
    model: FaceModel,
    image_height: float,
    n_iter: int = DEFAULT_ITERATIONS,
    contour: str = "silhouette",
    noise: float = DEFAULT_NOISE,
    root: str | os.PathLike | None = None,
) -> FaceParams:
    """Fit the 3DMM to 68 image landmarks (see :meth:`LandmarkFitter.fit`).

    About 2 ms per face (``n_iter=5``, one CPU core).

    Parameters
    ----------
    landmarks : (68, 2) array
        Image pixels, x right, y down, iBUG order.
    model : FaceModel
    image_height : float
        Image height in pixels.
    n_iter : int
        Iterations: two camera / coefficient alternations, then joint Gauss-Newton steps.
    contour : {"silhouette", "fixed"}
        Jaw landmarks on the visible outline (2D annotations: 300-W, dlib, menpo) or on
        fixed vertices (AFLW2000-3D ``pt3d_68``).
    noise : float
        Landmark noise as a fraction of the face size (prior weight).
    root : path-like, optional
        Data directory with ``face-model/param_whitening.pkl`` and ``BFM_info.mat``.

    Returns
    -------
    FaceParams
        300W-LP convention: ``pose_to_image(model.vertices(shape, expression), pose,
        image_height)[vertices, :2]`` ~ ``landmarks``, where ``vertices`` is
        ``model.keypoints`` (``contour="fixed"``) or
        ``get_fitter(model).landmark_vertices(params)`` (``"silhouette"``).
    """
    fitter = get_fitter(model, root)
    return fitter.fit(landmarks, image_height, n_iter=n_iter, contour=contour, noise=noise)
