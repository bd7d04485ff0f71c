"""``android_assets/``: the int8 .tflite, the JSON an app needs, a README with Kotlin code.

:func:`write_android_assets` (re)generates the folder from an int8 TFLite artifact with uint8
I/O (camera bytes in). :func:`app_landmarks` does in Python exactly what the README's Kotlin
does (uint8 RGB crop bytes in, uint8 posmap out, dequantised with the JSON's numbers, keypoints
read and mapped back through the crop), and :func:`check_android_assets` compares it with Keras
on real crops: the test of the folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from lprnet.errors import LprnetError

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "android_assets"
LITERT_VERSION = "1.4.1"  # com.google.ai.edge.litert:litert, Interpreter API, minSdk 21


def spec_name(meta: dict) -> str:
    return f"{meta['name']}.json"


def android_spec(meta: dict, model_file: str, sha256: str, nbytes: int) -> dict:
    """The app's JSON: the model's metadata, its file, and the UV tables."""
    from export.metadata import uv_json

    return {
        "model_file": model_file,
        "model_sha256": sha256,
        "model_bytes": nbytes,
        **meta,
        "uv": uv_json(meta["uv_resolution"]),
        "how_to": {
            "input": "crop n x n RGB bytes (row-major, RGB interleaved) straight from the camera "
            "bitmap: the input quantisation is pixel / 255 exactly",
            "output": "posmap_crop_px = (q - zero_point) * scale * posmap_scale; "
            "channels x (right), y (down), z (toward the camera)",
            "landmark_k": "posmap[keypoints[k][1], keypoints[k][0]]",
            "mesh": "vertex i = posmap.flat[face_indices[i]]; triangles index the vertices",
            "to_image": "x_img = x_crop / s + (cx - size / 2), y likewise, z_img = z_crop / s, "
            "s = (n - 1) / size; box from a detector: size = detector_scale * (w + h) / 2, "
            "center = box center moved down by detector_shift * (w + h) / 2",
        },
    }


def _check_camera_input(meta: dict, path: Path) -> None:
    inp = meta["input"]
    q = inp.get("quantization") or {}
    camera = (
        meta.get("format") == "tflite"
        and meta.get("precision") == "int8"
        and inp["dtype"] == "uint8"
        and abs(q.get("scale", 0) * 255 - 1) < 1e-6
        and q.get("zero_point") == 0
    )
    if not camera:
        raise LprnetError(
            f"{path}: android assets need an int8 TFLite with uint8 input quantised as "
            f"pixel / 255 (camera bytes in); got {meta.get('format')} {meta.get('precision')} "
            f"input {inp['dtype']} {q or 'float'}"
        )


def _parity_failed(artifact: Path) -> bool:
    """Whether the export manifest beside ``artifact`` records a failed parity check."""
    from export.manifest import read_manifest

    try:
        entries = read_manifest(artifact.parent)["artifacts"]
    except LprnetError:
        return False
    return any(
        a["name"] == artifact.name and a.get("parity") and not a["parity"].get("passed", True)
        for a in entries
    )


def _swap_in(staging: Path, out: Path) -> None:
    """Replace the folder ``out`` by ``staging`` (a sibling): ``out`` moves aside, ``staging``
    takes its name, the old set is removed. A crash between the two renames leaves the old set
    whole beside it (``.<name>.old``), which :func:`_recover` puts back."""
    old = out.parent / f".{out.name}.old"
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        os.replace(out, old)
    os.replace(staging, out)
    shutil.rmtree(old, ignore_errors=True)


def _recover(out: Path) -> None:
    """Undo an interrupted :func:`write_android_assets`: drop a half-written staging folder and
    restore a set that was moved aside but never replaced."""
    for staging in out.parent.glob(f".{out.name}.staging-*"):
        shutil.rmtree(staging, ignore_errors=True)
    old = out.parent / f".{out.name}.old"
    if old.is_dir() and not out.exists():
        os.replace(old, out)


def write_android_assets(
    out_dir: str | os.PathLike = DEFAULT_DIR,
    artifact: str | os.PathLike | None = None,
    check_count: int = 64,
) -> list[Path]:
    """Write the .tflite, ``<name>.json`` and ``README.md`` into ``out_dir`` as one unit.

    The new set is written into a sibling staging folder and renamed into place only when
    complete (checks included), so a crash at any point leaves the previous set whole. An
    artifact whose export manifest records a failed parity check is refused.

    Parameters
    ----------
    out_dir : path
        Usually the repository's ``android_assets/``.
    artifact : path, optional
        An int8 .tflite with uint8 I/O and lprnet metadata (:func:`export.api.export_model`);
        default: the shipped int8 default's, from :func:`export.api.ensure_artifact`.
    check_count : int
        For a shipped model, run :func:`check_android_assets` on this many crops and put the
        numbers into the README (0: skip).

    Returns
    -------
    list of Path
        The files written (under ``out_dir``).
    """
    from export.manifest import sha256_file
    from export.metadata import read_tflite, write_compact_json
    from lprnet.shipped import INT8_DEFAULT, SHIPPED

    if artifact is None:
        from export.api import ensure_artifact

        artifact = ensure_artifact(INT8_DEFAULT, "tflite", "int8")
    artifact = Path(artifact)
    if not artifact.is_file():
        raise LprnetError(f"{artifact}: no such .tflite file")
    meta = read_tflite(artifact)
    if meta is None:
        raise LprnetError(f"{artifact}: no lprnet metadata (export it with lprnet export)")
    _check_camera_input(meta, artifact)
    if _parity_failed(artifact):
        raise LprnetError(
            f"{artifact}: its export failed the parity check (see {artifact.parent}/manifest.json)"
            ": not released to the Android assets"
        )
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    _recover(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        model_file = f"{meta['name']}-int8.tflite"
        with open(staging / model_file, "wb") as f, open(artifact, "rb") as src:
            shutil.copyfileobj(src, f)
        target = staging / model_file
        spec = android_spec(meta, model_file, sha256_file(target), target.stat().st_size)
        write_compact_json(staging / spec_name(meta), spec)
        measured = None
        if check_count and meta["name"] in SHIPPED:
            measured = check_android_assets(staging, count=check_count)
        (staging / "README.md").write_text(readme(spec, measured))
        _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [out / model_file, out / spec_name(meta), out / "README.md"]


# --------------------------------------------------------------------------- #
# What the app does, in Python
# --------------------------------------------------------------------------- #
def app_crop(image: np.ndarray, center: np.ndarray, size: float, n: int) -> np.ndarray:
    """The n x n uint8 RGB crop the app feeds (bilinear, black outside the frame).

    Same similarity as :func:`lprnet.geometry.crop.crop_matrix`: the box ``center +- size / 2``
    onto pixel centres ``0 .. n - 1``.
    """
    from lprnet.geometry import crop

    return crop.warp_image(image, crop.crop_matrix(center, size, n), n)


def app_landmarks(
    interpreter, spec: dict, crop_bytes: bytes, center: np.ndarray, size: float
) -> np.ndarray:
    """Run the model on raw crop bytes as the Kotlin code does; landmarks in image pixels.

    Parameters
    ----------
    interpreter : ai_edge_litert Interpreter (tensors allocated)
    spec : dict
        The app JSON (:func:`android_spec`).
    crop_bytes : bytes
        n * n * 3 bytes, RGB interleaved, row-major (the ByteBuffer).
    center : (2,) float, size : float
        The crop box in image pixels.

    Returns
    -------
    (68, 3) float64
    """
    n = spec["input"]["shape"][1]
    buf = np.frombuffer(crop_bytes, np.uint8)
    if buf.size != n * n * 3:
        raise ValueError(f"crop_bytes: expected {n * n * 3} bytes, got {buf.size}")
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    interpreter.set_tensor(inp["index"], buf.reshape(1, n, n, 3))
    interpreter.invoke()
    raw = interpreter.get_tensor(out["index"]).reshape(-1).tobytes()
    q = spec["output"]["quantization"]
    scale = q["scale"] * spec["output"]["posmap_scale"]
    values = (np.frombuffer(raw, np.uint8).astype(np.int32) - q["zero_point"]) * scale
    s = (n - 1) / float(size)
    x0, y0 = center[0] - size / 2.0, center[1] - size / 2.0
    lm = np.empty((68, 3))
    for k, (x, y) in enumerate(spec["uv"]["keypoints"]):
        base = (y * n + x) * 3
        lm[k] = values[base : base + 3] / s + np.array([x0, y0, 0.0])
    return lm


def check_android_assets(
    folder: str | os.PathLike = DEFAULT_DIR, count: int = 32, keras_model=None
) -> dict:
    """Feed the folder's .tflite what the app would and compare its landmarks with Keras'.

    The "camera frames" are the embedded set's 256 px images; each face is cropped with PRNet's
    landmark rule from its ground truth (an app uses a detector box; the crop code is the same).
    Keras runs on the same bytes / 255: ``keras_model`` (a path or tf_keras.Model), by default
    the shipped model the JSON names, which must be the file the assets were exported from.

    Returns
    -------
    dict
        ``images``, ``nme_vs_keras_pct`` (app landmarks vs Keras', 2D, % of the ground-truth
        box size), ``nme_app_pct`` and ``nme_keras_pct`` (each vs the ground truth),
        ``max_landmark_px`` (the largest app-vs-Keras landmark distance, image pixels).
    """
    import json

    from ai_edge_litert.interpreter import Interpreter

    from export.api import load_source
    from lprnet.data.embedded import load_embedded_set
    from lprnet.geometry import crop
    from lprnet.metrics import bbox_size
    from lprnet.quiet import quiet

    folder = Path(folder)
    specs = [p for p in folder.glob("*.json") if p.name != "package.json"]
    if len(specs) != 1:
        raise LprnetError(f"{folder}: expected one model JSON, found {[p.name for p in specs]}")
    spec = json.loads(specs[0].read_text())
    model_path = folder / spec["model_file"]
    from export.manifest import sha256_file

    if sha256_file(model_path) != spec["model_sha256"]:
        raise LprnetError(f"{model_path}: sha256 differs from {specs[0].name}")
    n = spec["input"]["shape"][1]
    with quiet():
        interp = Interpreter(model_path=str(model_path), num_threads=2)
        interp.allocate_tensors()
    if keras_model is None:
        from lprnet.shipped import SHIPPED

        if spec["name"] not in SHIPPED:
            raise LprnetError(f"{specs[0]}: not a shipped model; pass the Keras model to compare")
        keras_model = spec["name"]
    source = load_source(keras_model)
    if source.path is not None and source.info.source_sha256 != spec.get("source_sha256"):
        raise LprnetError(
            f"{specs[0].name} was exported from another model file than {source.path} "
            "(source_sha256 differs); regenerate the assets or pass the Keras model"
        )
    keras = source.model
    s = load_embedded_set()
    picks = np.unique(np.linspace(0, len(s) - 1, count).round().astype(int))
    rows = []
    for i in picks:
        frame, gt = s.image(int(i)), s.landmarks[i].astype(np.float64)
        center, size = crop.box_from_landmarks(gt)
        crop_u8 = app_crop(frame, center, size, n)
        app = app_landmarks(interp, spec, crop_u8.tobytes(), center, size)
        x = crop_u8.astype(np.float32)[None] / 255.0
        pos = np.asarray(keras(x, training=False))[0] * spec["output"]["posmap_scale"]
        kx, ky = np.array(spec["uv"]["keypoints"]).T
        ref = crop.from_crop(pos[ky, kx], crop.crop_matrix(center, size, n))
        norm = bbox_size(gt)
        d = np.linalg.norm(app[:, :2] - ref[:, :2], axis=1)
        rows.append(
            (
                d.mean() / norm * 100,
                np.linalg.norm(app[:, :2] - gt[:, :2], axis=1).mean() / norm * 100,
                np.linalg.norm(ref[:, :2] - gt[:, :2], axis=1).mean() / norm * 100,
                d.max(),
            )
        )
    r = np.array(rows)
    return {
        "images": len(rows),
        "nme_vs_keras_pct": float(r[:, 0].mean()),
        "nme_app_pct": float(r[:, 1].mean()),
        "nme_keras_pct": float(r[:, 2].mean()),
        "max_landmark_px": float(r[:, 3].max()),
    }


# --------------------------------------------------------------------------- #
# README
# --------------------------------------------------------------------------- #
def readme(spec: dict, measured: dict | None = None) -> str:
    """The folder's README.md (Kotlin code with this model's numbers; check results)."""
    n = spec["input"]["shape"][1]
    q = spec["output"]["quantization"]
    name = spec["model_file"]
    json_name = f"{spec['name']}.json"
    mb = spec["model_bytes"] / 1e6
    return README.format(
        n=n,
        name=name,
        json_name=json_name,
        mb=mb,
        nbytes=spec["model_bytes"],
        sha=spec["model_sha256"],
        oscale=q["scale"],
        ozero=q["zero_point"],
        pscale=spec["output"]["posmap_scale"],
        faces=len(spec["uv"]["face_indices"]),
        tris=len(spec["uv"]["triangles"]),
        dscale=spec["crop"]["detector_scale"],
        dshift=spec["crop"]["detector_shift"],
        litert=LITERT_VERSION,
        record=spec.get("record_sha256") or "none",
    ) + (MEASURED.format(**measured) if measured else "")


README = """# Android assets: {name}

Generated by `export.android.write_android_assets` (do not edit by hand; regenerate).
Checked by `tests/test_export_android.py`, which feeds the model exactly the bytes this code feeds
it and compares the landmarks with the Keras float model.

* `{name}`: L-PRNet, full-integer int8 (weights and activations), uint8 input and output,
  fixed batch 1; {mb:.2f} MB ({nbytes} bytes), sha256 `{sha}`.
  The lprnet metadata is embedded too (flatbuffer metadata entry `lprnet`).
* `{json_name}`: what the app needs: input spec, output scale and quantisation, the 68
  keypoint UV pixels, the face-mask pixels ({faces}) and mesh triangles ({tris}), crop constants.

Training record sha256: `{record}`.

## Model contract

* Input `[1, {n}, {n}, 3]` uint8, RGB, NHWC: a square face crop, **camera bytes as they are**
  (the input quantisation is exactly `pixel / 255`, scale 1/255, zero point 0).
* Output `[1, {n}, {n}, 3]` uint8: the UV position map;
  `posmap = (q - {ozero}) * {oscale} * {pscale}` gives crop pixels:
  x right, y down, z toward the camera (z's zero is arbitrary).
* Landmark k (iBUG 68) is `posmap[keypoints[k][1], keypoints[k][0]]`; the dense face is
  `posmap.flat[face_indices[i]]` for each vertex i, with `triangles` indexing those vertices.
* The crop: from a face detector box (left, top, right, bottom), PRNet's rule:
  `side = (w + h) / 2`, `size = {dscale} * side`,
  `center = (box center x, box center y + {dshift} * side)`.
  Those constants fit dlib-like boxes; other detectors need their own (see
  `lprnet/inference/detect.py`). The crop maps the box onto pixel centres `0 .. {n} - 1`:
  `s = ({n} - 1) / size`, `x_crop = s * (x - (cx - size / 2))`.
* Flip test (optional: more accurate, twice the model time): run the model a second time on
  the crop mirrored left to right, mirror that posmap back (column `u` of it is column
  `{n} - 1 - u` of the result, with `x -> {n} - 1 - x` in crop pixels; y and z stay) and
  average the two posmaps; `lprnet predict --flip-test` and `lprnet.inference.flip_test` do
  the same (measured in `docs/models.md`).

## Gradle

```kotlin
dependencies {{
    implementation("com.google.ai.edge.litert:litert:{litert}")   // org.tensorflow.lite.Interpreter
}}
android {{
    androidResources {{ noCompress += "tflite" }}   // memory-map the model from assets
}}
```

Copy `{name}` and `{json_name}` into `app/src/main/assets/`.

## Kotlin

```kotlin
import android.content.Context
import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Matrix
import android.graphics.Paint
import android.graphics.RectF
import org.json.JSONObject
import org.tensorflow.lite.Interpreter
import java.io.FileInputStream
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.MappedByteBuffer
import java.nio.channels.FileChannel

/** One face crop -> 68 3D landmarks in frame pixels. Not thread-safe: one instance per thread. */
class LprnetLandmarks(context: Context, threads: Int = 2) : AutoCloseable {{
    private val spec = JSONObject(
        context.assets.open("{json_name}").bufferedReader().use {{ it.readText() }}
    )
    private val n = spec.getJSONObject("input").getJSONArray("shape").getInt(1)   // {n}
    private val outScale: Float
    private val outZero: Int
    private val posmapScale: Float
    private val kptX: IntArray
    private val kptY: IntArray
    private val detectorScale: Float
    private val detectorShift: Float
    private val interpreter: Interpreter
    private val input = ByteBuffer.allocateDirect(n * n * 3).order(ByteOrder.nativeOrder())
    private val output = ByteBuffer.allocateDirect(n * n * 3).order(ByteOrder.nativeOrder())
    private val pixels = IntArray(n * n)
    private val crop = Bitmap.createBitmap(n, n, Bitmap.Config.ARGB_8888)
    private val paint = Paint(Paint.FILTER_BITMAP_FLAG)   // bilinear

    init {{
        val out = spec.getJSONObject("output")
        val q = out.getJSONObject("quantization")
        outScale = q.getDouble("scale").toFloat()
        outZero = q.getInt("zero_point")
        posmapScale = out.getDouble("posmap_scale").toFloat()
        val kp = spec.getJSONObject("uv").getJSONArray("keypoints")
        kptX = IntArray(kp.length()) {{ kp.getJSONArray(it).getInt(0) }}
        kptY = IntArray(kp.length()) {{ kp.getJSONArray(it).getInt(1) }}
        val c = spec.getJSONObject("crop")
        detectorScale = c.getDouble("detector_scale").toFloat()
        detectorShift = c.getDouble("detector_shift").toFloat()
        val options = Interpreter.Options()
            .setNumThreads(threads)        // 2-4 big cores; measure on the device
            .setUseXNNPACK(true)           // int8 kernels (on by default; explicit here)
        interpreter = Interpreter(mapAsset(context, spec.getString("model_file")), options)
    }}

    private fun mapAsset(context: Context, name: String): MappedByteBuffer =
        context.assets.openFd(name).use {{ fd ->
            FileInputStream(fd.fileDescriptor).channel.use {{ ch ->
                ch.map(FileChannel.MapMode.READ_ONLY, fd.startOffset, fd.declaredLength)
            }}
        }}

    /** PRNet's crop box (cx, cy, size) from a detector box, frame pixels. */
    fun cropBox(face: RectF): FloatArray {{
        val side = (face.width() + face.height()) / 2f
        val cy = face.centerY() + detectorShift * side
        return floatArrayOf(face.centerX(), cy, detectorScale * side)
    }}

    /**
     * 68 landmarks (x, y, z) in frame pixels for the face in box (cx, cy, size).
     * [frame]: an upright ARGB_8888 bitmap (rotate camera frames first).
     */
    fun landmarks(frame: Bitmap, cx: Float, cy: Float, size: Float): Array<FloatArray> {{
        val s = (n - 1) / size
        val x0 = cx - size / 2f
        val y0 = cy - size / 2f
        // Box -> crop, pixel centres onto pixel centres (Canvas works on pixel edges: +-0.5).
        val m = Matrix()
        m.setTranslate(-0.5f - x0, -0.5f - y0)
        m.postScale(s, s)
        m.postTranslate(0.5f, 0.5f)
        Canvas(crop).apply {{
            drawColor(Color.BLACK)
            drawBitmap(frame, m, paint)
        }}
        // uint8 RGB bytes, row-major: the model's input quantisation is pixel / 255.
        crop.getPixels(pixels, 0, n, 0, 0, n, n)
        input.rewind()
        for (p in pixels) {{
            input.put((p shr 16 and 0xFF).toByte())
            input.put((p shr 8 and 0xFF).toByte())
            input.put((p and 0xFF).toByte())
        }}
        input.rewind()
        output.rewind()
        interpreter.run(input, output)
        // Dequantise the keypoint pixels of the posmap and map them back through the crop.
        return Array(kptX.size) {{ k ->
            val base = (kptY[k] * n + kptX[k]) * 3
            val v = FloatArray(3) {{ c ->
                ((output.get(base + c).toInt() and 0xFF) - outZero) * outScale * posmapScale
            }}
            floatArrayOf(v[0] / s + x0, v[1] / s + y0, v[2] / s)
        }}
    }}

    override fun close() = interpreter.close()
}}
```

Usage: `val lm = LprnetLandmarks(context); val b = lm.cropBox(detectorBox);
val points = lm.landmarks(frame, b[0], b[1], b[2])`. For the dense mesh, dequantise
`output` at every `face_indices[i]` the same way (vertex i), and draw `triangles`.

## Check it in Python

```
.venv/bin/python -m pytest tests/test_export_android.py -q
.venv/bin/python -c "from export.android import check_android_assets as c; print(c())"
```
"""

MEASURED = """
## Measured (Python, this exact byte path)

On {images} crops of the embedded set (PRNet's landmark crop of each 256 px image):
the app's 68 landmarks differ from those of the Keras model it was exported from by
{nme_vs_keras_pct:.2f}% NME (largest single landmark distance {max_landmark_px:.1f} px in the
256 px frame); against the ground truth the app gets {nme_app_pct:.2f}% NME and that Keras
model {nme_keras_pct:.2f}%.
"""
