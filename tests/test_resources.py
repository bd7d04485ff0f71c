"""Packaged resources: UV tables equal the data directory's; the embedded set is complete."""

from __future__ import annotations

import numpy as np
import pytest

from lprnet import metrics
from lprnet.data.embedded import EMBEDDED, load_embedded_set, resample_posmap
from lprnet.geometry import posmap as pm
from lprnet.geometry.uv_tables import FIELDS, RESOURCES, read_tables, tables_of


def test_resample_posmap_keeps_uv_coordinates() -> None:
    n, m = 9, 5
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    pos = np.stack([xx / (n - 1), yy / (n - 1), xx * 0 + 7], -1)  # value = UV coordinate
    out = resample_posmap(pos, m)
    gy, gx = np.mgrid[0:m, 0:m] / (m - 1)
    np.testing.assert_allclose(out[..., 0], gx, atol=1e-6)
    np.testing.assert_allclose(out[..., 1], gy, atol=1e-6)
    np.testing.assert_allclose(resample_posmap(pos, n), pos, atol=1e-6)


@pytest.mark.data
@pytest.mark.parametrize("n", [32, 128, 256])
def test_shipped_uv_tables_equal_the_data_directory(n, face_model) -> None:
    from lprnet.geometry.uv import uv_layout

    shipped = read_tables(RESOURCES / f"uv-{n}.npz")
    fresh = tables_of(uv_layout(face_model, n))
    for field in FIELDS:
        np.testing.assert_allclose(
            getattr(shipped, field),
            getattr(fresh, field),
            rtol=1e-6,
            err_msg=f"uv-{n}.npz {field} is stale: run lprnet uv-tables",
        )


@pytest.mark.data
def test_posmap_reading_is_the_same_with_tables(layout128) -> None:
    tables = read_tables(RESOURCES / "uv-128.npz")
    rng = np.random.default_rng(0)
    pos = pm.render_posmap(
        layout128.model.mean.reshape(-1, 3) * 1e-3
        + rng.normal(size=(layout128.model.n_vertices, 3)),
        layout128,
    )
    np.testing.assert_array_equal(pm.landmarks(pos, tables), pm.landmarks(pos, layout128))
    np.testing.assert_array_equal(pm.face_points(pos, tables), pm.face_points(pos, layout128))
    np.testing.assert_allclose(pm.head_pose(pos, tables), pm.head_pose(pos, layout128), atol=1e-4)


@pytest.mark.skipif(not EMBEDDED.is_file(), reason="embedded set not built yet")
def test_embedded_set_is_complete() -> None:
    s = load_embedded_set()
    assert 200 <= len(s) <= 400
    assert s.landmarks.shape == (len(s), 68, 3) and s.dense.shape == (len(s), 32, 32, 3)
    counts = np.bincount(metrics.yaw_bin(s.yaw), minlength=3)
    assert (counts >= 20).all(), counts  # every yaw bin is represented
    assert set(s.sources) == {"synth", "profile"}
    img = s.image(0)
    assert img.shape == (256, 256, 3) and img.dtype == np.uint8
    assert ((s.landmarks[..., :2] > -5) & (s.landmarks[..., :2] < 261)).all()
