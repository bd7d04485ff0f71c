"""Accuracy of every subject on the same faces, and its drift against the two references.

Drift is measured on the mean 2D sparse NME (the AFLW2000-3D protocol's headline number) and
reported absolute (NME points) and relative (fraction of the reference's NME), against the float
L-PRNet and against the full PRNet.
"""

from __future__ import annotations

from typing import Any

from tqdm import tqdm

HEADLINE = "nme_2d_sparse"


def evaluate_subjects(
    subjects, faces_by_set: dict[str, list], face_model=None, progress: bool = True
) -> dict[str, dict[str, Any]]:
    """``result[key][set]`` = compact summary (:func:`lprnet.evaluation.compact_summary`),
    or ``result[key] = {"error": message}`` for a subject that could not be evaluated (the
    others still are).

    Untrained stand-ins are skipped (their accuracy means nothing).
    """
    from export.runtime import load_artifact
    from lprnet.evaluation import compact_summary, evaluate
    from lprnet.predictors import network_predictor

    out: dict[str, dict[str, Any]] = {}
    by_path: dict[str, dict[str, Any]] = {}  # TF.js rows of one folder share its weights
    todo = [s for s in subjects if s.trained]
    for s in tqdm(todo, desc="accuracy", unit="model", disable=not progress):
        if str(s.path) not in by_path:
            # a TF.js folder: its graph and decoded weights in TensorFlow, batch 1 in-process
            # (export parity measures it within 0.002 px of TF.js-wasm; a Node process per
            # face would take minutes)
            try:
                predictor = network_predictor(load_artifact(s.path, tfjs_runtime="tensorflow"))
                by_path[str(s.path)] = {
                    name: compact_summary(
                        evaluate(
                            faces,
                            predictor,
                            face_model if name != "embedded" else None,
                            progress=False,
                        )
                    )
                    for name, faces in faces_by_set.items()
                }
            except Exception as exc:  # one broken subject is a failed row, not a lost report
                by_path[str(s.path)] = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
        out[s.key] = by_path[str(s.path)]
    return out


def drift(nme: float | None, reference: float | None) -> dict[str, float] | None:
    """``{"abs": nme - ref, "rel": (nme - ref) / ref}`` or None when either is missing."""
    if nme is None or reference is None or reference == 0:
        return None
    return {"abs": nme - reference, "rel": (nme - reference) / reference}


def headline(acc: dict[str, Any] | None, dataset: str) -> float | None:
    """The mean 2D sparse NME (%) of one subject on one set, if measured."""
    try:
        return float(acc[dataset][HEADLINE]["mean"])
    except (KeyError, TypeError):
        return None
