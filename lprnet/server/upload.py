"""Read the image of a request: a multipart ``image`` file field or a raw image body, bounded.

The body is read chunk by chunk and refused (413) as soon as it passes the limit, before it is
all in memory; a declared ``Content-Length`` over the limit is refused without reading.
"""

from __future__ import annotations

from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request

from lprnet.server.errors import ApiError
from lprnet.server.limits import too_large

#: The multipart field holding the image.
FIELD = "image"
#: Raw-body content types accepted besides ``image/*`` (and none at all).
RAW_TYPES = ("application/octet-stream",)
#: Room for multipart boundaries and part headers on top of the image limit, bytes.
MULTIPART_OVERHEAD = 64 * 1024
#: Text fields of a multipart body are ignored, but bounded.
MAX_FIELD_BYTES = 16 * 1024
#: A buffered multipart body is parsed in slices of this many bytes.
PARSE_CHUNK = 256 * 1024


def media_type(request: Request) -> str:
    """The request's content type without parameters, lower case ("" when absent)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_image(request: Request, max_bytes: int) -> bytes:
    """The image bytes of a ``POST /v1/reconstruct`` request.

    Parameters
    ----------
    request : Request
    max_bytes : int
        Largest image accepted, bytes.

    Raises
    ------
    ApiError
        415 for a content type that is neither multipart, ``image/*`` nor octet-stream; 413
        for a body over the limit; 400 for an empty body, a malformed multipart body or
        ``Content-Length``; 422 for a multipart body without an ``image`` file field.
    """
    mime = media_type(request)
    multipart = mime == "multipart/form-data"
    if not (multipart or mime == "" or mime in RAW_TYPES or mime.startswith("image/")):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"content type {mime!r} is not accepted: send multipart/form-data with an "
            f"{FIELD!r} file field, or the image itself as image/* or application/octet-stream",
        )
    limit = max_bytes + (MULTIPART_OVERHEAD if multipart else 0)
    body = await _read_body(request, limit, max_bytes)
    if not body:
        raise ApiError(400, "empty_body", "the request body is empty: send an image")
    data = await _image_field(request, body) if multipart else body
    if not data:
        raise ApiError(400, "empty_body", f"the {FIELD!r} field is empty: send an image")
    if len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    return data


async def _read_body(request: Request, limit: int, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise ApiError(400, "bad_request", f"invalid Content-Length {declared[:40]!r}")
        if int(declared) > limit:
            raise too_large(int(declared), max_bytes)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise too_large(len(body), max_bytes)
    except ClientDisconnect:
        raise ApiError(400, "client_disconnected", "the client closed the upload") from None
    return bytes(body)


async def _image_field(request: Request, body: bytes) -> bytes:
    async def stream():  # in slices: the event loop runs between them
        for start in range(0, len(body), PARSE_CHUNK):
            yield body[start : start + PARSE_CHUNK]

    parser = MultiPartParser(
        request.headers, stream(), max_files=4, max_fields=16, max_part_size=MAX_FIELD_BYTES
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ApiError(400, "bad_multipart", f"malformed multipart body: {exc.message}") from None
    except (ValueError, KeyError, TypeError, UnicodeError) as exc:
        raise ApiError(400, "bad_multipart", f"malformed multipart body: {exc}") from None
    try:
        part = form.get(FIELD)
        if part is None:
            names = ", ".join(sorted({repr(k) for k in form.keys()})) or "none"
            raise ApiError(
                422,
                "missing_image_field",
                f"the multipart body has no {FIELD!r} field (fields: {names})",
            )
        if isinstance(part, str):
            raise ApiError(
                422,
                "missing_image_field",
                f"the {FIELD!r} field is a text field; send the image as a file part "
                "(with a filename in its Content-Disposition)",
            )
        return await part.read()
    finally:
        await form.close()
