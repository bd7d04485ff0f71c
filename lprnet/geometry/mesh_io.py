"""Write meshes as Wavefront OBJ or binary PLY (atomically)."""

from __future__ import annotations

import os

import numpy as np

from lprnet.fileio import atomic_open


def _check(vertices: np.ndarray, triangles: np.ndarray, colors: np.ndarray | None):
    v = np.asarray(vertices, np.float64)
    t = np.asarray(triangles, np.int64)
    if v.ndim != 2 or v.shape[1] != 3:
        raise ValueError(f"vertices: expected shape (N, 3), got {v.shape}")
    if t.ndim != 2 or t.shape[1] != 3 or (t.size and (t.min() < 0 or t.max() >= len(v))):
        raise ValueError(f"triangles: expected (T, 3) indices in [0, {len(v)}), got {t.shape}")
    c = None
    if colors is not None:
        c = np.asarray(colors, np.float64)
        if c.shape != v.shape:
            raise ValueError(f"colors: expected shape {v.shape} (RGB in [0, 1]), got {c.shape}")
        c = np.clip(c, 0.0, 1.0)
    return v, t, c


def write_obj(
    path: str | os.PathLike,
    vertices: np.ndarray,
    triangles: np.ndarray,
    colors: np.ndarray | None = None,
) -> None:
    """Write an OBJ with optional per-vertex RGB colours (``v x y z r g b``, colours in [0, 1]).

    Parameters
    ----------
    vertices : (N, 3) array
    triangles : (T, 3) int array, 0-based
    colors : (N, 3) array in [0, 1], optional
    """
    v, t, c = _check(vertices, triangles, colors)
    rows = np.hstack([v, c]) if c is not None else v
    fmt = " ".join(["%.4f"] * rows.shape[1])
    with atomic_open(path, "w") as f:
        f.write("# lprnet mesh\n")
        np.savetxt(f, rows, fmt="v " + fmt)
        np.savetxt(f, t + 1, fmt="f %d %d %d")


def write_ply(
    path: str | os.PathLike,
    vertices: np.ndarray,
    triangles: np.ndarray,
    colors: np.ndarray | None = None,
) -> None:
    """Write a binary little-endian PLY with optional uint8 vertex colours (input in [0, 1])."""
    v, t, c = _check(vertices, triangles, colors)
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4")]
    if c is not None:
        fields += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
    vert = np.zeros(len(v), dtype=fields)
    vert["x"], vert["y"], vert["z"] = v.T
    if c is not None:
        rgb = np.round(c * 255).astype(np.uint8)
        vert["red"], vert["green"], vert["blue"] = rgb.T
    faces = np.zeros(len(t), dtype=[("n", "u1"), ("i", "<i4", (3,))])
    faces["n"] = 3
    faces["i"] = t
    props = "".join(
        f"property {'float' if dt == '<f4' else 'uchar'} {name}\n" for name, dt in fields
    )
    header = (
        "ply\nformat binary_little_endian 1.0\ncomment lprnet mesh\n"
        f"element vertex {len(v)}\n{props}"
        f"element face {len(t)}\nproperty list uchar int vertex_indices\nend_header\n"
    )
    with atomic_open(path, "wb") as f:
        f.write(header.encode("ascii"))
        f.write(vert.tobytes())
        f.write(faces.tobytes())
