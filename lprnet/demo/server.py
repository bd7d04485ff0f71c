"""A static file server for the browser demo (``web_demo/``) and one TF.js model, on 127.0.0.1.

``/`` serves the page folder, ``/model/`` the TF.js graph model folder (``model.json``, weight
shards, ``lprnet.json``). Every response carries the MIME type the browser insists on
(``application/wasm`` for the WebAssembly backend, ``text/javascript`` for modules) and the two
cross-origin isolation headers (``Cross-Origin-Opener-Policy: same-origin``,
``Cross-Origin-Embedder-Policy: require-corp``) under which Chromium lets the tfjs wasm backend
use threads (SharedArrayBuffer). Nothing is fetched from outside: the page runs offline.

``lprnet.json`` is served with ``uv.canonical_points`` added when the model folder's copy lacks
them (the canonical face the head pose is fitted to, from the packaged UV tables), so the page
shows the head pose the same way :func:`lprnet.geometry.posmap.head_pose` computes it.
"""

from __future__ import annotations

import json
import os
import threading
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lprnet.errors import LprnetError

#: The page folder in a source checkout (the package lives beside it).
WEB_ROOT = Path(__file__).resolve().parents[2] / "web_demo"
HOST = "127.0.0.1"
MODEL_PREFIX = "/model/"
#: Files the page cannot run without (``npm ci && npm run vendor`` in web_demo/ writes vendor/).
REQUIRED = (
    "index.html",
    "js/main.js",
    "vendor/tf.min.js",
    "vendor/tf-backend-wasm.min.js",
    "vendor/tfjs-backend-wasm-simd.wasm",
    "vendor/three.module.js",
    "vendor/three.core.js",
    "vendor/addons/controls/OrbitControls.js",
    "models/blazeface-full/model.json",
    "models/blazeface-short/model.json",
)
MIME = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".bin": "application/octet-stream",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}


def check_web_root(root: str | os.PathLike) -> Path:
    """The page folder, checked for the files it needs (vendored libraries, detector models)."""
    root = Path(root)
    missing = [f for f in REQUIRED if not (root / f).is_file()]
    if missing:
        raise LprnetError(
            f"{root}: the web demo is incomplete (missing {', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}); in web_demo/ run `npm ci && npm run vendor`, "
            "or give --root the page folder of a source checkout"
        )
    return root


def check_model_dir(folder: str | os.PathLike) -> Path:
    """A TF.js graph model folder with ``model.json`` and ``lprnet.json``."""
    folder = Path(folder)
    for name in ("model.json", "lprnet.json"):
        if not (folder / name).is_file():
            raise LprnetError(f"{folder}: not an lprnet TF.js model folder (no {name})")
    try:
        spec = json.loads((folder / "model.json").read_text())
    except (OSError, ValueError) as exc:
        raise LprnetError(f"{folder / 'model.json'}: unreadable ({exc})") from exc
    if spec.get("format") != "graph-model":
        raise LprnetError(f"{folder / 'model.json'}: not a TF.js graph model")
    if "lprnet" not in spec.get("userDefinedMetadata", {}):
        raise LprnetError(f"{folder / 'model.json'}: no userDefinedMetadata.lprnet")
    return folder


def tables_json(folder: Path) -> bytes:
    """``lprnet.json`` of a model folder, with ``uv.canonical_points`` filled in when missing."""
    data = json.loads((folder / "lprnet.json").read_text())
    uv = data.get("uv", data)
    if "canonical_points" not in uv and "face_indices" in uv:
        import numpy as np

        from lprnet.geometry.uv_tables import uv_tables

        n = int(uv.get("resolution") or data.get("uv_resolution"))
        try:
            tables = uv_tables(n)
        except LprnetError:
            tables = None  # no packaged tables and no data dir: the page shows no pose
        if tables is not None and np.array_equal(tables.face_indices, uv["face_indices"]):
            uv["canonical_points"] = np.rint(tables.canonical_points).astype(int).tolist()
    return json.dumps(data, separators=(",", ":")).encode()


class DemoHandler(SimpleHTTPRequestHandler):
    """Static files of the page, plus ``/model/`` from the model folder."""

    def __init__(self, *args, model_dir: Path, quiet: bool = True, **kwargs):
        self.model_dir = model_dir
        self.quiet = quiet
        super().__init__(*args, **kwargs)

    def end_headers(self) -> None:
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def guess_type(self, path) -> str:
        return MIME.get(Path(str(path)).suffix.lower()) or super().guess_type(path)

    def log_message(self, format: str, *args) -> None:
        if not self.quiet:
            super().log_message(format, *args)

    def _model_file(self) -> tuple[bool, Path | None]:
        """(is a /model/ request, the file it names or None when there is none)."""
        path = unquote(urlsplit(self.path).path)
        if not path.startswith(MODEL_PREFIX):
            return False, None
        name = path[len(MODEL_PREFIX) :]
        target = self.model_dir / name
        if not name or "/" in name or "\\" in name or name.startswith(".") or not target.is_file():
            return True, None
        return True, target

    def _send_bytes(self, body: bytes, ctype: str, head: bool) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _serve(self, head: bool) -> None:
        is_model, target = self._model_file()
        if not is_model:
            return super().do_HEAD() if head else super().do_GET()
        if target is None:
            self.send_error(HTTPStatus.NOT_FOUND, "no such model file")
            return
        if target.name == "lprnet.json":
            body = tables_json(self.model_dir)
        else:
            body = target.read_bytes()
        self._send_bytes(body, self.guess_type(target), head)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)


class DemoServer:
    """The demo server on ``127.0.0.1:port`` (0: a free port), in a background thread.

    >>> with DemoServer(model_dir) as server:
    ...     print(server.url)      # http://127.0.0.1:PORT/
    """

    def __init__(
        self,
        model_dir: str | os.PathLike,
        port: int = 0,
        root: str | os.PathLike = WEB_ROOT,
        verbose: bool = False,
    ):
        self.root = check_web_root(root)
        self.model_dir = check_model_dir(model_dir)
        handler = partial(
            DemoHandler, directory=str(self.root), model_dir=self.model_dir, quiet=not verbose
        )
        try:
            self.httpd = ThreadingHTTPServer((HOST, port), handler)
        except OSError as exc:
            raise LprnetError(f"cannot listen on {HOST}:{port}: {exc.strerror}") from exc
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self) -> DemoServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def close(self) -> None:
        if self.thread is not None:
            self.httpd.shutdown()
            self.thread.join(timeout=5)
        self.httpd.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
