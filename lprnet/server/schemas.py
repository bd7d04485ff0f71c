"""Response models of the HTTP API (they are also its OpenAPI schema).

Units: pixels of the uploaded image (x right, y down, z toward the camera, z's zero
arbitrary), degrees, milliseconds. A value the model produced as NaN / infinity is ``null``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

Number = float | None
Point3 = Annotated[list[Number], Field(min_length=3, max_length=3)]


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. 'too_many_pixels'")
    message: str = Field(description="what was wrong, in one line")


class ErrorResponse(BaseModel):
    """The body of every 4xx / 5xx response."""

    error: ErrorDetail


class Pose(BaseModel):
    """Head pose, degrees (300W-LP / 3DDFA convention)."""

    pitch: Number
    yaw: Number
    roll: Number


class FaceTimings(BaseModel):
    """Per-face milliseconds: detection of the whole image, crop, network, read-out."""

    detect: float
    crop: float
    model: float
    post: float


class FaceResult(BaseModel):
    box: Annotated[list[Number], Field(min_length=4, max_length=4)] = Field(
        description="detection box left, top, right, bottom (pixels)"
    )
    score: Number = Field(description="detector confidence in [0, 1]")
    landmarks: Annotated[list[Point3], Field(min_length=68, max_length=68)] = Field(
        description="iBUG-68 landmarks, (68, 3) x, y, z pixels"
    )
    pose: Pose
    timings_ms: FaceTimings


class ImageInfo(BaseModel):
    format: str = Field(description="jpeg, png, webp or bmp")
    width: int
    height: int


class RequestTimings(BaseModel):
    """Milliseconds of this request: waiting for a worker, decoding, reconstructing, total."""

    queue: float
    decode: float
    reconstruct: float
    total: float


class ModelRef(BaseModel):
    name: str
    format: str = Field(description="keras, tflite or onnx")
    precision: str = Field(description="fp32, fp16, int8, ...")
    resolution: int = Field(description="crop / UV map side, pixels")
    flip_test: bool = Field(
        False, description="each crop's posmap averaged with its mirror image's (two runs)"
    )


class ReconstructResponse(BaseModel):
    """Every face found in the image, best detection first."""

    model: ModelRef
    image: ImageInfo
    faces: list[FaceResult] = Field(min_length=1)
    timings_ms: RequestTimings


class ModelInfo(ModelRef):
    file: str = Field(description="the model file's name")
    metadata: dict[str, Any] | None = Field(
        description="the artifact's lprnet metadata (schema lprnet.model/1) when it carries "
        "any, else null"
    )
    metadata_source: str = Field(
        description="where metadata and precision came from: 'embedded', 'sidecar' or 'backend'"
    )


class ModelList(BaseModel):
    models: list[ModelInfo]


class Health(BaseModel):
    status: Literal["ok"]
    workers: int = Field(description="worker threads, each with its own model instance")
    capacity: int = Field(description="requests admitted at once (workers + queue)")
    in_flight: int = Field(description="requests running or queued now")
    completed: int = Field(description="requests reconstructed since the start")
    service_ms: float | None = Field(description="running mean of a request's work, ms")
