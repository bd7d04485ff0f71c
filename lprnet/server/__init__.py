"""HTTP reconstruction server: ``lprnet serve`` (FastAPI + uvicorn).

``POST /v1/reconstruct`` (an image: multipart field ``image`` or the raw body) returns the faces
as JSON, or with ``?mesh=obj|ply|glb`` the first face's mesh; ``GET /v1/models``,
``GET /healthz``, ``GET /openapi.json``. See docs/server.md.

Modules: :mod:`~lprnet.server.app` (the application), :mod:`~lprnet.server.upload` (bounded
body reading), :mod:`~lprnet.server.imageheader` and :mod:`~lprnet.server.limits` (what is
accepted, safe decoding), :mod:`~lprnet.server.pool` (worker threads and the bounded queue),
:mod:`~lprnet.server.schemas` (response models), :mod:`~lprnet.server.meshes` and
:mod:`~lprnet.server.glb` (mesh files), :mod:`~lprnet.server.modelinfo` (``/v1/models``),
:mod:`~lprnet.server.command` (the CLI verb).
"""
