"""Shared fixtures: the data directory (``$LPRNET_DATA``), the face model and its UV layouts.

Tests that use these fixtures mark their module with ``pytestmark = pytest.mark.data``; without a
data directory they are skipped, not failed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``$LPRNET_DATA``, else ``<repo>/../shared/data``; skipped without it (failed in CI)."""
    raw = os.environ.get("LPRNET_DATA")
    path = Path(raw).expanduser() if raw else REPO.parent / "shared" / "data"
    if path.is_dir():
        return path.resolve()
    why = f"LPRNET_DATA={raw} is not a directory" if raw else "no face-model data"
    if os.environ.get("LPRNET_REQUIRE_DATA"):  # CI: a missing data directory is a failure
        pytest.fail(f"{why}; set LPRNET_DATA to the shared data directory")
    pytest.skip(f"{why}; set LPRNET_DATA to the shared data directory")


@pytest.fixture(scope="session")
def face_model(data_dir):
    from lprnet.geometry.bfm import load_face_model

    return load_face_model(str(data_dir))


@pytest.fixture(scope="session")
def layout256(face_model):
    from lprnet.geometry.uv import uv_layout

    return uv_layout(face_model, 256)


@pytest.fixture(scope="session")
def layout128(face_model):
    from lprnet.geometry.uv import uv_layout

    return uv_layout(face_model, 128)


@pytest.fixture(scope="session")
def aflw_samples(data_dir) -> list[tuple[str, Path, Path]]:
    """``(name, image_path, mat_path)`` of every AFLW2000-3D sample in ``samples/aflw2000``."""
    folder = data_dir / "samples" / "aflw2000"
    samples = [
        (mat.stem, mat.with_suffix(".jpg"), mat)
        for mat in sorted(folder.glob("*.mat"))
        if mat.with_suffix(".jpg").is_file()
    ]
    if not samples:
        pytest.skip(f"no AFLW2000-3D samples (.jpg + .mat) in {folder}")
    return samples


@pytest.fixture(scope="session")
def shards128(data_dir: Path, tmp_path_factory) -> Path:
    """Shards (128 px) of the four AFLW2000-3D samples: a tiny training set."""
    from lprnet.data.build import build_shards

    out = tmp_path_factory.mktemp("shards128")
    build_shards(
        "aflw2000",
        data_dir / "samples" / "aflw2000",
        out,
        size=128,
        workers=0,
        data_dir=str(data_dir),
        progress=False,
    )
    return out
