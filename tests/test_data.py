"""Readers, samples, shards (bit-exact, deterministic, resumable, corrupt input) and eval."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.io as sio

from lprnet import metrics
from lprnet.data import shards
from lprnet.data.annotations import read_params
from lprnet.data.build import build_shards
from lprnet.data.datasets import find_300wlp, find_aflw2000
from lprnet.data.samples import make_sample, read_image_rgb
from lprnet.data.verify import verify_shards
from lprnet.errors import DataFormatError, LprnetError
from lprnet.evaluation import (
    aflw2000_benchmark,
    aflw2000_faces,
    evaluate,
    fit_reference,
    format_table,
)
from lprnet.geometry.uv import uv_layout

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def aflw_dir(data_dir: Path) -> Path:
    return data_dir / "samples" / "aflw2000"


def _link_samples(src: Path, dst: Path, names: list[str]) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for name in names:
        for suffix in (".jpg", ".mat"):
            os.symlink((src / f"{name}{suffix}").resolve(), dst / f"{name}{suffix}")


def test_read_params_fields(aflw_dir: Path, tmp_path: Path) -> None:
    p = read_params(aflw_dir / "image00050.mat")
    assert p.pose.shape == (7,) and p.shape.shape == (199,) and p.expression.shape == (29,)
    assert p.pt3d_68.shape == (68, 3)
    bad = tmp_path / "bad.mat"
    sio.savemat(bad, {"Shape_Para": np.zeros((199, 1)), "Exp_Para": np.zeros((29, 1))})
    with pytest.raises(DataFormatError, match=r"bad\.mat: missing field 'Pose_Para'"):
        read_params(bad)
    sio.savemat(bad, {"Pose_Para": np.zeros((1, 5)), "Shape_Para": 0, "Exp_Para": 0})
    with pytest.raises(DataFormatError, match="'Pose_Para' must have 7 values"):
        read_params(bad)
    bad.write_bytes(b"MATLAB 5.0 MAT-file, truncated")
    with pytest.raises(DataFormatError, match="not a readable .mat file"):
        read_params(bad)


def test_find_300wlp_layout(data_dir: Path, tmp_path: Path) -> None:
    src = data_dir / "samples" / "300w-lp"
    root = tmp_path / "300W_LP"
    _link_samples(src, root / "IBUG", ["IBUG_image_008_1_0"])
    _link_samples(src, root / "IBUG_Flip", ["IBUG_image_008_1_0"])
    (root / "landmarks" / "IBUG").mkdir(parents=True)
    os.symlink((src / "IBUG_image_008_1_0.jpg").resolve(), root / "landmarks" / "IBUG" / "x.jpg")
    names = [r.name for r in find_300wlp(root)]
    assert names == ["IBUG/IBUG_image_008_1_0", "IBUG_Flip/IBUG_image_008_1_0"]
    with pytest.raises(LprnetError, match="no images"):
        find_aflw2000(tmp_path / "300W_LP" / "landmarks")


@pytest.mark.parametrize(
    ("source", "folder", "names"),
    [
        ("aflw2000", "aflw2000", ["image00050", "image00081", "image00251", "image00430"]),
        ("300wlp", "300w-lp", ["IBUG_image_008_1_0"]),
    ],
)
def test_shards_read_back_bit_exact(source, folder, names, tmp_path, face_model, data_dir) -> None:
    src = data_dir / "samples" / folder
    index = build_shards(
        source,
        src,
        tmp_path / "s",
        size=128,
        shard_size=3,
        workers=0,
        data_dir=str(data_dir),
        progress=False,
    )
    assert index["complete"] and index["count"] == len(names)
    layout = uv_layout(face_model, 128)
    read = list(shards.read_shards(tmp_path / "s"))
    assert [r["name"].decode() for r in read] == names
    for ex in read:
        name = ex["name"].decode()
        assert ex["source"].decode() == source
        ref = make_sample(
            read_image_rgb(src / f"{name}.jpg"),
            read_params(src / f"{name}.mat"),
            face_model,
            layout,
            name,
        )
        np.testing.assert_array_equal(ex["image"], ref.image)
        np.testing.assert_array_equal(ex["posmap_uint16"], shards.posmap_to_uint16(ref.posmap))
        np.testing.assert_array_equal(ex["landmarks"], ref.landmarks)
        # decoded float posmap is within half a quantisation step of the rendered one
        step = 128 * 1.1 / 65535
        assert np.abs(ex["posmap"] - ref.posmap).max() <= step / 2 + 1e-4
        assert np.allclose(ex["crop_matrix"], ref.crop_matrix, rtol=1e-6)
    assert verify_shards(tmp_path / "s") == {"shards": len(index["shards"]), "count": len(names)}


def test_build_is_deterministic_and_resumes_after_kill(aflw_dir, tmp_path, data_dir) -> None:
    kw = dict(size=128, shard_size=2, workers=0, data_dir=str(data_dir), progress=False)
    clean = build_shards("aflw2000", aflw_dir, tmp_path / "a", **kw)

    class Killed(KeyboardInterrupt):
        pass

    done = []

    def dying_map(fn, items):
        for item in items:
            if len(done) == 3:  # killed in the middle of the second shard
                raise Killed
            done.append(item)
            yield fn(item)

    with pytest.raises(Killed):
        build_shards("aflw2000", aflw_dir, tmp_path / "b", map_fn=dying_map, **kw)
    partial = json.loads((tmp_path / "b" / "index.json").read_text())
    assert not partial["complete"] and len(partial["shards"]) == 1
    assert not list((tmp_path / "b").glob("*.tmp"))
    resumed = build_shards("aflw2000", aflw_dir, tmp_path / "b", **kw)
    assert [s["sha256"] for s in resumed["shards"]] == [s["sha256"] for s in clean["shards"]]
    # a different configuration in the same folder is refused, not mixed in
    with pytest.raises(LprnetError, match="size=128"):
        build_shards("aflw2000", aflw_dir, tmp_path / "b", **{**kw, "size": 256})


def test_build_skips_and_lists_corrupt_files(aflw_dir, tmp_path, data_dir) -> None:
    root = tmp_path / "aflw"
    _link_samples(aflw_dir, root, ["image00050", "image00081"])
    (root / "image00100.jpg").write_bytes((aflw_dir / "image00251.jpg").read_bytes()[:300])
    os.symlink((aflw_dir / "image00251.mat").resolve(), root / "image00100.mat")
    os.symlink((aflw_dir / "image00430.jpg").resolve(), root / "image00200.jpg")  # no .mat
    (root / "image00300.jpg").write_bytes(b"")
    sio.savemat(root / "image00300.mat", {"x": 1})
    index = build_shards(
        "aflw2000",
        root,
        tmp_path / "s",
        size=128,
        workers=0,
        data_dir=str(data_dir),
        progress=False,
    )
    assert index["count"] == 2
    skipped = {s["name"]: s["error"] for s in index["skipped"]}
    assert set(skipped) == {"image00100", "image00200", "image00300"}
    assert "not a readable image" in skipped["image00100"]
    assert "annotation file missing" in skipped["image00200"]


@pytest.mark.slow
def test_parallel_build_matches_serial(aflw_dir, tmp_path, data_dir) -> None:
    kw = dict(size=128, shard_size=2, data_dir=str(data_dir), progress=False)
    serial = build_shards("aflw2000", aflw_dir, tmp_path / "a", workers=0, **kw)
    parallel = build_shards("aflw2000", aflw_dir, tmp_path / "b", workers=2, **kw)
    assert [s["sha256"] for s in serial["shards"]] == [s["sha256"] for s in parallel["shards"]]


def test_verify_detects_corruption(aflw_dir, tmp_path, data_dir) -> None:
    build_shards(
        "aflw2000",
        aflw_dir,
        tmp_path / "s",
        size=128,
        workers=0,
        data_dir=str(data_dir),
        progress=False,
    )
    shard = next((tmp_path / "s").glob("*.tfrecord"))
    raw = bytearray(shard.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    shard.write_bytes(bytes(raw))
    with pytest.raises(DataFormatError, match="sha256 differs"):
        verify_shards(tmp_path / "s")


def test_aflw2000_ground_truth_sources_agree(aflw_dir, data_dir) -> None:
    gt = data_dir / "aflw2000-3d-gt"
    from_mat = aflw2000_faces(aflw_dir)
    from_npy = aflw2000_faces(
        aflw_dir, pts68=gt / "AFLW2000-3D.pts68.npy", pose=gt / "AFLW2000-3D-new.pose.npy"
    )
    for a, b in zip(from_mat, from_npy, strict=True):
        np.testing.assert_allclose(a.gt_landmarks, b.gt_landmarks, atol=1e-4)
        assert abs(abs(a.yaw) - abs(b.yaw)) < 5.0  # two pose estimates of the same face


def test_yaw_bins_of_aflw2000_new_pose(data_dir) -> None:
    yaw = np.load(data_dir / "aflw2000-3d-gt" / "AFLW2000-3D-new.pose.npy")
    assert np.bincount(metrics.yaw_bin(yaw), minlength=3).tolist() == [1306, 462, 232]


def test_eval_fit_reference_within_truncation(aflw_dir, face_model) -> None:
    result = evaluate(
        aflw2000_faces(aflw_dir), fit_reference(face_model, 256), face_model, progress=False
    )
    s = result["summary"]["nme_2d_sparse"]
    # the four samples have no |yaw| > 60 image: the protocol mean is undefined
    assert s["count"] == 4 and not s["defined"] and np.isnan(s["mean"])
    assert 0.3 < s["mean_present_bins"] < 1.5  # percent: the 40/10 truncation
    assert "nme_2d_dense" not in result["summary"]  # vacuous for the reference
    table = format_table(result, references=True)
    assert "undefined" in table and "a yaw bin has no image" in table
    assert "published: PRNet (Feng et al., ECCV 2018)" in table and "3.62" in table


def test_eval_survives_odd_mat_files_and_lists_them(aflw_dir, data_dir, face_model, tmp_path):
    """A negative Pose_Para scale (image04157 of AFLW2000-3D) keeps the image on its pt3d_68;
    an unreadable .mat or one without pt3d_68 is skipped and listed; nothing aborts."""
    names = ["image00050", "image00081", "image00251", "image00430"]
    folder = tmp_path / "aflw"
    folder.mkdir()
    for name in names:
        (folder / f"{name}.jpg").symlink_to((aflw_dir / f"{name}.jpg").resolve())
    mats = {n: sio.loadmat(aflw_dir / f"{n}.mat") for n in names}
    mats["image00050"]["Pose_Para"][0, 6] *= -1  # negative scale
    del mats["image00081"]["pt3d_68"]
    for n in ("image00050", "image00081", "image00430"):
        sio.savemat(
            folder / f"{n}.mat", {k: v for k, v in mats[n].items() if not k.startswith("__")}
        )
    (folder / "image00251.mat").write_bytes(b"not a mat file")
    skipped: list[str] = []
    faces = aflw2000_faces(folder, skipped=skipped)
    assert [f.name for f in faces] == ["image00050", "image00430"]
    assert faces[0].params is None  # unusable fit, kept on its landmarks
    np.testing.assert_allclose(
        faces[0].gt_landmarks, read_params(aflw_dir / "image00050.mat").pt3d_68
    )
    assert len(skipped) == 2
    assert any("image00081" in s and "pt3d_68" in s for s in skipped)
    assert any("image00251" in s and "not a readable .mat" in s for s in skipped)
    # with the protocol's npy ground truth the rows are found from the files' pt3d_68
    faces = aflw2000_benchmark(folder, data_dir, skipped=[])
    assert [f.name for f in faces] == ["image00050", "image00430"]
    # bfm-fit needs the parameters: that image is listed, the rest is scored
    result = evaluate(faces, fit_reference(face_model, 256), face_model, progress=False)
    assert result["images"] == 1 and "image00050" in result["skipped"][0]
    # a network has dense output for every image; dense truth exists only with parameters
    from lprnet.evaluation import Prediction, dense_ground_truth

    def net(face):
        dense = dense_ground_truth(faces[1], face_model, 64)
        return Prediction(face.gt_landmarks + 1.0, dense, 64)

    result = evaluate(faces, net, face_model, progress=False)
    assert result["summary"]["nme_2d_sparse"]["count"] == 2
    assert result["summary"]["nme_3d_dense"]["count"] == 1
