"""Flip test: the mirror map matches training's, and the averaged network is mirror-consistent."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lprnet.geometry.posmap import mirror_posmap
from lprnet.inference.flip_test import FlipTest
from lprnet.io_contract import POSMAP_SCALE

N = 16


class _Affine:
    """A deliberately not mirror-consistent stand-in for a network: a fixed random linear map
    of the crop plus a bias, per pixel."""

    resolution, name, format = N, "affine", "keras"

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.w = rng.normal(0.0, 0.1, (3, 3)).astype(np.float32)
        self.b = rng.uniform(0.2, 0.8, (N, N, 3)).astype(np.float32)
        self.calls = 0

    def predict(self, batch: np.ndarray) -> np.ndarray:
        self.calls += 1
        return batch @ self.w + self.b


def test_mirror_posmap_is_the_training_mirror_and_an_involution() -> None:
    from lprnet.data.augment import mirror
    from lprnet.tfenv import tf

    rng = np.random.default_rng(1)
    pos = rng.uniform(1.0, N - 2.0, (N, N, 3)).astype(np.float32)  # crop pixels, none zero
    image = rng.uniform(0, 1, (N, N, 3)).astype(np.float32)
    _, trained = mirror(tf.constant(image), tf.constant(pos))
    np.testing.assert_allclose(mirror_posmap(pos, N - 1), trained.numpy(), atol=1e-5)
    np.testing.assert_allclose(mirror_posmap(mirror_posmap(pos, 7.0), 7.0), pos, atol=1e-5)
    batch = np.stack([pos, pos + 1])  # leading axes are kept
    np.testing.assert_allclose(mirror_posmap(batch, 7.0)[1], mirror_posmap(pos + 1, 7.0))


def test_flip_test_averages_two_runs_and_is_mirror_consistent() -> None:
    net = _Affine()
    flip = FlipTest(net)
    assert (flip.resolution, flip.format, flip.name) == (N, "keras", "affine+flip")
    x = np.random.default_rng(2).uniform(0, 1, (2, N, N, 3)).astype(np.float32)
    width = (N - 1) / (N * POSMAP_SCALE)
    out = flip.predict(x)
    assert net.calls == 2 and out.shape == x.shape
    expected = 0.5 * (net.predict(x) + mirror_posmap(net.predict(x[:, :, ::-1]), width))
    np.testing.assert_allclose(out, expected, atol=1e-6)
    # the network alone does not predict the mirror image's posmap; the average does, exactly
    direct = net.predict(x[:, :, ::-1])
    assert np.abs(direct - mirror_posmap(net.predict(x), width)).max() > 0.05
    np.testing.assert_allclose(flip.predict(x[:, :, ::-1]), mirror_posmap(out, width), atol=1e-5)


@pytest.mark.data
def test_eval_and_predict_take_flip_test(capsys, data_dir: Path, tmp_path: Path) -> None:
    from lprnet.cli import main
    from lprnet.errors import LprnetError
    from lprnet.predictors import load_predictor

    aflw = str(data_dir / "samples" / "aflw2000")
    args = ["eval", "--model", "lprnet_128", "--data", "aflw2000", aflw, "--data-dir"]
    out = tmp_path / "flip.json"
    assert main([*args, str(data_dir), "--flip-test", "--json", str(out)]) == 0
    assert "lprnet_128 (flip test) on aflw2000" in capsys.readouterr().out
    result = json.loads(out.read_text())
    assert result["model"] == "lprnet_128 (flip test)" and result["images"] == 4
    with pytest.raises(LprnetError, match="bfm-fit"):
        load_predictor("bfm-fit", None, flip_test=True)
    photo = sorted((data_dir / "samples" / "aflw2000").glob("*.jpg"))[0]
    rc = main(
        ["predict", str(photo), "--out", str(tmp_path / "p"), "--flip-test", "--mesh", "none"]
    )
    assert rc == 0 and "face(s)" in capsys.readouterr().out
