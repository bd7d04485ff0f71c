"""The 300W layout reader, the 68-point mirror, 300W profiling at +-90 degrees and with flips."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from lprnet.data.w300 import FLIP_68, SUBSETS, find_300w, flip_landmarks, subset_of
from lprnet.errors import LprnetError


def _pts_text(points: np.ndarray) -> str:
    rows = "\n".join(f"{x + 1:.3f} {y + 1:.3f}" for x, y in points)  # iBUG files are 1-based
    return f"version: 1\nn_points: {len(points)}\n{{\n{rows}\n}}\n"


def _face_points(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(20, 80, (68, 2))


@pytest.fixture()
def fake_300w(tmp_path: Path) -> Path:
    """Every 300W subset folder with two faces each, plus odd files the reader must skip."""
    rng = np.random.default_rng(0)
    img = np.zeros((100, 100, 3), np.uint8)
    for subset in SUBSETS:
        folder = tmp_path / subset
        folder.mkdir(parents=True)
        suffix = ".png" if subset.startswith("lfpw") else ".jpg"  # as the download has them
        for k in range(2):
            cv2.imwrite(str(folder / f"img_{k}{suffix}"), img)
            (folder / f"img_{k}.pts").write_text(_pts_text(_face_points(rng)))
    (tmp_path / "afw" / "lonely.pts").write_text(_pts_text(_face_points(rng)))  # no image
    cv2.imwrite(str(tmp_path / "ibug" / "broken.jpg"), img)
    (tmp_path / "ibug" / "broken.pts").write_text("version: 1\nn_points: 68\n{\n1 2\n}\n")
    (tmp_path / "helen" / "trainset" / "notes.txt").write_text("not a face")
    return tmp_path


def test_reads_every_subset_folder(fake_300w: Path) -> None:
    skipped: list[str] = []
    faces = find_300w(fake_300w, skipped=skipped)
    assert len(faces) == 2 * len(SUBSETS)
    assert [subset_of(f.name) for f in faces] == [s for s in SUBSETS for _ in range(2)]
    assert all(f.source == "300w" and f.landmarks.shape == (68, 2) for f in faces)
    assert faces[0].name == "afw/img_0"
    lfpw = next(f for f in faces if f.name == "lfpw/testset/img_1")
    assert lfpw.image_path.suffix == ".png"
    # .pts are 1-based: the reader subtracts one
    first = next(f for f in faces if f.name == "afw/img_0")
    written = np.loadtxt(fake_300w / "afw" / "img_0.pts", skiprows=3, max_rows=68)
    np.testing.assert_allclose(first.landmarks, written - 1.0, atol=1e-9)
    assert any("lonely.pts" in s and "no image" in s for s in skipped)
    assert any("broken.pts" in s for s in skipped)


def test_subsets_filter_and_missing_layout(fake_300w: Path, tmp_path: Path) -> None:
    faces = find_300w(fake_300w, subsets=("helen/testset", "lfpw/testset"))
    assert {subset_of(f.name) for f in faces} == {"helen/testset", "lfpw/testset"}
    with pytest.raises(LprnetError, match="unknown 300W subset"):
        find_300w(fake_300w, subsets=("helen",))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LprnetError, match="none of the 300W subset folders"):
        find_300w(empty)


def test_flip_permutation_is_a_mirror_involution() -> None:
    perm = np.array(FLIP_68)
    assert sorted(perm) == list(range(68))
    np.testing.assert_array_equal(perm[perm], np.arange(68))
    pairs = {(0, 16), (8, 8), (17, 26), (21, 22), (27, 27), (30, 30), (31, 35), (33, 33)}
    pairs |= {(36, 45), (39, 42), (37, 44), (41, 46), (48, 54), (51, 51), (57, 57), (60, 64)}
    pairs |= {(62, 62), (65, 67), (66, 66), (59, 55)}
    for a, b in pairs:
        assert perm[a] == b and perm[b] == a
    rng = np.random.default_rng(1)
    pts = np.column_stack([rng.uniform(0, 99, (68, 2)), rng.normal(size=68)])
    back = flip_landmarks(flip_landmarks(pts, 100), 100)
    np.testing.assert_allclose(back, pts)
    flipped = flip_landmarks(pts, 100)
    assert flipped[36, 0] == pytest.approx(99 - pts[45, 0])
    assert flipped[36, 2] == pts[45, 2]  # depth is kept
    with pytest.raises(ValueError, match=r"\(68, 2 or 3\)"):
        flip_landmarks(pts[:10], 100)


def test_mirrored_photo_keeps_left_and_right(data_dir: Path) -> None:
    """On a real annotated face, the mirrored annotation's right-eye corner (36) is again left
    of its left-eye corner (45) in the image, and the jaw still runs right to left."""
    faces = find_300w(data_dir / "300W", subsets=("afw",))[:5]
    for face in faces:
        w = cv2.imread(str(face.image_path)).shape[1]
        m = flip_landmarks(face.landmarks, w)
        assert m[36, 0] < m[45, 0] and m[0, 0] < m[16, 0]
        assert face.landmarks[36, 0] < face.landmarks[45, 0]


@pytest.mark.parametrize("yaw, pitch", [(-90.0, None), (90.0, None), (30.0, 35.0), (-45.0, -35.0)])
def test_profiled_view_at_90_degrees_lands_on_the_rendered_face(face_model, data_dir, yaw, pitch):
    """Face painted green in the photo, green texture for revealed surface: the posmap's 68
    landmarks must fall on green pixels of the view turned to +-90 degrees (or turned up or
    down as well, ``--pitches``)."""
    from lprnet.data.samples import read_image_rgb
    from lprnet.geometry.posmap import head_pose
    from lprnet.geometry.transform import pose_to_image
    from lprnet.geometry.uv import uv_layout
    from lprnet.synth.bank import fit_face
    from lprnet.synth.profile import profile_view

    face = find_300w(data_dir / "300W", subsets=("afw",))[0]
    image = read_image_rgb(face.image_path)
    params = fit_face(face, face_model, image.shape[0], str(data_dir))
    verts = pose_to_image(
        face_model.vertices(params.shape, params.expression), params.pose, image.shape[0]
    )
    hull = cv2.convexHull(verts[face_model.no_neck, :2].astype(np.float32)).astype(np.int32)
    green = image.copy()
    cv2.fillConvexPoly(green, hull, (20, 230, 40))
    colors = np.tile(np.array([[20, 230, 40]], np.float32) / 255, (face_model.n_vertices, 1))
    layout = uv_layout(face_model, 256)
    view = profile_view(green, params, yaw, face_model, layout, colors, "v", new_pitch=pitch)
    assert view.pose[1] == pytest.approx(yaw)
    want_pitch = params.angles_degrees[0] if pitch is None else pitch
    assert view.pose[0] == pytest.approx(want_pitch, abs=1e-3)
    px = np.round(view.landmarks[:, :2]).astype(int)
    assert ((px > 0) & (px < 255)).all()  # the crop holds the whole face
    g = view.image.astype(int)
    green_px = (g[..., 1] > 150) & (g[..., 0] < 120) & (g[..., 2] < 120)
    # midline points (nose, lips, chin) lie on the silhouette at 90 degrees: allow 2 px
    near = cv2.dilate(green_px.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    on_face = near[px[:, 1], px[:, 0]]
    assert on_face.all(), np.flatnonzero(~on_face)
    assert green_px[px[:, 1], px[:, 0]].mean() > 0.75  # most are well inside it
    # the posmap itself says the head is turned to the side (and up or down) asked for
    assert head_pose(view.posmap, layout)[1] == pytest.approx(yaw, abs=6)
    if abs(yaw) < 80:  # at +-90 degrees of yaw, pitch and roll are one rotation (gimbal lock)
        assert head_pose(view.posmap, layout)[0] == pytest.approx(want_pitch, abs=6)


def test_300w_profile_with_flips_fit_report_and_resume(data_dir, tmp_path) -> None:
    from lprnet.data.shards import read_shards
    from lprnet.synth.profile import profile_shards

    root = tmp_path / "300W"
    (root / "lfpw" / "testset").mkdir(parents=True)
    src = data_dir / "300W" / "lfpw" / "testset"
    for stem in ("image_0001", "image_0002"):
        for suffix in (".png", ".jpg", ".pts"):
            if (src / f"{stem}{suffix}").is_file():
                (root / "lfpw" / "testset" / f"{stem}{suffix}").write_bytes(
                    (src / f"{stem}{suffix}").read_bytes()
                )
    kw = dict(size=128, yaws=(0, 90), data_dir=str(data_dir), workers=0, progress=False)
    a = profile_shards([root], tmp_path / "a", source="300w", flip="also", shard_size=4, **kw)
    names = [ex["name"].decode() for ex in read_shards(tmp_path / "a")]
    assert a["count"] == len(names) and not a["skipped"]
    assert any(n.startswith("lfpw/testset/image_0001_Flip@") for n in names)
    assert any(n.startswith("lfpw/testset/image_0001@") for n in names)
    fit = __import__("json").loads((tmp_path / "a" / "fit.json").read_text())
    assert set(fit["by_subset"]) == {"lfpw/testset", "lfpw/testset (mirrored)"}
    assert 0.3 < fit["by_subset"]["lfpw/testset"]["mean"] < 5.0  # percent
    # a mirrored face is fitted to the mirrored yaw
    yaws = {f["name"]: f["yaw"] for f in fit["faces"]}
    assert yaws["lfpw/testset/image_0001_Flip"] == pytest.approx(
        -yaws["lfpw/testset/image_0001"], abs=3
    )
    b = profile_shards([root], tmp_path / "b", source="300w", flip="also", shard_size=4, **kw)
    assert [s["sha256"] for s in a["shards"]] == [s["sha256"] for s in b["shards"]]
    # --pitches: the same views, each also turned up or down, named by both angles
    c = profile_shards([root], tmp_path / "c", source="300w", pitches=(-30, 30), **kw)
    pitched = [ex["name"].decode() for ex in read_shards(tmp_path / "c")]
    assert c["count"] == len(names) // 2 and "@pitch" in pitched[0]
    assert {n.rsplit("@pitch", 1)[1] for n in pitched} == {"-30", "+30"}
