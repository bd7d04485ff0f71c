"""What every exported model carries about itself, and how it is embedded in each format.

Schema ``lprnet.model/1`` (:func:`model_metadata`)::

    {"schema": "lprnet.model/1", "name", "version", "record_sha256", "source_sha256",
     "format", "precision",
     "input": {"shape": [1, n, n, 3], "layout": "NHWC", "color": "RGB", "dtype",
               "normalization": "x = pixel / 255", "quantization": {"scale", "zero_point"} | null},
     "output": {"shape": [1, n, n, 3], "dtype", "posmap_scale": n * 1.1,
                "quantization": {"scale", "zero_point"} | null},
     "uv_resolution": n, "keypoints_uv": [[x, y] x 68],
     "crop": {"landmark_scale": 1.6, "detector_scale": 1.58, "detector_shift": 0.14}}

``version`` is the lprnet version that exported it; ``record_sha256`` the sha256 of the shipped
model's training record (``<name>.record.json``), null for other models; ``source_sha256`` the
sha256 of the .keras file exported (null for an in-memory model). ``quantization`` describes the
tensor the app feeds / reads: ``real = scale * (q - zero_point)``. The network's output times
``posmap_scale`` is the posmap in crop pixels (x right, y down, z toward the camera).

Where it lives: TFLite, a model metadata entry named ``lprnet`` whose buffer holds the JSON (the
flatbuffer schema's ``Model.metadata``, the slot TensorFlow uses for its own conversion
metadata; LiteRT ignores unknown entries); ONNX, ``metadata_props`` key ``lprnet`` (a JSON
string); TF.js, ``model.json`` ``userDefinedMetadata.lprnet``; Keras, a ``<file>.json`` sidecar.
:func:`read_metadata` reads it back from any of them.

The UV tables an app needs to build a mesh (:func:`uv_json`) go beside a TF.js model
(``lprnet.json``) and into ``android_assets/``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lprnet import __version__
from lprnet.errors import LprnetError
from lprnet.geometry.crop import DETECTOR_SCALE, DETECTOR_SHIFT, LANDMARK_SCALE
from lprnet.io_contract import POSMAP_SCALE

SCHEMA = "lprnet.model/1"
KEY = "lprnet"  # the metadata entry / property / userDefinedMetadata key


@dataclass(frozen=True)
class ModelInfo:
    """Who an artifact came from.

    Attributes
    ----------
    name : str
        Model name (the shipped name or the .keras file's stem).
    resolution : int
        ``n``: input crop and UV map side, pixels.
    record_sha256 : str or None
        sha256 of the training record (shipped models).
    source_sha256 : str or None
        sha256 of the exported .keras file.
    """

    name: str
    resolution: int
    record_sha256: str | None = None
    source_sha256: str | None = None


def quantization(scale: float, zero_point: int) -> dict:
    """``{"scale", "zero_point"}`` of an affine-quantised tensor (``real = s * (q - z)``)."""
    return {"scale": float(scale), "zero_point": int(zero_point)}


def keypoints_uv(n: int) -> list[list[int]]:
    """The 68 keypoint pixels ``[x, y]`` of the n-UV map (PRNet's uv_kpt_ind)."""
    from lprnet.geometry.uv_tables import uv_tables

    kx, ky = uv_tables(n).keypoint_pixels
    return [[int(x), int(y)] for x, y in zip(kx, ky, strict=True)]


def model_metadata(
    info: ModelInfo,
    fmt: str,
    precision: str,
    *,
    input_dtype: str = "float32",
    input_quantization: dict | None = None,
    output_dtype: str = "float32",
    output_quantization: dict | None = None,
) -> dict:
    """The metadata dict of one artifact (schema in the module docstring)."""
    n = int(info.resolution)
    return {
        "schema": SCHEMA,
        "name": info.name,
        "version": __version__,
        "record_sha256": info.record_sha256,
        "source_sha256": info.source_sha256,
        "format": fmt,
        "precision": precision,
        "input": {
            "shape": [1, n, n, 3],
            "layout": "NHWC",
            "color": "RGB",
            "dtype": input_dtype,
            "normalization": "x = pixel / 255",
            "quantization": input_quantization,
        },
        "output": {
            "shape": [1, n, n, 3],
            "dtype": output_dtype,
            "posmap_scale": round(n * POSMAP_SCALE, 6),
            "quantization": output_quantization,
        },
        "uv_resolution": n,
        "keypoints_uv": keypoints_uv(n),
        "crop": {
            "landmark_scale": LANDMARK_SCALE,
            "detector_scale": DETECTOR_SCALE,
            "detector_shift": DETECTOR_SHIFT,
        },
    }


def uv_json(n: int) -> dict:
    """The UV tables an app needs to turn a posmap into landmarks and a mesh.

    Returns
    -------
    dict
        ``resolution``; ``keypoints`` (68 ``[x, y]`` UV pixels: landmark k is
        ``posmap[y, x]``); ``face_indices`` (M flat UV pixel indices ``y * n + x`` of the face
        mask, the mesh's vertex order: vertex i is ``posmap.flat[face_indices[i]]``);
        ``triangles`` (T ``[a, b, c]`` indices into the vertices, counter-clockwise in UV).
    """
    from lprnet.geometry.uv_tables import uv_tables

    t = uv_tables(n)
    remap = np.full(n * n, -1, np.int64)
    remap[t.face_indices] = np.arange(len(t.face_indices))
    tris = remap[t.grid_triangles]
    if (tris < 0).any():
        raise LprnetError(f"UV tables at {n}: a triangle uses a pixel outside the face mask")
    return {
        "resolution": n,
        "keypoints": keypoints_uv(n),
        "face_indices": t.face_indices.astype(int).tolist(),
        "triangles": tris.astype(int).tolist(),
    }


def to_json(meta: dict) -> str:
    """Compact JSON (what is embedded)."""
    return json.dumps(meta, separators=(",", ":"), allow_nan=False)


def write_compact_json(path: str | os.PathLike, obj: dict) -> Path:
    """Write compact JSON atomically (the UV tables are long lists: no indentation)."""
    from lprnet.fileio import atomic_open

    with atomic_open(path, "w") as f:
        f.write(to_json(obj))
        f.write("\n")
    return Path(path)


# --------------------------------------------------------------------------- #
# TFLite: a Model.metadata entry named "lprnet"
# --------------------------------------------------------------------------- #
def _tflite_schema():
    from ai_edge_litert import schema_py_generated as schema

    return schema


def embed_tflite(flatbuffer: bytes, meta: dict) -> bytes:
    """Add (or replace) the ``lprnet`` metadata entry of a TFLite flatbuffer.

    Uses the flatbuffer object API, as TensorFlow's converter does for its own
    ``CONVERSION_METADATA`` entry; the graph, tensors and weights are unchanged.
    """
    import flatbuffers

    schema = _tflite_schema()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(flatbuffer, 0))
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(to_json(meta).encode(), np.uint8)
    model.buffers = model.buffers or []
    model.metadata = model.metadata or []
    for entry in model.metadata:
        name = entry.name.decode() if isinstance(entry.name, bytes) else entry.name
        if name == KEY:
            model.buffers[entry.buffer] = buffer
            break
    else:
        entry = schema.MetadataT()
        entry.name = KEY
        entry.buffer = len(model.buffers)
        model.buffers.append(buffer)
        model.metadata.append(entry)
    builder = flatbuffers.Builder(len(flatbuffer) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def read_tflite(source: bytes | str | os.PathLike) -> dict | None:
    """The ``lprnet`` metadata of a .tflite file or flatbuffer; None when it has none."""
    data = source if isinstance(source, bytes | bytearray) else Path(source).read_bytes()
    schema = _tflite_schema()
    try:
        model = schema.Model.GetRootAs(data, 0)
        for i in range(model.MetadataLength()):
            entry = model.Metadata(i)
            if entry.Name().decode() == KEY:
                raw = model.Buffers(entry.Buffer()).DataAsNumpy()
                return json.loads(bytes(raw).decode())
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise LprnetError(f"{source!s:.200}: unreadable TFLite metadata ({exc})") from exc
    return None


# --------------------------------------------------------------------------- #
# ONNX: metadata_props["lprnet"]
# --------------------------------------------------------------------------- #
def embed_onnx(model: Any, meta: dict) -> Any:
    """Set ``metadata_props["lprnet"]`` of an ``onnx.ModelProto`` (in place; returned)."""
    for prop in list(model.metadata_props):
        if prop.key == KEY:
            model.metadata_props.remove(prop)
    model.metadata_props.add(key=KEY, value=to_json(meta))
    return model


def read_onnx(path: str | os.PathLike) -> dict | None:
    """The ``lprnet`` metadata property of a .onnx file (None when absent)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    for prop in model.metadata_props:
        if prop.key == KEY:
            return json.loads(prop.value)
    return None


# --------------------------------------------------------------------------- #
# TF.js / Keras
# --------------------------------------------------------------------------- #
def read_tfjs(folder: str | os.PathLike) -> dict | None:
    """``userDefinedMetadata.lprnet`` of a TF.js model folder (or its model.json)."""
    path = Path(folder)
    if path.is_dir():
        path = path / "model.json"
    return json.loads(path.read_text()).get("userDefinedMetadata", {}).get(KEY)


def sidecar(path: str | os.PathLike) -> Path:
    """``model.keras`` -> ``model.keras.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def read_metadata(path: str | os.PathLike) -> dict | None:
    """The lprnet metadata of any artifact: .tflite, .onnx, TF.js folder / model.json, .keras.

    Returns None when the artifact carries none.
    """
    path = Path(path)
    if not path.exists():
        raise LprnetError(f"{path}: no such artifact")
    if path.is_dir() or path.name == "model.json":
        return read_tfjs(path)
    suffix = path.suffix.lower()
    if suffix == ".tflite":
        return read_tflite(path)
    if suffix == ".onnx":
        return read_onnx(path)
    side = sidecar(path)
    return json.loads(side.read_text()) if side.is_file() else None
