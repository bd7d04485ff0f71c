"""Vertex normals and lighting: Lambertian directional lights and 2nd-order spherical harmonics.

All directions live in image space: x right, y down, z toward the camera. A light ``direction``
points from the surface *toward* the light: ``(0, 0, 1)`` is a light at the camera, ``(0, -1, 0)``
a light from above. The shading factor of a normal ``n`` is, per colour channel,

    s(n) = ambient + sum_i rgb_i * max(0, n . d_i)

and a vertex's colour is ``albedo * s(n)`` (+ an optional white-ish specular term), clipped to
[0, 1]. The same lighting in spherical harmonics (:meth:`Lighting.to_sh`, :func:`sh_shading`)
uses the standard real SH basis up to l = 2 (9 coefficients per colour), with the irradiance
convolution of Ramamoorthi & Hanrahan (2001): ``s(n) = (1 / pi) sum_lm A_l L_lm Y_lm(n)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: Clamped-cosine convolution factors A_l for bands l = 0, 1, 2, per SH coefficient.
SH_BAND_FACTORS = np.array([np.pi] + [2.0 * np.pi / 3.0] * 3 + [np.pi / 4.0] * 5)
#: sqrt(4 pi): the coefficient L_00 of a constant radiance 1.
_SQRT_4PI = 2.0 * np.sqrt(np.pi)


def vertex_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals.

    Each triangle adds ``(p1 - p0) x (p2 - p0)`` (length = twice its area) to its three
    vertices. For BFM triangles in image space (x right, y down, z toward the camera, a
    left-handed frame; see :mod:`lprnet.geometry.raster`) this points out of the face, so a
    frontal face's normals point toward the camera (+z). In the right-handed model frame (y up)
    the same formula points into the head: negate the result there.

    Parameters
    ----------
    vertices : (N, 3) array
        Any units.
    triangles : (T, 3) int array

    Returns
    -------
    (N, 3) float64
        Unit normals; ``(0, 0, 1)`` for vertices in no (non-degenerate) triangle.
    """
    v = np.asarray(vertices, np.float64)
    corners = np.ascontiguousarray(np.asarray(triangles, np.int64).reshape(-1, 3).T)  # (3, T)
    n = len(v)
    # per-coordinate gathers of contiguous columns: several times faster than v[tris[:, k]]
    (ax, bx, cx), (ay, by, cy), (az, bz, cz) = (
        [coord.take(corners[k]) for k in range(3)] for coord in np.ascontiguousarray(v.T)
    )
    e1x, e1y, e1z = bx - ax, by - ay, bz - az
    e2x, e2y, e2z = cx - ax, cy - ay, cz - az
    face = (e1y * e2z - e1z * e2y, e1z * e2x - e1x * e2z, e1x * e2y - e1y * e2x)
    idx = corners.reshape(-1)  # corner k of every triangle, k = 0, 1, 2
    normals = np.stack([np.bincount(idx, np.tile(f, 3), minlength=n) for f in face], 1)
    length = np.sqrt(np.einsum("ij,ij->i", normals, normals))
    empty = length <= 0
    normals[empty] = (0.0, 0.0, 1.0)
    length[empty] = 1.0
    return normals / length[:, None]


def sh_basis(directions: np.ndarray) -> np.ndarray:
    """The 9 real spherical harmonics up to l = 2 (orthonormal on the sphere).

    Order: ``Y00; Y1-1, Y10, Y11; Y2-2, Y2-1, Y20, Y21, Y22``, i.e. ``0.282095;
    0.488603 (y, z, x); 1.092548 xy, 1.092548 yz, 0.315392 (3 z^2 - 1), 1.092548 xz,
    0.546274 (x^2 - y^2)``.

    Parameters
    ----------
    directions : (N, 3) array
        Unit vectors (image space).

    Returns
    -------
    (N, 9) float64
    """
    d = np.asarray(directions, np.float64)
    x, y, z = d[:, 0], d[:, 1], d[:, 2]
    return np.stack(
        [
            np.full_like(x, 0.5 / np.sqrt(np.pi)),
            0.5 * np.sqrt(3.0 / np.pi) * y,
            0.5 * np.sqrt(3.0 / np.pi) * z,
            0.5 * np.sqrt(3.0 / np.pi) * x,
            0.5 * np.sqrt(15.0 / np.pi) * x * y,
            0.5 * np.sqrt(15.0 / np.pi) * y * z,
            0.25 * np.sqrt(5.0 / np.pi) * (3.0 * z * z - 1.0),
            0.5 * np.sqrt(15.0 / np.pi) * x * z,
            0.25 * np.sqrt(15.0 / np.pi) * (x * x - y * y),
        ],
        1,
    )


def sh_shading(normals: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Shading factor of SH lighting: ``(1 / pi) sum_lm A_l L_lm Y_lm(n)`` per colour.

    Parameters
    ----------
    normals : (N, 3) array
        Unit normals.
    coeffs : (9, 3) array
        SH coefficients ``L_lm`` of the incident radiance per colour (a constant radiance
        ``c`` has ``L_00 = c sqrt(4 pi)`` and shades to exactly ``c``).

    Returns
    -------
    (N, 3) float64
        Irradiance / pi (may be slightly negative far from the lights).
    """
    coeffs = np.asarray(coeffs, np.float64)
    if coeffs.shape != (9, 3):
        raise ValueError(f"coeffs: expected shape (9, 3), got {coeffs.shape}")
    # einsum, not @: a BLAS call here starts OpenBLAS threads that then contend with the rest
    # of a single-threaded data worker (measured: +50% on a whole frame on 2 cores)
    return np.einsum("nk,kc->nc", sh_basis(normals), SH_BAND_FACTORS[:, None] * coeffs / np.pi)


def _dot3(n: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Row-wise ``n @ d`` for (N, 3) and (3,), without BLAS (see :func:`sh_shading`)."""
    return n[:, 0] * d[0] + n[:, 1] * d[1] + n[:, 2] * d[2]


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float64).reshape(3)
    norm = np.linalg.norm(v)
    if norm == 0:
        raise ValueError("light direction must not be zero")
    return v / norm


@dataclass(eq=False)
class Lighting:
    """Ambient + directional lights (+ weak Blinn-Phong specular), colours in [0, ~1].

    Attributes
    ----------
    ambient : (3,) array
        Ambient RGB shading factor.
    directional : list of (direction (3,), rgb (3,))
        Direction toward each light in image space (normalised on use) and its RGB shading
        factor at normal incidence.
    specular : float
        Strength of a Blinn-Phong highlight (0 = pure Lambertian), viewer along +z.
    shininess : float
        Blinn-Phong exponent.
    """

    ambient: np.ndarray
    directional: Sequence[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    specular: float = 0.0
    shininess: float = 16.0

    def diffuse(self, normals: np.ndarray) -> np.ndarray:
        """Lambertian shading factor ``ambient + sum rgb max(0, n . d)``: (N, 3) float64."""
        n = np.asarray(normals, np.float64)
        out = np.empty((len(n), 3))
        out[:] = np.asarray(self.ambient, np.float64)
        for direction, rgb in self.directional:
            cos = np.maximum(_dot3(n, _unit(direction)), 0.0)
            out += cos[:, None] * np.asarray(rgb, np.float64).reshape(1, 3)
        return out

    def highlight(self, normals: np.ndarray) -> np.ndarray:
        """Blinn-Phong term ``specular * sum rgb max(0, n . h)^shininess``: (N, 3) float64."""
        n = np.asarray(normals, np.float64)
        out = np.zeros((len(n), 3))
        if self.specular <= 0:
            return out
        view = np.array([0.0, 0.0, 1.0])
        for direction, rgb in self.directional:
            d = _unit(direction)
            h = _unit(d + view) if np.any(d + view) else view
            lit = _dot3(n, d) > 0
            spec = np.where(lit, np.maximum(_dot3(n, h), 0.0) ** self.shininess, 0.0)
            out += self.specular * spec[:, None] * np.asarray(rgb, np.float64)
        return out

    def to_sh(self) -> np.ndarray:
        """The diffuse part as SH coefficients, (9, 3) float64, for :func:`sh_shading`.

        Exact for the ambient term; each directional light becomes its l <= 2 projection,
        which reproduces ``rgb max(0, n . d)`` within 0.1 rgb (the clamped cosine's band
        limit: 1.0625 rgb facing the light, 0.094 rgb at 90 degrees).
        """
        coeffs = np.zeros((9, 3))
        coeffs[0] = np.asarray(self.ambient, np.float64) * _SQRT_4PI
        for direction, rgb in self.directional:
            y = sh_basis(_unit(direction)[None])[0]
            coeffs += np.pi * y[:, None] * np.asarray(rgb, np.float64)[None, :]
        return coeffs


def random_lighting(rng: np.random.Generator) -> Lighting:
    """Plausible coloured studio-like lighting for synthetic faces.

    Ambient grey level uniform in [0.3, 0.8]; one or two directional lights from the front
    hemisphere (``z >= 0.25``, i.e. within ~75 degrees of the camera axis) sharing a total
    strength uniform in [0.2, 0.9]; every light tinted by up to +-8% per channel; a weak
    specular (0 to 0.1). Use ``.to_sh()`` for SH coefficients.

    Parameters
    ----------
    rng : numpy.random.Generator

    Returns
    -------
    Lighting
    """
    ambient = rng.uniform(0.3, 0.8) * (1.0 + rng.uniform(-0.08, 0.08, 3))
    n_lights = int(rng.integers(1, 3))
    shares = rng.dirichlet(np.ones(n_lights)) * rng.uniform(0.2, 0.9)
    lights = []
    for share in shares:
        while True:
            d = rng.normal(size=3)
            d[2] = abs(d[2])
            d /= np.linalg.norm(d)
            if d[2] >= 0.25:
                break
        lights.append((d, share * (1.0 + rng.uniform(-0.08, 0.08, 3))))
    return Lighting(
        ambient=ambient,
        directional=lights,
        specular=float(rng.uniform(0.0, 0.1)),
        shininess=float(rng.uniform(8.0, 32.0)),
    )


def shade(
    albedo: np.ndarray,
    normals: np.ndarray,
    lighting: Lighting | np.ndarray,
    clip: bool = True,
) -> np.ndarray:
    """Per-vertex colours: ``albedo * s(n)`` (Lambertian) + the lighting's specular term.

    Parameters
    ----------
    albedo : (N, 3) or (3,) array in [0, 1]
        Reflectance per vertex (or one for all).
    normals : (N, 3) array
        Unit normals in image space (:func:`vertex_normals`).
    lighting : Lighting or (9, 3) array
        Directional lighting, or SH coefficients (diffuse only; see :func:`sh_shading`).
    clip : bool
        Clip the result to [0, 1].

    Returns
    -------
    (N, 3) float64
    """
    n = np.asarray(normals, np.float64)
    if n.ndim != 2 or n.shape[1] != 3:
        raise ValueError(f"normals: expected shape (N, 3), got {n.shape}")
    albedo = np.asarray(albedo, np.float64)
    if isinstance(lighting, Lighting):
        out = albedo * lighting.diffuse(n) + lighting.highlight(n)
    else:
        out = albedo * sh_shading(n, lighting)
    out = np.broadcast_to(out, (len(n), 3))
    return np.clip(out, 0.0, 1.0) if clip else out.copy()
