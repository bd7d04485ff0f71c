"""A minimal glTF 2.0 binary (GLB) writer: one triangle mesh with vertex colours.

The file holds one scene, one node, one mesh primitive (``POSITION`` float32, ``COLOR_0``
float32 RGB, uint32 indices) and one double-sided unlit-looking material (metallic 0), in one
binary buffer. Image coordinates (x right, y down, z toward the camera: a left-handed frame)
become glTF's right-handed ones (x right, y up, z toward the viewer) by negating y: seen from
the front, the mesh looks as it does in the image.
"""

from __future__ import annotations

import json
import struct

import numpy as np

GLB_MAGIC = b"glTF"
GLB_VERSION = 2
_JSON_CHUNK = 0x4E4F534A  # "JSON"
_BIN_CHUNK = 0x004E4942  # "BIN\0"
_FLOAT, _UINT32 = 5126, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963


def _pad(data: bytes, fill: bytes) -> bytes:
    return data + fill * (-len(data) % 4)


def glb_bytes(
    vertices: np.ndarray, triangles: np.ndarray, colors: np.ndarray | None = None
) -> bytes:
    """Encode a triangle mesh as a GLB file.

    Parameters
    ----------
    vertices : (N, 3) array
        Image coordinates, pixels (x right, y down, z toward the camera).
    triangles : (T, 3) int array
        0-based indices into ``vertices``.
    colors : (N, 3) array in [0, 1], optional
        Vertex RGB (clipped to [0, 1]).

    Returns
    -------
    bytes
        The ``.glb`` file.
    """
    v = np.asarray(vertices, np.float64)
    t = np.asarray(triangles, np.int64)
    if v.ndim != 2 or v.shape[1] != 3 or len(v) == 0:
        raise ValueError(f"vertices: expected a non-empty (N, 3) array, got {v.shape}")
    if t.ndim != 2 or t.shape[1] != 3 or (t.size and (t.min() < 0 or t.max() >= len(v))):
        raise ValueError(f"triangles: expected (T, 3) indices in [0, {len(v)}), got {t.shape}")
    positions = (v * np.array([1.0, -1.0, 1.0])).astype("<f4")
    views = [(positions.tobytes(), _ARRAY_BUFFER)]
    attributes = {"POSITION": 0}
    accessors = [
        {
            "bufferView": 0,
            "componentType": _FLOAT,
            "count": len(v),
            "type": "VEC3",
            "min": positions.min(0).tolist(),
            "max": positions.max(0).tolist(),
        }
    ]
    if colors is not None:
        c = np.asarray(colors, np.float64)
        if c.shape != v.shape:
            raise ValueError(f"colors: expected shape {v.shape}, got {c.shape}")
        views.append((np.clip(c, 0.0, 1.0).astype("<f4").tobytes(), _ARRAY_BUFFER))
        attributes["COLOR_0"] = len(accessors)
        accessors.append(
            {"bufferView": 1, "componentType": _FLOAT, "count": len(v), "type": "VEC3"}
        )
    views.append((t.astype("<u4").tobytes(), _ELEMENT_ARRAY_BUFFER))
    accessors.append(
        {"bufferView": len(views) - 1, "componentType": _UINT32, "count": t.size, "type": "SCALAR"}
    )
    binary, buffer_views = b"", []
    for data, target in views:  # every view starts 4-byte aligned (all are multiples of 4)
        buffer_views.append(
            {"buffer": 0, "byteOffset": len(binary), "byteLength": len(data), "target": target}
        )
        binary += data
    doc = {
        "asset": {"version": "2.0", "generator": "lprnet"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": "face"}],
        "meshes": [
            {
                "primitives": [
                    {"attributes": attributes, "indices": len(accessors) - 1, "material": 0}
                ]
            }
        ],
        "materials": [
            {
                "doubleSided": True,
                "pbrMetallicRoughness": {"metallicFactor": 0.0, "roughnessFactor": 1.0},
            }
        ],
        "accessors": accessors,
        "bufferViews": buffer_views,
        "buffers": [{"byteLength": len(binary)}],
    }
    json_chunk = _pad(json.dumps(doc, separators=(",", ":")).encode(), b" ")
    bin_chunk = _pad(binary, b"\x00")
    total = 12 + 8 + len(json_chunk) + 8 + len(bin_chunk)
    return b"".join(
        [
            struct.pack("<4sII", GLB_MAGIC, GLB_VERSION, total),
            struct.pack("<II", len(json_chunk), _JSON_CHUNK),
            json_chunk,
            struct.pack("<II", len(bin_chunk), _BIN_CHUNK),
            bin_chunk,
        ]
    )


def read_glb(data: bytes) -> tuple[dict, bytes]:
    """Split a GLB file into its JSON document and binary chunk (for checks and tests).

    Raises
    ------
    ValueError
        Not a GLB 2 file, or chunk lengths that do not add up.
    """
    if len(data) < 20:
        raise ValueError("GLB: shorter than its header")
    magic, version, total = struct.unpack("<4sII", data[:12])
    if magic != GLB_MAGIC or version != GLB_VERSION or total != len(data):
        raise ValueError(f"GLB: bad header {magic!r} v{version}, length {total} != {len(data)}")
    length, kind = struct.unpack("<II", data[12:20])
    if kind != _JSON_CHUNK or 20 + length > len(data):
        raise ValueError("GLB: the first chunk is not a JSON chunk of a valid length")
    doc = json.loads(data[20 : 20 + length])
    rest = data[20 + length :]
    binary = b""
    if rest:
        blen, bkind = struct.unpack("<II", rest[:8])
        if bkind != _BIN_CHUNK or 8 + blen != len(rest):
            raise ValueError("GLB: the second chunk is not a BIN chunk of a valid length")
        binary = rest[8:]
    return doc, binary
