"""Software renderer: z-buffer rasterisation, attribute interpolation, visibility, shading.

Hand-made meshes check the rules exactly; the BFM mean face (posed with ``pose_to_image``,
~150 px wide in a 256 image) checks them at scale, and that landmarks read through the UV
position map land on the rendered face. No timing here: see benchmarks/render_speed.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from lprnet.geometry import raster
from lprnet.geometry.raster import rasterize_depth, rasterize_table
from lprnet.render import (
    Lighting,
    composite,
    random_lighting,
    render,
    sh_basis,
    sh_shading,
    shade,
    vertex_normals,
    visible_vertices,
)

# a square as two front-facing triangles (clockwise on screen, y down; see geometry.raster)
SQUARE_TRIS = np.array([[0, 1, 2], [0, 2, 3]])


def _square(x0: float, y0: float, size: float, z: float | np.ndarray) -> np.ndarray:
    """(4, 3) corners of an axis-aligned square, clockwise on screen, at depth ``z``."""
    xy = np.array([[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size]])
    return np.column_stack([xy, np.broadcast_to(z, 4)])


def _two_squares(z_first: float, z_second: float) -> tuple[np.ndarray, np.ndarray]:
    verts = np.vstack([_square(0, 0, 7, z_first), _square(4, 4, 7, z_second)])
    return verts, np.vstack([SQUARE_TRIS, SQUARE_TRIS + 4])


# --------------------------------------------------------------------------- #
# z-buffer on hand-made meshes
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(("z_first", "z_second"), [(1.0, 5.0), (5.0, 1.0)])
def test_nearer_square_wins_where_they_overlap(z_first, z_second):
    verts, tris = _two_squares(z_first, z_second)
    tri_index, weights, zbuf = rasterize_depth(verts[:, :2], verts[:, 2], tris, 16, 16)
    assert tri_index.shape == (256,) and weights.shape == (256, 3) and zbuf.shape == (16, 16)
    rows, cols = np.divmod(np.arange(256), 16)
    in_first = (rows <= 7) & (cols <= 7)
    in_second = (rows >= 4) & (rows <= 11) & (cols >= 4) & (cols <= 11)
    np.testing.assert_array_equal(tri_index >= 0, in_first | in_second)
    overlap = in_first & in_second
    winner = np.where(z_second > z_first, tri_index >= 2, tri_index < 2)
    assert winner[overlap].all()
    assert (tri_index[in_first & ~in_second] < 2).all()
    assert (tri_index[in_second & ~in_first] >= 2).all()
    expected = np.full(256, -np.inf)
    expected[in_first] = z_first
    expected[in_second] = z_second
    expected[overlap] = max(z_first, z_second)
    np.testing.assert_allclose(zbuf.ravel(), expected, atol=1e-12)
    assert (weights[tri_index < 0] == 0).all()
    np.testing.assert_allclose(weights[tri_index >= 0].sum(1), 1.0, atol=1e-12)
    # rasterize_table with depth agrees with rasterize_depth
    t2, w2 = rasterize_table(verts[:, :2], tris, 16, 16, depth=verts[:, 2])
    np.testing.assert_array_equal(t2, tri_index)
    np.testing.assert_array_equal(w2, weights)


def test_crossing_planes_switch_at_their_intersection():
    # plane A: z = x; plane B: z = 10 - x; both cover [0, 10]^2, they cross at x = 5
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
    verts = np.vstack([np.column_stack([xy, xy[:, 0]]), np.column_stack([xy, 10 - xy[:, 0]])])
    tris = np.vstack([SQUARE_TRIS, SQUARE_TRIS + 4])
    tri_index, _, zbuf = rasterize_depth(verts[:, :2], verts[:, 2], tris, 11, 11)
    cols = np.arange(121) % 11
    assert (tri_index[cols > 5] < 2).all()  # plane A nearer right of the line
    assert (tri_index[cols < 5] >= 2).all()
    assert (tri_index[cols == 5] < 2).all()  # exact tie: the first triangle wins
    np.testing.assert_allclose(zbuf.ravel(), np.maximum(cols, 10 - cols), atol=1e-12)


def test_equal_depths_keep_first_triangle_rule():
    verts, tris = _two_squares(2.0, 2.0)
    plain = rasterize_table(verts[:, :2], tris, 16, 16)
    with_depth = rasterize_table(verts[:, :2], tris, 16, 16, depth=verts[:, 2])
    np.testing.assert_array_equal(plain[0], with_depth[0])
    np.testing.assert_array_equal(plain[1], with_depth[1])


def test_attributes_interpolate_linearly():
    # a tilted, irregular fan of triangles; attributes are linear functions of (x, y)
    rng = np.random.default_rng(0)
    centre = np.array([12.3, 10.7])
    angles = np.sort(rng.uniform(0, 2 * np.pi, 7))
    ring = centre + np.column_stack([np.cos(angles), np.sin(angles)]) * rng.uniform(6, 9, (7, 1))
    xy = np.vstack([centre, ring])
    tris = np.array([[0, 1 + (i + 1) % 7, 1 + i] for i in range(7)])
    z = 0.3 * xy[:, 0] - 0.2 * xy[:, 1] + 4.0
    attrs = np.column_stack([xy, 2 * xy[:, 0] - 3 * xy[:, 1] + 1])
    image, mask, zbuf = render(np.column_stack([xy, z]), tris, attrs, 24, 26)
    assert image.shape == (24, 26, 3) and image.dtype == np.float32 and mask.dtype == bool
    rows, cols = np.nonzero(mask)
    assert len(rows) > 100
    np.testing.assert_allclose(image[rows, cols, 0], cols, atol=1e-4)
    np.testing.assert_allclose(image[rows, cols, 1], rows, atol=1e-4)
    np.testing.assert_allclose(image[rows, cols, 2], 2 * cols - 3 * rows + 1, atol=1e-4)
    np.testing.assert_allclose(zbuf[rows, cols], 0.3 * cols - 0.2 * rows + 4.0, atol=1e-9)
    assert (image[~mask] == 0).all() and np.isneginf(zbuf[~mask]).all()


def test_backface_culling():
    verts = _square(1, 1, 6, 0.0)
    front = rasterize_depth(verts[:, :2], verts[:, 2], SQUARE_TRIS, 8, 8, cull_backfaces=True)
    assert (front[0] >= 0).sum() == 49  # pixel centres 1..7 in x and y
    back = SQUARE_TRIS[:, ::-1]  # counter-clockwise on screen
    culled = rasterize_depth(verts[:, :2], verts[:, 2], back, 8, 8, cull_backfaces=True)
    assert (culled[0] == -1).all() and np.isneginf(culled[2]).all()
    kept = rasterize_depth(verts[:, :2], verts[:, 2], back, 8, 8)
    np.testing.assert_array_equal(kept[0] >= 0, front[0] >= 0)
    # a back face in front of a front face: culling reveals the front face behind it
    both = np.vstack([verts, _square(1, 1, 6, 3.0)])
    tris = np.vstack([SQUARE_TRIS, back + 4])
    image, _, _ = render(both, tris, both[:, 2:], 8, 8)
    assert image[3, 3, 0] == pytest.approx(3.0)
    image, _, _ = render(both, tris, both[:, 2:], 8, 8, cull_backfaces=True)
    assert image[3, 3, 0] == pytest.approx(0.0)


def _brute_force(points, depth, tris, height, width, eps=1e-9):
    """Reference z-buffer: every pixel against every triangle, in plain loops."""
    tri_index = np.full(height * width, -1)
    zbuf = np.full(height * width, -np.inf)
    for row in range(height):
        for col in range(width):
            for t, (i, j, k) in enumerate(tris):
                a, b, c = points[i], points[j], points[k]
                den = (b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])
                if abs(den) <= 1e-12:
                    continue
                px, py = col - a[0], row - a[1]
                w1 = (px * (c[1] - a[1]) - (c[0] - a[0]) * py) / den
                w2 = ((b[0] - a[0]) * py - px * (b[1] - a[1])) / den
                w = np.array([1 - w1 - w2, w1, w2])
                if (w < -eps).any():
                    continue
                z = 0.0 if depth is None else w @ depth[[i, j, k]]
                p = row * width + col
                if tri_index[p] < 0 or z > zbuf[p]:
                    tri_index[p], zbuf[p] = t, z
    return tri_index, zbuf.reshape(height, width)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-2, 14, (25, 1, 2))
    points = (centres + rng.normal(0, 3.0, (25, 3, 2))).reshape(-1, 2)
    depth = rng.uniform(-5, 5, len(points))
    tris = np.arange(len(points)).reshape(-1, 3)
    want_first, _ = _brute_force(points, None, tris, 12, 13)
    np.testing.assert_array_equal(rasterize_table(points, tris, 12, 13)[0], want_first)
    want_near, want_z = _brute_force(points, depth, tris, 12, 13)
    tri_index, _, zbuf = rasterize_depth(points, depth, tris, 12, 13)
    np.testing.assert_array_equal(tri_index, want_near)
    np.testing.assert_allclose(zbuf, want_z, atol=1e-9)


def test_large_triangles_and_chunks(monkeypatch):
    rng = np.random.default_rng(1)
    big = np.array([[-30.0, -5.0, 1.0], [90.0, 10.0, 2.0], [20.0, 80.0, 0.0]])
    centres = rng.uniform(0, 64, (300, 1, 3))
    small = (centres + rng.normal(0, 2.0, (300, 3, 3))).reshape(-1, 3)  # 300 small triangles
    verts = np.vstack([big, small])
    tris = np.vstack([[[0, 1, 2]], 3 + np.arange(900).reshape(300, 3)])
    ref = rasterize_depth(verts[:, :2], verts[:, 2], tris, 64, 64)
    assert (ref[0] == 0).sum() > 1000  # the big triangle shows where nothing is nearer
    ref_table = rasterize_table(verts[:, :2], tris, 64, 64)
    monkeypatch.setattr(raster, "_CHUNK_CANDIDATES", 97)  # many chunks, some one triangle
    got = rasterize_depth(verts[:, :2], verts[:, 2], tris, 64, 64)
    for a, b in zip(got, ref, strict=True):
        np.testing.assert_array_equal(a, b)
    got = rasterize_table(verts[:, :2], tris, 64, 64)
    for a, b in zip(got, ref_table, strict=True):
        np.testing.assert_array_equal(a, b)


def test_empty_offscreen_and_bad_depth():
    far = _square(100, 100, 5, 1.0)
    tri_index, weights, zbuf = rasterize_depth(far[:, :2], far[:, 2], SQUARE_TRIS, 8, 8)
    assert (tri_index == -1).all() and (weights == 0).all() and np.isneginf(zbuf).all()
    tri_index, _, zbuf = rasterize_depth(far[:, :2], far[:, 2], np.zeros((0, 3), int), 8, 8)
    assert (tri_index == -1).all() and np.isneginf(zbuf).all()
    with pytest.raises(ValueError, match="depth"):
        rasterize_depth(far[:, :2], np.zeros(3), SQUARE_TRIS, 8, 8)
    with pytest.raises(ValueError, match="attributes"):
        render(far, SQUARE_TRIS, np.zeros((3, 2)), 8, 8)


def test_visible_vertices_hand_made():
    # a far square at z=0 and a near one at z=5 covering its lower-right part
    verts, tris = _two_squares(0.0, 5.0)
    verts = np.vstack([verts, [[30.0, 3.0, 9.0]]])  # outside a 16 x 16 image
    vis = visible_vertices(verts, tris, 16, 16, tol=0.5)
    # far square: (0,0), (7,0), (7,7) [hidden by the near one], (0,7); near square all visible
    np.testing.assert_array_equal(vis, [True, True, False, True, True, True, True, True, False])
    assert visible_vertices(verts, tris, 16, 16, tol=6.0)[2]  # within tol of the near square


# --------------------------------------------------------------------------- #
# compositing
# --------------------------------------------------------------------------- #
def test_composite_hard_and_feathered():
    fg = np.full((20, 20, 3), 200, np.float32)
    bg = np.full((20, 20, 3), 10, np.uint8)
    mask = np.zeros((20, 20), bool)
    mask[4:16, 4:16] = True
    hard = composite(fg, mask, bg)
    assert hard.dtype == np.float32 and hard.shape == (20, 20, 3)
    np.testing.assert_array_equal(hard[mask], 200)
    np.testing.assert_array_equal(hard[~mask], 10)
    soft = composite(fg, mask, bg, feather_px=3)
    np.testing.assert_array_equal(soft[~mask], 10)  # the rendering's black never bleeds out
    np.testing.assert_array_equal(soft[8:12, 8:12], 200)  # deep inside: foreground
    ramp = soft[10, 4:8, 0]  # from the edge inward: strictly increasing, then 200
    assert (np.diff(ramp) > 0).all() and 10 < ramp[0] < 200 and ramp[-1] == 200
    full = composite(fg, np.ones((20, 20), bool), bg, feather_px=3)
    np.testing.assert_array_equal(full, 200)  # the image border is not an edge
    with pytest.raises(ValueError, match="composite"):
        composite(fg, mask, bg[:10])


# --------------------------------------------------------------------------- #
# shading
# --------------------------------------------------------------------------- #
def _fibonacci_sphere(n: int) -> np.ndarray:
    i = np.arange(n) + 0.5
    z = 1 - 2 * i / n
    phi = np.pi * (1 + 5**0.5) * i
    r = np.sqrt(1 - z * z)
    return np.column_stack([r * np.cos(phi), r * np.sin(phi), z])


def test_sh_basis_orthonormal():
    dirs = _fibonacci_sphere(20_000)
    y = sh_basis(dirs)
    gram = y.T @ y * (4 * np.pi / len(dirs))
    np.testing.assert_allclose(gram, np.eye(9), atol=2e-3)


def test_sh_lighting_matches_lambert():
    dirs = _fibonacci_sphere(2_000)
    ambient_only = Lighting(ambient=np.array([0.4, 0.5, 0.6]))
    np.testing.assert_allclose(
        sh_shading(dirs, ambient_only.to_sh()), np.tile([0.4, 0.5, 0.6], (2000, 1)), atol=1e-12
    )
    for seed in range(5):
        lighting = random_lighting(np.random.default_rng(seed))
        strength = max(np.max(rgb) for _, rgb in lighting.directional)
        err = np.abs(sh_shading(dirs, lighting.to_sh()) - lighting.diffuse(dirs))
        assert err.max() < 0.1 * strength * len(lighting.directional) + 1e-9
        # shade() takes either form
        sh = shade(np.full(3, 0.5), dirs, lighting.to_sh(), clip=False)
        np.testing.assert_allclose(sh, 0.5 * sh_shading(dirs, lighting.to_sh()))


def test_random_lighting_plausible_and_seeded():
    for seed in range(50):
        lighting = random_lighting(np.random.default_rng(seed))
        assert lighting.ambient.shape == (3,)
        assert 0.3 * 0.92 - 1e-9 <= lighting.ambient.min()
        assert lighting.ambient.max() <= 0.8 * 1.08 + 1e-9
        assert np.ptp(lighting.ambient) / lighting.ambient.mean() < 0.2  # a slight tint
        assert len(lighting.directional) in (1, 2)
        for direction, rgb in lighting.directional:
            assert np.linalg.norm(direction) == pytest.approx(1.0)
            assert direction[2] >= 0.25  # front hemisphere, toward the camera
            assert rgb.shape == (3,) and (rgb > 0).all() and rgb.max() < 1.0
        assert 0 <= lighting.specular <= 0.1
    a, b = random_lighting(np.random.default_rng(7)), random_lighting(np.random.default_rng(7))
    np.testing.assert_array_equal(a.ambient, b.ambient)
    np.testing.assert_array_equal(a.to_sh(), b.to_sh())


def test_vertex_normals_flat_and_degenerate():
    verts = np.vstack([_square(0, 0, 4, 1.0), [[9.0, 9.0, 9.0]]])  # vertex 4 in no triangle
    normals = vertex_normals(verts, SQUARE_TRIS)
    np.testing.assert_allclose(normals, np.tile([0.0, 0.0, 1.0], (5, 1)), atol=1e-12)
    np.testing.assert_allclose(vertex_normals(verts, SQUARE_TRIS[:, ::-1])[:4, 2], -1.0)


def test_shade_lambert_and_specular():
    normals = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.6, 0.8]])
    lighting = Lighting(np.full(3, 0.2), [(np.array([0.0, 0.0, 2.0]), np.array([0.5, 0.6, 0.7]))])
    out = shade(np.full((3, 3), 0.5), normals, lighting)
    np.testing.assert_allclose(out[0], 0.5 * (0.2 + np.array([0.5, 0.6, 0.7])))
    np.testing.assert_allclose(out[1], 0.5 * 0.2)  # grazing: ambient only
    np.testing.assert_allclose(out[2], 0.5 * (0.2 + 0.8 * np.array([0.5, 0.6, 0.7])))
    shiny = Lighting(lighting.ambient, lighting.directional, specular=0.3, shininess=10)
    extra = shade(np.full((3, 3), 0.5), normals, shiny) - out
    assert (extra[0] > 0.1).all() and (extra[1] == 0).all() and (extra[0] > extra[2]).all()
    assert shade(np.ones(3), normals, Lighting(np.full(3, 2.0))).max() == 1.0  # clipped


# --------------------------------------------------------------------------- #
# the BFM mean face
# --------------------------------------------------------------------------- #
FACE_WIDTH_PX = 150.0
SIZE = 256


def _posed_mean_face(face_model, yaw_deg: float) -> np.ndarray:
    from lprnet.geometry.transform import pose_to_image

    mean = face_model.mean.astype(np.float64).reshape(-1, 3)
    scale = FACE_WIDTH_PX / np.ptp(mean[:, 0])
    verts = pose_to_image(mean, [0.0, np.radians(yaw_deg), 0.0, 0.0, 0.0, 0.0, scale], SIZE)
    lo, hi = verts[:, :2].min(0), verts[:, :2].max(0)
    verts[:, :2] += SIZE / 2 - (lo + hi) / 2
    return verts


@pytest.fixture(scope="module")
def faces(face_model, layout256) -> dict[int, dict]:
    """Posed mean face at yaw 0 and 60 degrees, rendered with [x, y, z, u, v] attributes."""
    from lprnet.geometry import posmap

    out = {}
    for yaw in (0, 60):
        verts = _posed_mean_face(face_model, yaw)
        attrs = np.column_stack([verts, layout256.vertex_pixels])
        image, mask, zbuf = render(verts, face_model.triangles, attrs, SIZE, SIZE)
        out[yaw] = {
            "verts": verts,
            "image": image,
            "mask": mask,
            "zbuf": zbuf,
            "visible": visible_vertices(verts, face_model.triangles, SIZE, SIZE),
            "landmarks": posmap.landmarks(posmap.render_posmap(verts, layout256), layout256),
        }
    return out


@pytest.mark.data
@pytest.mark.parametrize("yaw", [0, 60])
def test_face_mask_plausible(faces, yaw):
    f = faces[yaw]
    rows, cols = np.nonzero(f["mask"])
    width, height = np.ptp(cols) + 1, np.ptp(rows) + 1
    print(f"yaw {yaw}: mask {f['mask'].sum()} px, box {width} x {height}")
    assert 135 <= width <= 152 and 160 <= height <= 185
    assert 0.6 * width * height < f["mask"].sum() < 0.9 * width * height
    assert np.isfinite(f["zbuf"][f["mask"]]).all() and np.isneginf(f["zbuf"][~f["mask"]]).all()
    # the z-buffer is the depth of the rendered surface
    np.testing.assert_allclose(f["image"][..., 2][f["mask"]], f["zbuf"][f["mask"]], atol=1e-3)


@pytest.mark.data
def test_bfm_winding_faces_the_camera(face_model, faces):
    tris = face_model.triangles
    for yaw in (0, 60):
        v = faces[yaw]["verts"]
        tri_index, _, _ = rasterize_depth(v[:, :2], v[:, 2], tris, SIZE, SIZE)
        p = v[tris[tri_index[tri_index >= 0]]]
        cross = (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1]) - (
            p[:, 2, 0] - p[:, 0, 0]
        ) * (p[:, 1, 1] - p[:, 0, 1])
        assert (cross > 0).mean() > 0.99  # visible triangles run clockwise on screen
        culled, _, _ = rasterize_depth(v[:, :2], v[:, 2], tris, SIZE, SIZE, cull_backfaces=True)
        assert ((culled >= 0) != (tri_index >= 0)).sum() < 50
        assert (culled == tri_index).mean() > 0.999


@pytest.mark.data
def test_visibility_nose_and_far_cheek(face_model, faces):
    mean = face_model.mean.astype(np.float64).reshape(-1, 3)  # model frame, micrometres
    front = faces[0]
    nose = int(np.argmax(front["verts"][:, 2]))
    assert nose in (8190, 8191)  # the BFM nose tip
    assert front["visible"][nose]
    cheek = (np.abs(mean[:, 0]) > 35_000) & (np.abs(mean[:, 0]) < 60_000)
    cheek &= (mean[:, 1] > -40_000) & (mean[:, 1] < 0) & (mean[:, 2] > 50_000)
    left, right = cheek & (mean[:, 0] < 0), cheek & (mean[:, 0] > 0)
    assert front["visible"][left].mean() > 0.99 and front["visible"][right].mean() > 0.99
    turned = faces[60]
    z = turned["verts"][:, 2]
    far, near = (left, right) if z[left].mean() < z[right].mean() else (right, left)
    print(f"yaw 60: far cheek visible {turned['visible'][far].mean():.3f}")
    assert turned["visible"][far].mean() < 0.05
    assert turned["visible"][near].mean() > 0.95


@pytest.mark.data
@pytest.mark.parametrize("yaw", [0, 60])
def test_posmap_landmarks_land_on_rendered_face(face_model, layout256, faces, yaw):
    f = faces[yaw]
    lm = f["landmarks"]  # (68, 3) read through the UV posmap
    visible = f["visible"][face_model.keypoints]
    col, row = np.round(lm[:, 0]).astype(int), np.round(lm[:, 1]).astype(int)
    got = f["image"][row, col]  # rendered [x, y, z, u, v] at each landmark's pixel
    print(f"yaw {yaw}: {visible.sum()} of 68 landmarks visible")
    assert visible.sum() >= (55 if yaw == 0 else 40)
    assert f["mask"][row, col][visible].all()
    # the landmark's own xy, rendered at its pixel
    err_xy = np.linalg.norm(got[visible, :2] - lm[visible, :2], axis=1)
    assert err_xy.max() < 1.5
    # and the rendered surface there is the landmark's: same depth, same UV position
    err_z = np.abs(got[visible, 2] - lm[visible, 2])
    err_uv = np.linalg.norm(got[visible, 3:] - layout256.keypoint_pixels.T[visible], axis=1)
    print(f"  |dz| median {np.median(err_z):.2f} px, UV error median {np.median(err_uv):.2f} px")
    assert np.median(err_z) < 0.5 and (err_z < 2.5).mean() >= 0.9
    assert np.median(err_uv) < 1.0 and (err_uv < 3.0).mean() >= 0.9
    # hidden landmarks: mostly behind the rendered surface (some sit on the silhouette)
    hidden = ~visible & f["mask"][row, col]
    if hidden.any():
        assert (got[hidden, 2] > lm[hidden, 2] + 1.0).mean() >= 0.8


@pytest.mark.data
def test_face_normals_and_camera_light(face_model, faces):
    f = faces[0]
    normals = vertex_normals(f["verts"], face_model.triangles)
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-9)
    nose = int(np.argmax(f["verts"][:, 2]))
    assert normals[nose, 2] > 0.9  # toward the camera
    assert normals[f["visible"], 2].mean() > 0.4
    camera_light = Lighting(np.zeros(3), [(np.array([0.0, 0.0, 1.0]), np.ones(3))])
    colours = shade(np.full(3, 0.8), normals, camera_light)
    frontal = normals[:, 2] > 0.95
    grazing = (normals[:, 2] > 0) & (normals[:, 2] < 0.3)
    assert frontal.sum() > 500 and grazing.sum() > 500
    assert colours[frontal].mean() > 0.75 > 0.2 > colours[grazing].mean()
    # a full shaded render: colours stay in [0, 1] and only on the face
    lighting = random_lighting(np.random.default_rng(0))
    image, mask, _ = render(f["verts"], face_model.triangles, colours, SIZE, SIZE)
    assert image[mask].min() >= 0 and image[mask].max() <= 1 and (image[~mask] == 0).all()
    assert shade(np.full(3, 0.7), normals, lighting).shape == (face_model.n_vertices, 3)
