"""The mesh of a reconstructed face as the bytes of an OBJ, PLY or GLB file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lprnet.inference.outputs import write_mesh
from lprnet.inference.reconstructor import Face
from lprnet.server.glb import glb_bytes

#: Where OBJ / PLY files are written and read back: memory-backed when the OS has it.
_SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None

#: ``?mesh=`` value -> media type of the response.
MESH_MEDIA_TYPES = {
    "obj": "model/obj",
    "ply": "application/x-ply",
    "glb": "model/gltf-binary",
}


def mesh_bytes(face: Face, fmt: str) -> bytes:
    """Encode the face's mesh (points, triangles, vertex colours) in ``fmt``.

    Parameters
    ----------
    face : Face
        Points in image pixels.
    fmt : {"obj", "ply", "glb"}
        OBJ (text, ``v x y z r g b``) and binary PLY are written by
        :func:`lprnet.inference.outputs.write_mesh`; GLB by :func:`lprnet.server.glb.glb_bytes`
        (y negated: glTF is y-up).
    """
    if fmt == "glb":
        return glb_bytes(face.points, face.triangles, face.colors)
    if fmt not in MESH_MEDIA_TYPES:
        raise ValueError(f"mesh format must be one of {', '.join(MESH_MEDIA_TYPES)}, got {fmt!r}")
    with tempfile.TemporaryDirectory(prefix="lprnet-mesh-", dir=_SCRATCH) as tmp:
        return write_mesh(Path(tmp) / f"face.{fmt}", face).read_bytes()
