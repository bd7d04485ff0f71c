"""Face-alignment and 3D-reconstruction metrics (AFLW2000-3D protocol).

The sparse metrics follow the 3DDFA ``benchmark_aflw2000.py`` protocol that
underlies the published AFLW2000-3D numbers (PRNet 3.62, 3DDFA_V2 3.51,
SynergyNet 3.41 NME, in percent):

* per image, the normaliser is ``sqrt((maxx - minx) * (maxy - miny))`` of the
  ground-truth 68-landmark ``(x, y)`` box;
* ``nme = mean_i ||pred_i[:2] - gt_i[:2]|| / normaliser``;
* images are split into three yaw bins, ``|yaw| <= 30``, ``30 < |yaw| <= 60``
  and ``|yaw| > 60`` degrees, and the reported mean is the mean of the three
  bin means (not the mean over images), in percent.

Conventions
-----------
All point arrays are float arrays of shape ``(N, 2)`` or ``(N, 3)`` in image
pixel units with ``x`` pointing right and ``y`` pointing down (``z`` is in the
same pixel units; its origin is arbitrary under PRNet's orthographic camera).
Landmark arrays are ``(68, 2)`` or ``(68, 3)`` in the 0-based iBUG 68-point
order. Per-face functions return fractions; :func:`summarize_by_yaw` reports
percent.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lprnet.geometry.transform import similarity_fit

__all__ = [
    "NORMALISERS",
    "NUM_LANDMARKS",
    "YAW_BINS",
    "bbox_size",
    "evaluate_face",
    "interocular_distance",
    "nme_2d",
    "nme_3d",
    "reconstruction_error",
    "rigid_align",
    "summarize_by_yaw",
    "yaw_bin",
]

NUM_LANDMARKS: Final[int] = 68
"""Number of iBUG landmarks used by the AFLW2000-3D benchmark."""

LEFT_EYE_OUTER: Final[int] = 36
"""0-based iBUG index of the outer corner of the subject's right eye (image left)."""

RIGHT_EYE_OUTER: Final[int] = 45
"""0-based iBUG index of the outer corner of the subject's left eye (image right)."""

YAW_BINS: Final[tuple[str, str, str]] = ("[0, 30]", "(30, 60]", "(60, 90]")
"""Labels of the three ``|yaw|`` bins in degrees, indexed by :func:`yaw_bin`."""

NORMALISERS: Final[dict[str, str]] = {
    "nme_2d_sparse": "sqrt(w*h) of the ground-truth 68-landmark 2D box",
    "nme_3d_sparse": "sqrt(w*h) of the ground-truth 68-landmark 2D box (z mean-centred)",
    "nme_2d_dense": "sqrt(w*h) of the ground-truth 68-landmark 2D box",
    "nme_3d_dense": "sqrt(w*h) of the ground-truth 68-landmark 2D box (z mean-centred)",
    "recon_3d": "outer interocular distance (landmarks 36-45), 3D, after Umeyama similarity "
    "alignment",
}
"""One-line description of the normaliser used by each metric of :func:`evaluate_face`."""


# --------------------------------------------------------------------------- #
# Validation helpers
# --------------------------------------------------------------------------- #
def _as_points(
    arr: ArrayLike,
    name: str,
    *,
    n: int | None = None,
    dims: tuple[int, ...] = (2, 3),
) -> NDArray[np.float64]:
    """Convert ``arr`` to a finite float64 ``(N, D)`` array or raise ``ValueError``.

    Parameters
    ----------
    arr : array_like
        Candidate point array.
    name : str
        Argument name used in error messages.
    n : int, optional
        Required number of points; any ``N >= 1`` when ``None``.
    dims : tuple of int
        Allowed numbers of columns ``D``.

    Returns
    -------
    numpy.ndarray
        Float64 array of shape ``(N, D)``.
    """
    a = np.asarray(arr, dtype=np.float64)
    rows = "N" if n is None else str(n)
    expected = " or ".join(f"({rows}, {d})" for d in dims)
    if a.ndim != 2 or a.shape[1] not in dims or (n is not None and a.shape[0] != n):
        raise ValueError(f"{name}: expected shape {expected}, got {a.shape}")
    if a.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one point, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: contains non-finite values")
    return a


def _check_pair(
    pred: NDArray[np.float64], gt: NDArray[np.float64], pred_name: str, gt_name: str
) -> None:
    """Raise ``ValueError`` unless ``pred`` and ``gt`` have the same number of points."""
    if pred.shape[0] != gt.shape[0]:
        raise ValueError(
            f"{pred_name}: expected {gt.shape[0]} points to match {gt_name}, "
            f"got shape {pred.shape}"
        )


def _check_normaliser(value: float) -> float:
    """Return ``value`` as float, raising ``ValueError`` unless finite and positive."""
    v = float(value)
    if not math.isfinite(v) or v <= 0.0:
        raise ValueError(f"normaliser: expected a finite positive value, got {value!r}")
    return v


# --------------------------------------------------------------------------- #
# Normalisers
# --------------------------------------------------------------------------- #
def bbox_size(gt_landmarks: ArrayLike) -> float:
    """Geometric-mean size of the ground-truth landmark box (3DDFA normaliser).

    Parameters
    ----------
    gt_landmarks : array_like, shape (68, 2) or (68, 3)
        Ground-truth iBUG landmarks in pixels; only ``x`` and ``y`` are used.

    Returns
    -------
    float
        ``sqrt((maxx - minx) * (maxy - miny))`` in pixels.

    Raises
    ------
    ValueError
        If the shape is wrong or the box has zero area.
    """
    lm = _as_points(gt_landmarks, "gt_landmarks", n=NUM_LANDMARKS)
    extent = lm[:, :2].max(axis=0) - lm[:, :2].min(axis=0)
    area = float(extent[0] * extent[1])
    if area <= 0.0:
        raise ValueError(
            f"gt_landmarks: degenerate bounding box (width={extent[0]:g}, "
            f"height={extent[1]:g} px)"
        )
    return math.sqrt(area)


def interocular_distance(gt_landmarks: ArrayLike) -> float:
    """Outer interocular distance between landmarks 36 and 45.

    Parameters
    ----------
    gt_landmarks : array_like, shape (68, 3) or (68, 2)
        Ground-truth iBUG landmarks in pixels. With ``(68, 3)`` input the
        distance is 3D (the benchmark convention); with ``(68, 2)`` it is the
        2D distance.

    Returns
    -------
    float
        Euclidean distance in pixels.

    Raises
    ------
    ValueError
        If the shape is wrong or the two eye corners coincide.
    """
    lm = _as_points(gt_landmarks, "gt_landmarks", n=NUM_LANDMARKS)
    d = float(np.linalg.norm(lm[RIGHT_EYE_OUTER] - lm[LEFT_EYE_OUTER]))
    if d <= 0.0:
        raise ValueError("gt_landmarks: outer eye corners (36, 45) coincide")
    return d


def _default_normaliser(
    gt: NDArray[np.float64],
    normaliser: float | None,
    gt_landmarks: ArrayLike | None,
) -> float:
    """Resolve the NME normaliser: explicit value, else box of landmarks, else box of ``gt``."""
    if normaliser is not None:
        return _check_normaliser(normaliser)
    if gt_landmarks is not None:
        return bbox_size(gt_landmarks)
    if gt.shape[0] == NUM_LANDMARKS:
        return bbox_size(gt)
    raise ValueError(
        f"normaliser: cannot infer a default for {gt.shape[0]} points; pass normaliser= or "
        f"gt_landmarks= (shape ({NUM_LANDMARKS}, 2) or ({NUM_LANDMARKS}, 3))"
    )


# --------------------------------------------------------------------------- #
# NME
# --------------------------------------------------------------------------- #
def nme_2d(
    pred: ArrayLike,
    gt: ArrayLike,
    normaliser: float | None = None,
    *,
    gt_landmarks: ArrayLike | None = None,
) -> float:
    """Normalised mean 2D error (``x``, ``y`` only).

    Parameters
    ----------
    pred : array_like, shape (N, 2) or (N, 3)
        Predicted points in pixels.
    gt : array_like, shape (N, 2) or (N, 3)
        Ground-truth points in pixels, in correspondence with ``pred``.
    normaliser : float, optional
        Normalising length in pixels. Defaults to ``bbox_size(gt_landmarks)``
        if ``gt_landmarks`` is given, else ``bbox_size(gt)`` when ``N == 68``.
    gt_landmarks : array_like, shape (68, 2) or (68, 3), optional
        Ground-truth landmarks used for the default normaliser (needed for
        dense points, where ``gt`` is not the 68-landmark set).

    Returns
    -------
    float
        ``mean_i ||pred_i[:2] - gt_i[:2]|| / normaliser`` as a fraction
        (multiply by 100 for percent).

    Raises
    ------
    ValueError
        On wrong shapes, mismatched point counts, a non-positive normaliser or
        when no default normaliser can be inferred.
    """
    p = _as_points(pred, "pred")
    g = _as_points(gt, "gt")
    _check_pair(p, g, "pred", "gt")
    norm = _default_normaliser(g, normaliser, gt_landmarks)
    err = np.linalg.norm(p[:, :2] - g[:, :2], axis=1)
    return float(err.mean() / norm)


def nme_3d(
    pred: ArrayLike,
    gt: ArrayLike,
    normaliser: float | None = None,
    *,
    gt_landmarks: ArrayLike | None = None,
) -> float:
    """Normalised mean 3D error with per-set ``z`` centring.

    PRNet (and most 3DMM regressors) use an orthographic camera, so the depth
    origin of a prediction is arbitrary and unrelated to that of the ground
    truth. Before comparing, the mean ``z`` of ``pred`` and the mean ``z`` of
    ``gt`` are each subtracted from their own set; ``x`` and ``y`` are left
    untouched. The metric is therefore invariant to any constant ``z`` offset
    of either input.

    Parameters
    ----------
    pred : array_like, shape (N, 3)
        Predicted points in pixels.
    gt : array_like, shape (N, 3)
        Ground-truth points in pixels, in correspondence with ``pred``.
    normaliser : float, optional
        Normalising length in pixels. Defaults to ``bbox_size(gt_landmarks)``
        if ``gt_landmarks`` is given, else ``bbox_size(gt)`` when ``N == 68``.
    gt_landmarks : array_like, shape (68, 2) or (68, 3), optional
        Ground-truth landmarks used for the default normaliser.

    Returns
    -------
    float
        ``mean_i ||pred_i - gt_i|| / normaliser`` after z centring, as a
        fraction.

    Raises
    ------
    ValueError
        On wrong shapes, mismatched point counts, a non-positive normaliser or
        when no default normaliser can be inferred.
    """
    p = _as_points(pred, "pred", dims=(3,))
    g = _as_points(gt, "gt", dims=(3,))
    _check_pair(p, g, "pred", "gt")
    norm = _default_normaliser(g, normaliser, gt_landmarks)
    p = p.copy()
    g = g.copy()
    p[:, 2] -= p[:, 2].mean()
    g[:, 2] -= g[:, 2].mean()
    err = np.linalg.norm(p - g, axis=1)
    return float(err.mean() / norm)


# --------------------------------------------------------------------------- #
# Alignment and dense reconstruction error
# --------------------------------------------------------------------------- #
def rigid_align(
    source: ArrayLike,
    target: ArrayLike,
    scale: bool = True,
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, NDArray[np.float64]]:
    """Least-squares similarity (or rigid) alignment of ``source`` onto ``target``.

    Implements Umeyama (1991): finds ``s``, ``R``, ``t`` minimising
    ``sum_i ||target_i - (s * R @ source_i + t)||^2`` with ``R`` a proper
    rotation (``det(R) = +1``; reflections are never returned).

    Parameters
    ----------
    source : array_like, shape (N, D)
        Points to move, ``D`` in {2, 3}, any consistent unit.
    target : array_like, shape (N, D)
        Corresponding target points, same unit.
    scale : bool, default True
        Estimate the isotropic scale ``s``; when False ``s = 1`` (rigid).

    Returns
    -------
    aligned : numpy.ndarray, shape (N, D)
        ``s * source @ R.T + t``.
    R : numpy.ndarray, shape (D, D)
        Rotation matrix.
    s : float
        Scale factor (1.0 when ``scale`` is False).
    t : numpy.ndarray, shape (D,)
        Translation, in the unit of ``target``.

    Raises
    ------
    ValueError
        On mismatched shapes, fewer than ``D`` points or a source whose points
        all coincide.
    """
    src = _as_points(source, "source")
    dst = _as_points(target, "target", dims=(src.shape[1],))
    _check_pair(src, dst, "source", "target")
    s, rot, t = similarity_fit(src, dst, scale=scale)
    aligned = s * src @ rot.T + t
    return aligned, rot, s, t


def reconstruction_error(
    pred_points: ArrayLike,
    gt_points: ArrayLike,
    gt_landmarks: ArrayLike,
) -> float:
    """Dense 3D reconstruction error after similarity alignment (PRNet protocol).

    The predicted dense points are aligned to the ground-truth dense points
    with :func:`rigid_align` (Umeyama similarity: rotation, isotropic scale,
    translation), then the mean per-point 3D Euclidean distance is divided by
    the outer interocular distance of ``gt_landmarks``. Because of the
    alignment, any ``z`` offset of either input is irrelevant.

    Parameters
    ----------
    pred_points : array_like, shape (N, 3)
        Predicted dense face points in pixels.
    gt_points : array_like, shape (N, 3)
        Corresponding ground-truth dense face points in pixels.
    gt_landmarks : array_like, shape (68, 3) or (68, 2)
        Ground-truth landmarks providing the normaliser (3D interocular
        distance for ``(68, 3)``).

    Returns
    -------
    float
        Normalised mean error as a fraction.

    Raises
    ------
    ValueError
        On wrong shapes or degenerate inputs.
    """
    p = _as_points(pred_points, "pred_points", dims=(3,))
    g = _as_points(gt_points, "gt_points", dims=(3,))
    _check_pair(p, g, "pred_points", "gt_points")
    norm = interocular_distance(gt_landmarks)
    aligned, _, _, _ = rigid_align(p, g, scale=True)
    err = np.linalg.norm(aligned - g, axis=1)
    return float(err.mean() / norm)


# --------------------------------------------------------------------------- #
# Yaw binning and summaries
# --------------------------------------------------------------------------- #
def yaw_bin(yaw_deg: ArrayLike) -> NDArray[np.int64]:
    """Assign AFLW2000-3D yaw bins.

    Parameters
    ----------
    yaw_deg : array_like, any shape
        Yaw angles in degrees (sign ignored).

    Returns
    -------
    numpy.ndarray of int64, same shape as ``yaw_deg``
        0 for ``|yaw| <= 30``, 1 for ``30 < |yaw| <= 60``, 2 for ``|yaw| > 60``
        (labels in :data:`YAW_BINS`).

    Raises
    ------
    ValueError
        If any yaw is not finite.
    """
    yaw = np.abs(np.asarray(yaw_deg, dtype=np.float64))
    if not np.all(np.isfinite(yaw)):
        raise ValueError("yaw_deg: contains non-finite values")
    bins = np.full(yaw.shape, 2, dtype=np.int64)
    bins[yaw <= 60.0] = 1
    bins[yaw <= 30.0] = 0
    return bins


def summarize_by_yaw(values: ArrayLike, yaw_deg: ArrayLike) -> dict:
    """Summarise per-image errors by yaw bin, 3DDFA style.

    Parameters
    ----------
    values : array_like, shape (M,)
        Per-image metric values as fractions (e.g. from :func:`nme_2d`).
    yaw_deg : array_like, shape (M,)
        Per-image yaw in degrees.

    Returns
    -------
    dict
        ``"bins"``: dict mapping each label of :data:`YAW_BINS` to
        ``{"count": int, "mean": float}`` (mean in percent, NaN if the bin is
        empty); ``"count"``: total number of images; ``"mean"``: the mean of
        the three bin means in percent (the benchmark headline number), NaN
        (undefined) when a bin is empty; ``"defined"``: whether it is;
        ``"mean_present_bins"``: the mean of the non-empty bin means (equal to
        ``"mean"`` when defined; never to be reported as the protocol mean);
        ``"overall"``: plain mean over all images in percent; ``"std"``:
        population standard deviation (``ddof=0``, as in 3DDFA) of the
        non-empty bin means in percent.

    Notes
    -----
    Empty bins (possible when evaluating a subset of AFLW2000-3D) get count 0
    and mean NaN; the protocol mean is then undefined (NaN), as the published
    numbers average exactly three bins. With no images at all, every mean and
    the std are NaN. No warnings are emitted.

    Raises
    ------
    ValueError
        On non-1D or mismatched inputs, or non-finite values or yaws.
    """
    v = np.asarray(values, dtype=np.float64)
    y = np.asarray(yaw_deg, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"values: expected shape (M,), got {v.shape}")
    if y.shape != v.shape:
        raise ValueError(f"yaw_deg: expected shape {v.shape} to match values, got {y.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError("values: contains non-finite values")
    bins = yaw_bin(y)

    per_bin: dict[str, dict[str, float | int]] = {}
    bin_means: list[float] = []
    for k, label in enumerate(YAW_BINS):
        sel = v[bins == k]
        count = int(sel.size)
        mean = float(sel.mean() * 100.0) if count else math.nan
        per_bin[label] = {"count": count, "mean": mean}
        if count:
            bin_means.append(mean)

    present = float(np.mean(bin_means)) if bin_means else math.nan
    defined = len(bin_means) == len(YAW_BINS)
    return {
        "bins": per_bin,
        "count": int(v.size),
        "mean": present if defined else math.nan,
        "defined": defined,
        "mean_present_bins": present,
        "overall": float(v.mean() * 100.0) if v.size else math.nan,
        "std": float(np.std(bin_means)) if bin_means else math.nan,
    }


# --------------------------------------------------------------------------- #
# Per-face convenience
# --------------------------------------------------------------------------- #
def evaluate_face(
    pred_landmarks: ArrayLike,
    gt_landmarks: ArrayLike,
    pred_dense: ArrayLike | None = None,
    gt_dense: ArrayLike | None = None,
) -> dict[str, float]:
    """Compute every applicable metric for one face.

    Parameters
    ----------
    pred_landmarks : array_like, shape (68, 2) or (68, 3)
        Predicted iBUG landmarks in pixels.
    gt_landmarks : array_like, shape (68, 2) or (68, 3)
        Ground-truth iBUG landmarks in pixels.
    pred_dense : array_like, shape (N, 3), optional
        Predicted dense face points in pixels, in correspondence with
        ``gt_dense``.
    gt_dense : array_like, shape (N, 3), optional
        Ground-truth dense face points in pixels.

    Returns
    -------
    dict of str to float
        Fractions keyed by metric name (see :data:`NORMALISERS`):
        ``"nme_2d_sparse"`` always; ``"nme_3d_sparse"`` when both landmark
        sets are 3D; ``"nme_2d_dense"``, ``"nme_3d_dense"`` and
        ``"recon_3d"`` when both dense sets are given.

    Raises
    ------
    ValueError
        On wrong shapes, or when only one of ``pred_dense`` / ``gt_dense`` is
        given.
    """
    pl = _as_points(pred_landmarks, "pred_landmarks", n=NUM_LANDMARKS)
    gl = _as_points(gt_landmarks, "gt_landmarks", n=NUM_LANDMARKS)
    if (pred_dense is None) != (gt_dense is None):
        missing = "gt_dense" if gt_dense is None else "pred_dense"
        raise ValueError(f"{missing}: required when the other dense point set is given")
    dense: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None
    if pred_dense is not None and gt_dense is not None:
        pd = _as_points(pred_dense, "pred_dense", dims=(3,))
        gd = _as_points(gt_dense, "gt_dense", dims=(3,))
        _check_pair(pd, gd, "pred_dense", "gt_dense")
        dense = (pd, gd)

    norm = bbox_size(gl)
    out: dict[str, float] = {"nme_2d_sparse": nme_2d(pl, gl, norm)}
    if pl.shape[1] == 3 and gl.shape[1] == 3:
        out["nme_3d_sparse"] = nme_3d(pl, gl, norm)
    if dense is not None:
        pd, gd = dense
        out["nme_2d_dense"] = nme_2d(pd, gd, norm)
        out["nme_3d_dense"] = nme_3d(pd, gd, norm)
        out["recon_3d"] = reconstruction_error(pd, gd, gl)
    return out
