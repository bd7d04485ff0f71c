"""Software rendering of face meshes (NumPy): z-buffer, attribute interpolation, shading.

Image space throughout: x right, y down (pixels, pixel centres at integer coordinates), z toward
the camera (orthographic; larger = nearer), as :func:`lprnet.geometry.transform.pose_to_image`
gives. Winding conventions: :mod:`lprnet.geometry.raster`.
"""

from lprnet.render.shading import (
    Lighting,
    random_lighting,
    sh_basis,
    sh_shading,
    shade,
    vertex_normals,
)
from lprnet.render.zbuffer import composite, interpolate, render, visible_vertices

__all__ = [
    "Lighting",
    "composite",
    "interpolate",
    "random_lighting",
    "render",
    "sh_basis",
    "sh_shading",
    "shade",
    "vertex_normals",
    "visible_vertices",
]
