"""The FastAPI application: ``POST /v1/reconstruct``, ``GET /v1/models``, ``GET /healthz``.

>>> app = create_app("lprnet_128-int8.tflite", workers=2, queue=8)   # then uvicorn.run(app)

Every error is JSON ``{"error": {"code", "message"}}`` (:class:`ApiError`); bad uploads are
4xx (:mod:`lprnet.server.limits`, :mod:`lprnet.server.upload`), a full queue 503 with
``Retry-After``. Work (decoding, detection, the network, meshes) runs on a bounded pool of
worker threads (:mod:`lprnet.server.pool`), each with its own :class:`Reconstructor`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from lprnet import __version__
from lprnet.errors import LprnetError
from lprnet.inference.outputs import face_record
from lprnet.inference.reconstructor import Face, Reconstructor
from lprnet.server import schemas
from lprnet.server.errors import ApiError
from lprnet.server.imageheader import SUPPORTED, ImageHeader
from lprnet.server.limits import Limits, check_image, decode_image
from lprnet.server.meshes import MESH_MEDIA_TYPES, mesh_bytes
from lprnet.server.modelinfo import describe_model, model_path
from lprnet.server.pool import PoolBusy, WorkerPool
from lprnet.server.upload import FIELD, RAW_TYPES, read_image

log = logging.getLogger("lprnet.server")

MeshFormat = Literal["obj", "ply", "glb"]


class Engine(Protocol):
    """What a worker owns: a :class:`Reconstructor` or anything with the same two members."""

    model: Any  # PosmapModel: name, format, resolution

    def reconstruct(self, image: Any) -> list[Face]: ...


@dataclass
class _Result:
    payload: Any  # list of face dicts, or mesh bytes
    width: int  # of the decoded image (EXIF orientation applied)
    height: int
    queue_ms: float
    decode_ms: float
    reconstruct_ms: float


def _finite(value: Any) -> Any:
    """NaN / inf -> None, recursively (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def face_result(face: Face) -> dict[str, Any]:
    """One face as the API reports it (:class:`schemas.FaceResult`)."""
    record = face_record(face)
    return _finite({k: record[k] for k in ("box", "score", "landmarks", "pose", "timings_ms")})


def _job(
    engine: Engine, data: bytes, header: ImageHeader, mesh: str | None, submitted: float
) -> _Result:
    """Decode, reconstruct and encode one upload (runs on a worker thread)."""
    started = time.perf_counter()
    rgb = decode_image(data, header)
    decoded = time.perf_counter()
    try:
        faces = engine.reconstruct(rgb)
    except LprnetError as exc:
        raise ApiError(422, "unprocessable_image", str(exc)) from None
    if not faces:
        raise ApiError(
            422,
            "no_face",
            f"no face found in the {rgb.shape[1]}x{rgb.shape[0]} {header.format} image",
        )
    if mesh is None:
        payload: Any = [face_result(f) for f in faces]
    else:
        payload = mesh_bytes(faces[0], mesh)
    return _Result(
        payload,
        width=int(rgb.shape[1]),
        height=int(rgb.shape[0]),
        queue_ms=(started - submitted) * 1e3,
        decode_ms=(decoded - started) * 1e3,
        reconstruct_ms=(time.perf_counter() - decoded) * 1e3,
    )


def _error(exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


_ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}

_ERRORS = {
    status: {"model": schemas.ErrorResponse, "description": text}
    for status, text in {
        400: "empty body, malformed multipart body or Content-Length",
        413: "body over --max-bytes (too_large) or image over --max-pixels (too_many_pixels)",
        415: "content type or image format not accepted",
        422: "not an image, corrupt / truncated image, image too small, no face, "
        "missing 'image' field, invalid query parameter",
        503: "every worker busy and the queue full; retry after Retry-After seconds",
    }.items()
}

_BINARY = {"schema": {"type": "string", "format": "binary"}}
_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "description": f"an image ({', '.join(SUPPORTED)}): a multipart/form-data file field "
        f"{FIELD!r}, or the image itself as the body",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {FIELD: {"type": "string", "format": "binary"}},
                    "required": [FIELD],
                }
            },
            "image/jpeg": _BINARY,
            "image/png": _BINARY,
            "image/webp": _BINARY,
            "image/bmp": _BINARY,
            **{t: _BINARY for t in RAW_TYPES},
        },
    }
}


def create_app(
    model: str | os.PathLike | None = None,
    *,
    workers: int = 1,
    queue: int = 8,
    threads: int | None = 1,
    limits: Limits | None = None,
    detector: str = "auto",
    data_dir: str | os.PathLike | None = None,
    engine_factory: Callable[[], Engine] | None = None,
    flip_test: bool = False,
) -> FastAPI:
    """Build the application and start its workers (each loads the model now).

    Parameters
    ----------
    model : path-like or str, optional
        Any posmap network :func:`lprnet.inference.backends.load_model` reads (``.tflite``,
        ``.onnx``, ``.keras`` / ``.h5``) or a shipped name; default: the shipped L-PRNet's int8
        TFLite export (``export.api.ensure_artifact``, made on first use).
    workers : int
        Worker threads, each with its own model and detector instance.
    queue : int
        Requests that may wait for a worker; one more gets 503.
    threads : int, optional
        CPU threads of each worker's LiteRT / ONNX runtime.
    limits : Limits, optional
        Upload limits (default :class:`Limits`).
    detector : {"auto", "blazeface", "haar"}
    data_dir : path-like, optional
        Face-model data directory (only for a resolution without packaged UV tables).
    engine_factory : callable, optional
        Builds each worker's engine instead of a :class:`Reconstructor` (tests); ``model``
        then only names the file whose metadata ``/v1/models`` reports.
    flip_test : bool
        Each crop's posmap averaged with its mirror image's (twice the model time); reported
        as ``flip_test`` in ``/v1/models`` and every response's model.

    Raises
    ------
    LprnetError
        The model cannot be loaded (the message names the file), or bad settings.
    """
    limits = limits or Limits()
    if workers < 1 or queue < 0:
        raise LprnetError(f"--workers must be >= 1 and --queue >= 0, got {workers}, {queue}")
    path: Path | None = None
    if engine_factory is None:
        path = model_path(model)

        def engine_factory() -> Engine:
            return Reconstructor(
                path, detector=detector, data_dir=data_dir, threads=threads, flip_test=flip_test
            )

    elif model is not None:
        path = Path(model)
    pool: WorkerPool[Engine] = WorkerPool(engine_factory, workers, queue)
    info = {**describe_model(pool.states[0].model, path), "flip_test": flip_test}
    model_ref = schemas.ModelRef(**{k: info[k] for k in schemas.ModelRef.model_fields})

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        pool.close()

    app = FastAPI(
        title="lprnet",
        version=__version__,
        description="Single-image 3D face reconstruction (PRNet-style UV position maps): "
        "faces with boxes, 68 3D landmarks and head pose, or the face mesh.",
        lifespan=lifespan,
    )
    app.state.pool = pool
    app.state.limits = limits
    app.state.model_info = info
    app.state.internal_errors = 0

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _ERROR_CODES.get(exc.status_code, "http_error")
        return _error(ApiError(exc.status_code, code, str(exc.detail), dict(exc.headers or {})))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors()[:3]:
            where = ".".join(str(x) for x in e.get("loc", ()))
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return _error(ApiError(422, "invalid_parameter", "; ".join(parts) or "invalid request"))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        app.state.internal_errors += 1
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _error(ApiError(500, "internal_error", f"internal error ({type(exc).__name__})"))

    @app.get("/healthz", response_model=schemas.Health, summary="liveness and load")
    async def healthz() -> schemas.Health:
        return schemas.Health(
            status="ok",
            workers=pool.workers,
            capacity=pool.capacity,
            in_flight=pool.admitted,
            completed=pool.completed,
            service_ms=pool.service_ms,
        )

    @app.get("/v1/models", response_model=schemas.ModelList, summary="the model served")
    async def models() -> schemas.ModelList:
        return schemas.ModelList(models=[schemas.ModelInfo(**info)])

    @app.post(
        "/v1/reconstruct",
        response_model=schemas.ReconstructResponse,
        summary="3D faces of an image",
        description="Detect every face, regress its UV position map and return the faces "
        "(box, score, 68 3D landmarks, pose, timings); with `mesh`, the mesh of the first "
        "(best) face as OBJ, binary PLY or glTF binary instead.",
        responses={
            200: {
                "description": "faces as JSON, or the mesh file when `mesh` is given",
                "content": {t: _BINARY for t in MESH_MEDIA_TYPES.values()},
            },
            **_ERRORS,
        },
        openapi_extra=_REQUEST_BODY,
    )
    async def reconstruct(
        request: Request,
        mesh: Annotated[
            MeshFormat | None,
            Query(description="return the first face's mesh in this format instead of JSON"),
        ] = None,
    ) -> Any:
        start = time.perf_counter()
        data = await read_image(request, limits.max_bytes)
        header = check_image(data, limits)
        job = partial(_job, data=data, header=header, mesh=mesh, submitted=time.perf_counter())
        try:
            result: _Result = await pool.run(job)
        except PoolBusy as exc:
            raise ApiError(
                503,
                "busy",
                f"the server is busy ({exc}); retry after {exc.retry_after} s",
                {"Retry-After": str(exc.retry_after)},
            ) from None
        except ApiError:
            raise
        except Exception as exc:
            app.state.internal_errors += 1
            log.exception("reconstruction failed")
            raise ApiError(500, "internal_error", f"reconstruction failed ({exc!r:.200})") from exc
        if mesh is not None:
            return Response(
                result.payload,
                media_type=MESH_MEDIA_TYPES[mesh],
                headers={"Content-Disposition": f'attachment; filename="face_0.{mesh}"'},
            )
        return schemas.ReconstructResponse(
            model=model_ref,
            image=schemas.ImageInfo(format=header.format, width=result.width, height=result.height),
            faces=result.payload,
            timings_ms=schemas.RequestTimings(
                queue=round(result.queue_ms, 3),
                decode=round(result.decode_ms, 3),
                reconstruct=round(result.reconstruct_ms, 3),
                total=round((time.perf_counter() - start) * 1e3, 3),
            ),
        )

    return app
