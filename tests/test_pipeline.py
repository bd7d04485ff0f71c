"""Input pipeline: weighted sources, shapes and ranges, determinism, resizing; contact sheet."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from lprnet.data import shards
from lprnet.data.build import build_shards
from lprnet.data.pipeline import count_examples, make_dataset, resize_example
from lprnet.data.preview import CAPTION_HEIGHT, contact_sheet
from lprnet.errors import DataFormatError, LprnetError
from lprnet.geometry.posmap import landmarks
from lprnet.tfenv import tf

pytestmark = pytest.mark.data


def _build(data_dir: Path, out: Path, source: str, folder: str, size: int, shard_size: int):
    build_shards(
        source,
        data_dir / "samples" / folder,
        out,
        size=size,
        shard_size=shard_size,
        workers=0,
        data_dir=str(data_dir),
        progress=False,
    )
    return out


@pytest.fixture(scope="module")
def shard_dirs(data_dir: Path, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("shards")
    return {
        "aflw128": _build(data_dir, root / "aflw128", "aflw2000", "aflw2000", 128, 2),
        "lp128": _build(data_dir, root / "lp128", "300wlp", "300w-lp", 128, 10),
        "aflw256": _build(data_dir, root / "aflw256", "aflw2000", "aflw2000", 256, 10),
    }


def _batches(ds, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(a.numpy(), b.numpy()) for a, b in ds.take(k)]


def test_count_examples(shard_dirs) -> None:
    assert count_examples(shard_dirs["aflw128"]) == 4
    assert count_examples([(shard_dirs["aflw128"], 1.0), (shard_dirs["lp128"], 3.0)]) == 5
    first = sorted(shard_dirs["aflw128"].glob("*.tfrecord"))[0]
    assert count_examples([first]) == 2


def test_a_part_built_folder_is_refused(shard_dirs, tmp_path: Path) -> None:
    part = tmp_path / "part"
    shutil.copytree(shard_dirs["aflw128"], part)
    index = json.loads((part / "index.json").read_text())
    (part / "index.json").write_text(json.dumps({**index, "complete": False}))
    with pytest.raises(DataFormatError, match="index.json: build not complete"):
        count_examples(part)
    with pytest.raises(DataFormatError, match="build not complete"):
        make_dataset([(part, 1.0)], batch_size=2, augment=False, seed=0)
    first = sorted(part.glob("*.tfrecord"))[0]  # a file named on its own is still read
    assert count_examples([first]) == 2


def test_batches_shapes_dtypes_and_ranges(shard_dirs) -> None:
    sources = [(shard_dirs["aflw128"], 1.0), (shard_dirs["lp128"], 1.0)]
    for augment in (False, True):
        ds = make_dataset(sources, batch_size=3, augment=augment, seed=3)
        assert ds.element_spec[0].shape.as_list() == [3, 128, 128, 3]
        for image, target in _batches(ds, 2):
            assert image.shape == target.shape == (3, 128, 128, 3)
            assert image.dtype == target.dtype == np.float32
            assert image.min() >= 0.0 and image.max() <= 1.0 and image.max() > 0.5
            assert np.isfinite(target).all()
            face = np.any(target != 0, -1)
            assert face.mean() > 0.3  # the UV face region is filled
            assert 0.1 < np.median(target[face][:, :2]) < 0.9  # x, y / (128 * 1.1)
            if not augment:
                assert target.min() >= 0.0 and target.max() <= 1.0


def test_unaugmented_examples_match_the_shards(shard_dirs) -> None:
    ds = make_dataset(
        shard_dirs["aflw256"], batch_size=4, augment=False, shuffle_buffer=0, repeat=False
    )
    ((image, target),) = _batches(ds, 1)
    for k, ex in enumerate(shards.read_shards(shard_dirs["aflw256"])):
        np.testing.assert_array_equal(image[k], ex["image"] / np.float32(255))
        np.testing.assert_allclose(target[k] * 256 * 1.1, ex["posmap"], atol=1e-3)


def test_sources_are_mixed_by_weight(shard_dirs) -> None:
    lp = next(shards.read_shards(shard_dirs["lp128"]))["posmap"] / (128 * 1.1)
    ds = make_dataset(
        [(shard_dirs["aflw128"], 1.0), (shard_dirs["lp128"], 3.0)],
        batch_size=20,
        augment=False,
        seed=5,
    )
    targets = np.concatenate([t for _, t in _batches(ds, 10)])
    share = np.mean([np.abs(t - lp).max() < 1e-6 for t in targets])
    assert 0.65 < share < 0.85  # weight 3 of 4; 200 draws: sd ~0.03


def test_same_seed_same_batches(shard_dirs) -> None:
    sources = [(shard_dirs["aflw128"], 1.0), (shard_dirs["lp128"], 0.5)]
    a = _batches(make_dataset(sources, batch_size=4, seed=11), 2)
    b = _batches(make_dataset(sources, batch_size=4, seed=11), 2)
    c = _batches(make_dataset(sources, batch_size=4, seed=12), 2)
    for (ia, ta), (ib, tb) in zip(a, b, strict=True):
        np.testing.assert_array_equal(ia, ib)
        np.testing.assert_array_equal(ta, tb)
    assert not np.array_equal(a[0][0], c[0][0])


def test_resized_256_shards_keep_landmarks(shard_dirs, layout128, layout256) -> None:
    ds = make_dataset(
        shard_dirs["aflw256"],
        batch_size=4,
        size=128,
        augment=False,
        shuffle_buffer=0,
        repeat=False,
    )
    assert ds.element_spec[0].shape.as_list() == [None, 128, 128, 3]
    ((image, target),) = _batches(ds, 1)
    originals = list(shards.read_shards(shard_dirs["aflw256"]))
    native = list(shards.read_shards(shard_dirs["aflw128"]))  # the same faces built at 128
    assert len(originals) == len(native) == len(image) == 4
    for k, ex in enumerate(originals):
        small = landmarks(target[k] * 128 * 1.1, layout128)
        big = landmarks(ex["posmap"], layout256)
        # half the 256 landmarks, up to the keypoints' UV pixel rounding at 128 vs 256
        err = np.linalg.norm(small[:, :2] - big[:, :2] / 2, axis=1)
        assert err.max() < 1.5 and err.mean() < 0.7, (err.mean(), err.max())
        np.testing.assert_allclose(small[:, 2], big[:, 2] / 2, atol=1.5)
        # and what a 128 build of the same face gives, to a fraction of a pixel
        ref = landmarks(native[k]["posmap"], layout128)
        assert np.linalg.norm(small[:, :2] - ref[:, :2], axis=1).max() < 0.4
        np.testing.assert_allclose(small[:, 2], ref[:, 2], atol=0.6)  # z: 1/2 vs 127/255
        area = cv2.resize(ex["image"], (128, 128), interpolation=cv2.INTER_AREA) / 255.0
        assert np.abs(image[k] - area).max() < 2.5 / 255
        # the resized face region has no holes or zero-blended border values
        face = layout128.face_mask
        assert np.all(np.any(target[k][face] != 0, -1))


def test_mixed_sizes_need_a_size(shard_dirs) -> None:
    sources = [shard_dirs["aflw128"], shard_dirs["aflw256"]]
    with pytest.raises(LprnetError, match="different sizes"):
        make_dataset(sources)
    ds = make_dataset(sources, size=128, batch_size=8, seed=0)
    image, target = _batches(ds, 1)[0]
    assert image.shape == target.shape == (8, 128, 128, 3)


def test_resize_example_is_consistent_on_a_linear_posmap() -> None:
    """Resizing a coordinate-coded crop: its posmap keeps pointing at the same content."""
    n, m = 64, 32
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    image = np.stack([xx, yy, np.zeros_like(xx)], -1)  # the image shows its own coordinates
    posmap = np.stack([xx, yy, np.full_like(xx, 8.0)], -1)
    small_image, small_posmap = (t.numpy() for t in resize_example(image, posmap, m))
    from lprnet.geometry.posmap import sample_bilinear

    pts = small_posmap.reshape(-1, 3)
    inner = np.all((pts[:, :2] > 1) & (pts[:, :2] < m - 2), 1)
    seen = sample_bilinear(small_image, pts[inner, :2])[:, :2]
    expected = np.stack(np.meshgrid(np.arange(m), np.arange(m)), -1).reshape(-1, 2)
    expected = expected[inner] * (n - 1) / (m - 1)  # corner-aligned UV resampling
    assert np.abs(seen - expected).max() < 0.05
    np.testing.assert_allclose(small_posmap[..., 2], 4.0, atol=1e-5)


def test_bad_sources(tmp_path: Path, shard_dirs) -> None:
    with pytest.raises(LprnetError, match="does not exist"):
        make_dataset(tmp_path / "missing")
    with pytest.raises(LprnetError, match="weight"):
        make_dataset([(shard_dirs["aflw128"], -1.0)])


def test_contact_sheet(shard_dirs, data_dir: Path, tmp_path: Path) -> None:
    out = contact_sheet(
        shard_dirs["aflw128"], tmp_path / "a" / "sheet.png", count=3, columns=2, data_dir=data_dir
    )
    sheet = cv2.imread(str(out))
    assert sheet.shape == (2 * (128 + CAPTION_HEIGHT), 2 * 128, 3)
    assert sheet[:128, :128].std() > 10  # a face, not a blank tile
    assert sheet[128 + CAPTION_HEIGHT :, 128:].max() == 0  # the missing fourth tile is empty
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["sheet.png"]
    aug = contact_sheet(
        shard_dirs["aflw256"], tmp_path / "b.png", count=16, augment=True, seed=1, data_dir=data_dir
    )
    assert cv2.imread(str(aug)).shape == (256 + CAPTION_HEIGHT, 4 * 256, 3)


def test_element_seeds_are_independent_of_parallelism(shard_dirs) -> None:
    kw = dict(batch_size=4, seed=2)
    serial = _batches(make_dataset(shard_dirs["aflw128"], num_parallel_calls=1, **kw), 2)
    parallel = _batches(make_dataset(shard_dirs["aflw128"], num_parallel_calls=4, **kw), 2)
    for (a, _), (b, _) in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a, b)
    assert tf.executing_eagerly()
