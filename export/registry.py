"""The one table of export formats: what each produces, at which precisions, checked how.

The exporter (:mod:`export.api`), the ``lprnet export`` command and the benchmark all read
:data:`FORMATS`; nothing else lists formats or precisions. A format's ``exporter`` is a
``"module:function"`` path so that reading the table imports no converter.

Parity thresholds (:class:`Parity`) bound the difference to the Keras float model on real
calibration crops: posmap error in crop pixels (the network output times ``n * 1.1``) and the
68-landmark NME of the artifact measured against Keras' own landmarks (percent of the landmark
box size, 3DDFA's normaliser). They were set from the shipped L-PRNet's measured errors with a
margin (docs/export.md); an export past any of them fails loudly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from lprnet.errors import LprnetError


@dataclass(frozen=True)
class Parity:
    """Largest accepted difference to Keras (crop pixels at the model's resolution; percent)."""

    max_px: float
    mean_px: float
    nme_pct: float


@dataclass(frozen=True)
class ExportFormat:
    """One export format.

    Attributes
    ----------
    name : str
        ``keras``, ``tflite``, ``tfjs`` or ``onnx``.
    suffix : str
        Artifact name ending: ``<model>-<precision><suffix>``; a suffix without a dot names a
        directory (TF.js: ``lprnet_128-uint8-tfjs/``).
    precisions : tuple of str
        Supported precisions, the default first.
    options : dict of str -> tuple
        Format options: option name -> allowed values, the default first.
    runtime : str
        What runs the artifact (the parity check and the benchmark use it).
    parity : dict of str -> Parity
        Threshold per precision.
    exporter : str
        ``"module:function"`` writing the artifact (see :func:`exporter`).
    description : dict of str -> str
        What each precision means for this format (printed by the CLI and docs).
    """

    name: str
    suffix: str
    precisions: tuple[str, ...]
    options: dict[str, tuple[str, ...]]
    runtime: str
    parity: dict[str, Parity]
    exporter: str
    description: dict[str, str] = field(default_factory=dict)

    @property
    def is_directory(self) -> bool:
        return not self.suffix.startswith(".")

    @property
    def defaults(self) -> dict[str, str]:
        """The default value of each option."""
        return {k: v[0] for k, v in self.options.items()}


#: float32 conversions: rounding only (measured on the shipped L-PRNet: 2e-4 px).
FP32 = Parity(max_px=0.05, mean_px=0.005, nme_pct=0.01)
#: float16 weights (measured on the 312 embedded crops: max 0.47 px, mean 0.034 px, NME 0.031%
#: with the four-stage lprnet_128; max 1.16 px, mean 0.017 px, NME 0.015% with the five-stage
#: one: the max is one face pixel's rounding, the mean and NME are what a broken export moves).
FP16 = Parity(max_px=2.0, mean_px=0.1, nme_pct=0.1)
#: full-integer int8 post-training quantisation (measured, TFLite and ONNX alike: max 18.7 px,
#: mean 3.9 px, NME 4.1% against Keras). A gate against broken exports (wrong scales, swapped
#: channels, a mis-calibrated range), not a quality target: quantisation-aware training is what
#: brings int8 closer to the float model.
INT8 = Parity(max_px=30.0, mean_px=5.0, nme_pct=5.0)
#: TF.js uint8 weights, per-tensor affine (measured: max 10.5 px, mean 0.65 px, NME 0.60%).
TFJS_UINT8 = Parity(max_px=20.0, mean_px=1.2, nme_pct=1.2)
#: the same weights re-loaded in tf-keras: only float32 summation order differs (oneDNN picks
#: kernels by batch size and thread count; one float32 ulp at 128 px is 7.6e-6 px, and a CI run
#: measured a 1.004e-5 px mean with two test processes sharing two cores).
KERAS = Parity(max_px=1e-3, mean_px=1e-4, nme_pct=1e-4)

FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat(
            name="keras",
            suffix=".keras",
            precisions=("fp32",),
            options={},
            runtime="tf-keras (TensorFlow CPU)",
            parity={"fp32": KERAS},
            exporter="export.keras:export_artifact",
            description={"fp32": "the float reference (tf-keras .keras file)"},
        ),
        ExportFormat(
            name="tflite",
            suffix=".tflite",
            precisions=("int8", "fp32", "fp16"),
            options={"io_dtype": ("uint8", "int8")},
            runtime="LiteRT (ai-edge-litert) + XNNPACK",
            parity={"fp32": FP32, "fp16": FP16, "int8": INT8},
            exporter="export.tflite:export_artifact",
            description={
                "fp32": "float32, fixed batch 1",
                "fp16": "float16 weights (runs as float32 on CPU), fixed batch 1",
                "int8": "full-integer int8 (weights + activations), uint8 or int8 I/O, "
                "calibrated on real crops, fixed batch 1",
            },
        ),
        ExportFormat(
            name="tfjs",
            suffix="-tfjs",
            precisions=("uint8", "fp32", "fp16"),
            options={},
            runtime="TF.js graph model (parity: TF.js 4.22 wasm in Node when installed, "
            "else the graph + decoded weights re-run in TensorFlow)",
            parity={"fp32": FP32, "fp16": FP16, "uint8": TFJS_UINT8},
            exporter="export.tfjs:export_artifact",
            description={
                "fp32": "graph model, float32 weights",
                "fp16": "graph model, --quantize_float16 weights",
                "uint8": "graph model, --quantize_uint8 weights (float compute)",
            },
        ),
        ExportFormat(
            name="onnx",
            suffix=".onnx",
            precisions=("fp32", "int8"),
            options={"opset": ("17", "13", "15")},
            runtime="onnxruntime CPU",
            parity={"fp32": FP32, "int8": INT8},
            exporter="export.onnx:export_artifact",
            description={
                "fp32": "tf2onnx, fixed batch 1",
                "int8": "static QDQ (onnxruntime.quantization, per-channel int8 weights, "
                "uint8 activations, float I/O), same calibration crops",
            },
        ),
    )
}

#: Every precision name some format supports, in display order.
ALL_PRECISIONS = ("fp32", "fp16", "int8", "uint8")


def get_format(name: str) -> ExportFormat:
    """The format called ``name``; LprnetError listing the formats otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        raise LprnetError(
            f"unknown export format {name!r}; supported: {', '.join(FORMATS)}"
        ) from None


def supported() -> str:
    """``"keras: fp32; tflite: int8, fp32, fp16; ..."`` for messages."""
    return "; ".join(f"{f.name}: {', '.join(f.precisions)}" for f in FORMATS.values())


def check(fmt: str, precision: str, **options: str) -> ExportFormat:
    """Refuse a format / precision / option combination the table does not list.

    Returns
    -------
    ExportFormat

    Raises
    ------
    LprnetError
        Naming what was asked for and what the format supports.
    """
    f = get_format(fmt)
    if precision not in f.precisions:
        hint = ""
        if fmt == "tfjs" and precision == "int8":
            hint = " (TF.js has no integer compute; uint8 is its 8-bit weight quantisation)"
        elif precision == "dynamic":
            hint = " (dynamic-range quantisation is never exported: 100x slower on XNNPACK)"
        raise LprnetError(
            f"{fmt} cannot be exported at precision {precision!r}{hint}; "
            f"{fmt} supports {', '.join(f.precisions)} (all formats: {supported()})"
        )
    for key, value in options.items():
        if value is None:
            continue
        if key not in f.options:
            raise LprnetError(
                f"{fmt} has no option {key!r}; its options: {', '.join(f.options) or 'none'}"
            )
        if str(value) not in f.options[key]:
            raise LprnetError(
                f"{fmt} {key} must be one of {', '.join(f.options[key])}, got {value!r}"
            )
    if options.get("io_dtype") not in (None, "uint8") and precision != "int8":
        raise LprnetError(f"--io-dtype applies to int8 TFLite only, not {fmt} {precision}")
    return f


def applicable_options(fmt: str, precision: str, options: dict) -> dict[str, str]:
    """The given options that apply to ``fmt`` at ``precision`` (others dropped, None unset).

    Lets one request (``--format all --io-dtype int8``) carry options for several formats.
    """
    f = get_format(fmt)
    out = {}
    for key, value in options.items():
        if value is None or key not in f.options:
            continue
        if key == "io_dtype" and precision != "int8":
            continue
        out[key] = str(value)
    return out


def artifact_name(model_name: str, fmt: str, precision: str, **options: str) -> str:
    """The file / directory name of an artifact: ``lprnet_128-int8.tflite``.

    Non-default options join the name (``lprnet_128-int8-int8io.tflite``) so that two exports
    with different options never overwrite each other.
    """
    f = get_format(fmt)
    tag = ""
    for key, value in sorted(options.items()):
        if value is not None and key in f.options and str(value) != f.options[key][0]:
            tag += f"-{value}{'io' if key == 'io_dtype' else key}"
    return f"{model_name}-{precision}{tag}{f.suffix}"


def exporter(fmt: str) -> Callable:
    """Import and return the format's exporter function."""
    module, _, name = get_format(fmt).exporter.partition(":")
    return getattr(importlib.import_module(module), name)
