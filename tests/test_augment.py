"""PRNet augmentation: image/posmap consistency, determinism, ranges, colour, occlusion."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lprnet.data.augment import AugmentConfig, augment, mirror, similarity_matrix
from lprnet.geometry.posmap import sample_bilinear
from lprnet.tfenv import tf

N = 64
GEOMETRY = AugmentConfig.geometry_only()
COLOUR = AugmentConfig(rotation=0.0, translation=0.0, scale=(1.0, 1.0), occlusion_prob=0.0)
OCCLUSION = dataclasses.replace(COLOUR, color=(1.0, 1.0), occlusion_prob=1.0)


def _grid(n: int = N) -> tuple[np.ndarray, np.ndarray]:
    """Coordinate-coded inputs: image R, G = x / n, y / n; posmap (x, y) = the pixel itself."""
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    image = np.stack([xx / n, yy / n, np.full_like(xx, 0.5)], -1)
    rng = np.random.default_rng(0)
    posmap = np.stack([xx, yy, 5.0 + 20.0 * rng.random((n, n), np.float32)], -1)
    return image, posmap


def _run(image, posmap, seed, config):
    out_image, out_posmap = augment(image, posmap, tf.constant(seed, tf.int64), config)
    return out_image.numpy(), out_posmap.numpy()


def _fit_affine(src_xy: np.ndarray, dst_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares ``dst = src @ A.T + b`` over (K, 2) point pairs."""
    design = np.concatenate([src_xy, np.ones((len(src_xy), 1))], 1)
    sol, *_ = np.linalg.lstsq(design, dst_xy, rcond=None)
    return sol[:2].T, sol[2]


def test_similarity_matrix_convention() -> None:
    m = similarity_matrix(90.0, 2.0, 1.0, -3.0, 5).numpy()  # centre (2, 2)
    # +x from the centre goes to +y (clockwise on screen, y down), doubled, then shifted
    np.testing.assert_allclose(m @ [3.0, 2.0, 1.0], [2.0 + 1.0, 4.0 - 3.0, 1.0], atol=1e-5)
    np.testing.assert_allclose(m @ [2.0, 2.0, 1.0], [3.0, -1.0, 1.0], atol=1e-5)
    batch = similarity_matrix(tf.constant([0.0, 30.0]), 1.0, 0.0, 0.0, 8).numpy()
    assert batch.shape == (2, 3, 3)
    np.testing.assert_allclose(batch[0], np.eye(3), atol=1e-6)


@pytest.mark.parametrize("seed", [[0, 1], [7, 42], [123, 9]])
def test_warped_image_and_posmap_stay_consistent(seed) -> None:
    """The key property: the augmented image, sampled where the augmented posmap points, shows
    the same surface point as before (here: decodes to the UV pixel's own coordinates)."""
    image, posmap = _grid()
    out_image, out_posmap = _run(image, posmap, seed, GEOMETRY)
    xy = out_posmap[..., :2].reshape(-1, 2)
    uv = np.stack(np.meshgrid(np.arange(N), np.arange(N)), -1).reshape(-1, 2)
    inside = np.all((xy > 2) & (xy < N - 3), 1) & np.all((uv >= 2) & (uv <= N - 3), 1)
    assert inside.sum() > 0.2 * N * N  # the test is not vacuous
    decoded = sample_bilinear(out_image, xy[inside])[:, :2] * N
    err = np.abs(decoded - uv[inside]).max()
    assert err < 0.05, f"image and posmap disagree by up to {err:.3f} px"
    # the transform moved things (a wrong no-op would pass the check above trivially)
    assert np.abs(xy[inside] - uv[inside]).max() > 2.0


def test_consistency_with_uint8_image() -> None:
    image, posmap = _grid()
    image8 = np.round(image * 255).astype(np.uint8)
    out_image, out_posmap = _run(image8, posmap, [3, 3], GEOMETRY)
    assert out_image.dtype == np.float32 and out_image.min() >= 0 and out_image.max() <= 1
    xy = out_posmap[..., :2].reshape(-1, 2)
    uv = np.stack(np.meshgrid(np.arange(N), np.arange(N)), -1).reshape(-1, 2)
    inside = np.all((xy > 2) & (xy < N - 3), 1) & np.all((uv >= 2) & (uv <= N - 3), 1)
    decoded = sample_bilinear(out_image, xy[inside])[:, :2] * N
    assert np.abs(decoded - uv[inside]).max() < 0.2  # uint8 steps are N / 255 = 0.25 px


def test_same_seed_same_output_different_seed_different() -> None:
    image, posmap = _grid()
    image8 = np.round(image * 255).astype(np.uint8)
    a = _run(image8, posmap, [5, 6], AugmentConfig(occlusion_prob=1.0))
    b = _run(image8, posmap, [5, 6], AugmentConfig(occlusion_prob=1.0))
    c = _run(image8, posmap, [5, 7], AugmentConfig(occlusion_prob=1.0))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[1], c[1])
    # int32 and int64 seeds of the same value give the same draw
    d = augment(image8, posmap, tf.constant([5, 6], tf.int32), AugmentConfig(occlusion_prob=1.0))
    np.testing.assert_array_equal(a[1], d[1].numpy())


def test_geometry_ranges_recovered_from_posmap() -> None:
    image, posmap = _grid()
    cfg = AugmentConfig()  # PRNet's ranges: ±45°, ±10 %, 0.9 .. 1.2
    src = posmap[..., :2].reshape(-1, 2)
    centre = np.full(2, (N - 1) / 2)
    angles, scales, shifts = [], [], []
    fn = tf.function(lambda i, p, s: augment(i, p, s, cfg))
    for k in range(48):
        _, out = fn(image, posmap, tf.constant([11, k], tf.int64))
        out = out.numpy()
        a, b = _fit_affine(src, out[..., :2].reshape(-1, 2))
        scale = np.sqrt(np.linalg.det(a))
        assert abs(a[0, 0] - a[1, 1]) < 1e-4 and abs(a[0, 1] + a[1, 0]) < 1e-4  # a similarity
        np.testing.assert_allclose(out[..., 2], posmap[..., 2] * scale, rtol=1e-4)  # z * scale
        angles.append(np.degrees(np.arctan2(a[1, 0], a[0, 0])))
        scales.append(scale)
        shifts.append(a @ centre + b - centre)  # the centre's displacement
    angles, scales, shifts = np.array(angles), np.array(scales), np.array(shifts)
    assert np.all(np.abs(angles) <= 45.0 + 1e-3) and angles.min() < -25 and angles.max() > 25
    assert np.all((scales >= 0.9 - 1e-4) & (scales <= 1.2 + 1e-4))
    assert scales.min() < 0.97 and scales.max() > 1.12
    assert np.all(np.abs(shifts) <= 0.1 * N + 1e-3) and np.abs(shifts).max() > 0.06 * N


def test_empty_posmap_pixels_stay_zero() -> None:
    image, posmap = _grid()
    posmap[:10] = 0.0
    _, out = _run(image, posmap, [1, 2], GEOMETRY)
    assert np.all(out[:10] == 0.0) and np.all(np.any(out[10:] != 0.0, -1))


def test_colour_scale_per_channel_within_range() -> None:
    rng = np.random.default_rng(1)
    image = (0.2 + 0.5 * rng.random((N, N, 3))).astype(np.float32)  # 1.4 x 0.7 < 1: no clipping
    _, posmap = _grid()
    gains = []
    for k in range(24):
        out, out_posmap = _run(image, posmap, [2, k], COLOUR)
        np.testing.assert_array_equal(out_posmap, posmap)  # colour leaves geometry alone
        ratio = (out / image).reshape(-1, 3)
        assert np.ptp(ratio, 0).max() < 1e-5  # one gain per channel
        gains.append(ratio.mean(0))
    gains = np.array(gains)
    assert gains.min() >= 0.6 - 1e-5 and gains.max() <= 1.4 + 1e-5
    assert gains.min() < 0.75 and gains.max() > 1.25
    assert np.abs(gains[:, 0] - gains[:, 1]).max() > 0.1  # channels drawn independently
    bright, _ = _run(np.ones((N, N, 3), np.float32), posmap, [2, 0], COLOUR)
    assert bright.max() <= 1.0


def test_occlusion_changes_only_a_rectangle() -> None:
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (N, N, 3), dtype=np.uint8)
    _, posmap = _grid()
    lo, hi = OCCLUSION.occlusion_area
    kinds = set()
    for k in range(16):
        out, out_posmap = _run(image, posmap, [3, k], OCCLUSION)
        np.testing.assert_array_equal(out_posmap, posmap)
        changed = np.any(out != image / np.float32(255.0), -1)
        ys, xs = np.nonzero(changed)
        box = changed[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        assert box.all(), "changed pixels must fill their bounding rectangle"
        area = box.size / N**2
        assert lo - 0.03 <= area <= hi + 0.03
        assert out.min() >= 0.0 and out.max() <= 1.0
        fill = out[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].reshape(-1, 3)
        kinds.add("flat" if np.ptp(fill, 0).max() < 1e-6 else "textured")
    assert kinds == {"flat", "textured"}  # solid colours and noise / gradients both occur


def test_occlusion_probability() -> None:
    image = np.full((N, N, 3), 128, np.uint8)
    _, posmap = _grid()
    never = dataclasses.replace(OCCLUSION, occlusion_prob=0.0)
    out, _ = _run(image, posmap, [4, 0], never)
    np.testing.assert_array_equal(out, image / np.float32(255.0))
    half = dataclasses.replace(OCCLUSION, occlusion_prob=0.5)
    fn = tf.function(lambda i, p, s: augment(i, p, s, half))
    hits = sum(
        bool(np.any(fn(image, posmap, tf.constant([4, k], tf.int64))[0].numpy() != 128 / 255))
        for k in range(40)
    )
    assert 10 <= hits <= 30


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="scale"):
        AugmentConfig(scale=(1.2, 0.9))
    with pytest.raises(ValueError, match="occlusion_prob"):
        AugmentConfig(occlusion_prob=1.5)
    with pytest.raises(ValueError, match="static square"):
        augment(tf.zeros((4, 5, 3)), tf.zeros((4, 5, 3)), tf.constant([0, 0]))


def test_mirror_reverses_columns_and_x_and_is_an_involution() -> None:
    image, posmap = _grid()
    posmap[3, 5] = 0.0  # an empty UV pixel stays empty
    img, pos = (t.numpy() for t in mirror(tf.constant(image), tf.constant(posmap)))
    np.testing.assert_array_equal(img, image[:, ::-1])
    valid = (posmap[:, ::-1] != 0).any(-1)
    np.testing.assert_allclose(pos[..., 0], np.where(valid, N - 1 - posmap[:, ::-1, 0], 0))
    np.testing.assert_array_equal(pos[..., 1:], posmap[:, ::-1, 1:])
    assert (pos[3, N - 1 - 5] == 0).all()
    back = mirror(tf.constant(img), tf.constant(pos))
    np.testing.assert_allclose(back[1].numpy(), posmap, atol=1e-5)


def test_flip_prob_mirrors_about_that_often_and_keeps_the_other_draws() -> None:
    image, posmap = _grid()
    plain = dataclasses.replace(GEOMETRY, rotation=0.0, translation=0.0, scale=(1.0, 1.0))
    flips = dataclasses.replace(plain, flip_prob=0.5)
    mirrored = 0
    for k in range(40):
        a, _ = _run(image, posmap, [k, 1], plain)
        b, _ = _run(image, posmap, [k, 1], flips)
        if not np.allclose(a, b):
            np.testing.assert_allclose(b, a[:, ::-1], atol=1e-6)
            mirrored += 1
    assert 10 <= mirrored <= 30
    with pytest.raises(ValueError, match="flip_prob"):
        AugmentConfig(flip_prob=1.5)


def test_mirrored_posmap_of_a_real_view_is_the_mirrored_face(face_model, layout256) -> None:
    """BFM_UV is mirror-symmetric, so the mirrored posmap's landmarks are the mirrored 68
    points with the left/right permutation, but for the few whose UV pixel is one pixel off
    the mirror of its partner's (the midline ones sit on column 128 of 0..255)."""
    from lprnet.data.w300 import flip_landmarks
    from lprnet.geometry.posmap import landmarks, render_posmap

    rng = np.random.default_rng(3)
    verts = face_model.mean.reshape(-1, 3).astype(np.float64) * 1e-3
    verts = verts * [1, -1, 1] + [128, 128, 0]
    verts[:, 2] -= verts[:, 2].min()
    verts[:, 0] += rng.normal(0, 0.01, len(verts))
    pos = render_posmap(verts, layout256).astype(np.float32)
    _, mpos = mirror(tf.zeros((256, 256, 3)), tf.constant(pos))
    got = landmarks(mpos.numpy(), layout256)
    want = flip_landmarks(landmarks(pos, layout256), 256)
    err = np.linalg.norm(got[:, :2] - want[:, :2], axis=1)
    kx, ky = layout256.keypoint_pixels
    from lprnet.data.w300 import FLIP_68

    f = list(FLIP_68)
    odd = (kx + kx[f] != 255) | (ky != ky[f])  # UV pixels of these are not mirror images
    assert odd.sum() == 14  # the midline points and the mouth corners
    assert err[~odd].max() < 1e-3  # exact elsewhere
    assert err[odd].max() < 4.0  # one UV pixel on a ~180 px wide face


def test_reflect_fill_leaves_no_black_border() -> None:
    """Zooming out leaves a black frame whose width gives the scale away (networks learn to
    read it); the mirrored fill does not, and the posmap moves the same either way."""
    image, posmap = _grid()
    image = image + 0.1  # no pixel of the input is black
    zoom_out = dataclasses.replace(GEOMETRY, rotation=0.0, translation=0.0, scale=(0.8, 0.8))
    black_img, black_pos = _run(image, posmap, [3, 4], zoom_out)
    mirror_cfg = dataclasses.replace(zoom_out, fill="reflect")
    refl_img, refl_pos = _run(image, posmap, [3, 4], mirror_cfg)
    assert (black_img[:4] == 0).all() and (black_img[:, -4:] == 0).all()
    assert (refl_img > 0.05).all()
    np.testing.assert_allclose(refl_img[16:48, 16:48], black_img[16:48, 16:48], atol=1e-6)
    np.testing.assert_allclose(refl_pos, black_pos)
    with pytest.raises(ValueError, match="fill"):
        AugmentConfig(fill="wrap")


PLAIN = dataclasses.replace(OCCLUSION, occlusion_prob=0.0)


def test_black_border_strips_sit_on_the_sides_and_leave_the_posmap() -> None:
    image = np.full((N, N, 3), 0.5, np.float32)
    _, posmap = _grid()
    borders = dataclasses.replace(PLAIN, border_prob=1.0, border_width=(0.1, 0.3))
    sides_seen = np.zeros(4, int)
    for k in range(24):
        out, out_posmap = _run(image, posmap, [5, k], borders)
        np.testing.assert_array_equal(out_posmap, posmap)  # pixels only: the face is where it was
        black = (out == 0).all(-1)
        assert set(np.unique(out[~black])) == {0.5}  # the rest untouched
        # the black pixels are exactly the union of strips along the sides
        left = int(black[N // 2, : N // 2].sum()) if black[N // 2, 0] else 0
        right = int(black[N // 2, N // 2 :].sum()) if black[N // 2, -1] else 0
        top = int(black[: N // 2, N // 2].sum()) if black[0, N // 2] else 0
        bottom = int(black[N // 2 :, N // 2].sum()) if black[-1, N // 2] else 0
        keep = np.ones((N, N), bool)
        keep[:, :left] = keep[:, N - right :] = keep[:top] = keep[N - bottom :] = False
        np.testing.assert_array_equal(black, ~keep)
        for i, w in enumerate((left, right, top, bottom)):
            if w:
                sides_seen[i] += 1
                assert round(0.1 * N) <= w <= round(0.3 * N)
    assert (sides_seen >= 4).all() and (sides_seen <= 20).all()  # each side about half the time
    never = dataclasses.replace(borders, border_prob=0.0)
    np.testing.assert_array_equal(_run(image, posmap, [5, 0], never)[0], image)
    with pytest.raises(ValueError, match="border_width"):
        AugmentConfig(border_width=(0.1, 0.6))


def test_gray_and_contrast() -> None:
    rng = np.random.default_rng(3)
    image = (0.3 + 0.4 * rng.random((N, N, 3))).astype(np.float32)
    _, posmap = _grid()
    gray = dataclasses.replace(PLAIN, gray_prob=0.5)
    grays = 0
    for k in range(40):
        out, _ = _run(image, posmap, [6, k], gray)
        if np.allclose(out[..., 0], out[..., 1]) and np.allclose(out[..., 1], out[..., 2]):
            grays += 1
            np.testing.assert_allclose(out[..., 0], image @ [0.299, 0.587, 0.114], atol=1e-5)
        else:
            np.testing.assert_array_equal(out, image)
    assert 10 <= grays <= 30
    contrast = dataclasses.replace(PLAIN, contrast=(0.5, 1.5))
    luma = image @ np.array([0.299, 0.587, 0.114], np.float32)
    factors = []
    for k in range(16):
        out, out_posmap = _run(image, posmap, [7, k], contrast)
        np.testing.assert_array_equal(out_posmap, posmap)
        # (image - mean) * f + mean: the spread about the mean luminance scales by f (no clipping
        # in 0.3-0.7 at f <= 1.5)
        f = np.std(out - luma.mean()) / np.std(image - luma.mean())
        np.testing.assert_allclose(out, (image - luma.mean()) * f + luma.mean(), atol=2e-3)
        factors.append(f)
    assert 0.5 - 1e-3 <= min(factors) < 0.8 and 1.2 < max(factors) <= 1.5 + 1e-3


def test_new_parts_keep_the_other_draws() -> None:
    """Contrast, grey and borders draw from their own streams: turning them on leaves the
    geometry, the mirror and the colour gains of an example as they were."""
    image, posmap = _grid()
    base = AugmentConfig(flip_prob=0.5, occlusion_prob=0.0)
    for k in range(6):
        img, pos = _run(image, posmap, [8, k], base)
        more = dataclasses.replace(base, gray_prob=1.0, contrast=(1.5, 1.5))
        img2, pos2 = _run(image, posmap, [8, k], more)
        np.testing.assert_array_equal(pos2, pos)
        weights = np.array([0.299, 0.587, 0.114], np.float32)
        mean = (img @ weights).mean()
        expected = np.clip((img - mean) * 1.5 + mean, 0, 1) @ weights
        np.testing.assert_allclose(img2[..., 0], expected, atol=1e-5)


def _high_freq(x: np.ndarray) -> float:
    """Mean |Laplacian| of the first channel: what noise raises and blur lowers."""
    c = x[..., 0]
    return float(
        np.abs(4 * c[1:-1, 1:-1] - c[:-2, 1:-1] - c[2:, 1:-1] - c[1:-1, :-2] - c[1:-1, 2:]).mean()
    )


def test_photo_faults_blur_noise_and_jpeg() -> None:
    """Each fault hits about half the images, does what it says, and leaves the posmap and the
    other draws alone; off (the defaults) it changes nothing."""
    from lprnet.data.augment import QUALITY_PROB, photo_faults

    rng = np.random.default_rng(4)
    image = (0.3 + 0.4 * rng.random((N, N, 3))).astype(np.float32)
    _, posmap = _grid()
    seed = tf.constant([9, 0], tf.int64)
    np.testing.assert_array_equal(photo_faults(tf.constant(image), seed, PLAIN).numpy(), image)
    base = _high_freq(image)
    for name, config, check in (
        ("blur", dataclasses.replace(PLAIN, blur_sigma=2.0), lambda o: _high_freq(o) < base),
        ("noise", dataclasses.replace(PLAIN, noise_sd=0.2), lambda o: _high_freq(o) > base),
        ("jpeg", dataclasses.replace(PLAIN, jpeg_quality=5), lambda o: _high_freq(o) < base),
    ):
        hit = 0
        for k in range(40):
            out, out_posmap = _run(image, posmap, [10, k], config)
            np.testing.assert_array_equal(out_posmap, posmap)
            assert out.shape == image.shape and 0.0 <= out.min() and out.max() <= 1.0
            if np.array_equal(out, image):
                continue
            hit += 1
            assert check(out), (name, k)
        assert 40 * QUALITY_PROB - 12 <= hit <= 40 * QUALITY_PROB + 12, (name, hit)
        again = _run(image, posmap, [10, 39], config)[0]
        np.testing.assert_array_equal(again, out)  # deterministic per seed
    full = AugmentConfig(flip_prob=0.5)
    faults = dataclasses.replace(full, blur_sigma=1.0, noise_sd=0.02, jpeg_quality=40)
    for k in range(4):  # the geometry and the mirror are drawn as without the faults
        with_faults = _run(image, posmap, [11, k], faults)[1]
        np.testing.assert_array_equal(with_faults, _run(image, posmap, [11, k], full)[1])
    with pytest.raises(ValueError, match="jpeg_quality"):
        AugmentConfig(jpeg_quality=0)
    with pytest.raises(ValueError, match="noise_sd"):
        AugmentConfig(noise_sd=-0.1)
