"""Browser latency of a TF.js model per tfjs backend, read from the demo page in headless Chromium.

The page exposes ``window.lprnetBench(runs)`` (web_demo/js/main.js): the median of ``runs``
posmap-network executions (``model_ms_median``: upload of the crop, inference, read-back) and,
with a photo loaded, of whole frames (``pipeline_ms_median``: BlazeFace, crop, network, read-out,
mesh render). :func:`measure` serves the page with :class:`~lprnet.demo.server.DemoServer`, opens
it once per backend in Debian's Chromium driven by Playwright (never a downloaded browser), and
returns those numbers for the benchmark harness. :func:`webcam_fps` plays a photo through
Chromium's fake camera into the page's webcam loop and counts frames per second end to end, with
the tracking loop and with the detector on every frame.

WebGL runs on SwiftShader (software) in a headless machine without a GPU: its numbers say
nothing about a real GPU.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from lprnet.errors import LprnetError

CHROMIUM = "/usr/bin/chromium"
BACKENDS = ("wasm", "webgl", "cpu")
#: ../shared/notes/stack.md: no background network traffic, software WebGL allowed.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",
)


@contextlib.contextmanager
def _page_server(model_dir, chromium, extra_flags=(), what="browser latency"):
    """The demo server on a free port and headless Chromium: yields ``(server, browser)``."""
    from lprnet.demo.server import DemoServer

    if not Path(chromium).is_file():
        raise LprnetError(f"{chromium}: no browser (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise LprnetError(f"{what} needs the playwright Python package") from exc
    with DemoServer(model_dir, port=0) as server, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium), headless=True, args=[*CHROMIUM_FLAGS, *extra_flags]
        )
        try:
            yield server, browser
        finally:
            browser.close()


def measure(
    model_dir: str | os.PathLike,
    backends: tuple[str, ...] = BACKENDS,
    runs: int = 20,
    image: str | os.PathLike | None = None,
    chromium: str | os.PathLike = CHROMIUM,
    timeout_s: float = 120.0,
) -> list[dict]:
    """Median browser latency per backend.

    Parameters
    ----------
    model_dir : path-like
        A TF.js model folder (``model.json`` + ``lprnet.json``), e.g.
        ``export.api.ensure_artifact("lprnet_128", "tfjs", "uint8")``.
    backends : tuple of {"wasm", "webgl", "cpu"}
    runs : int
        Timed runs per backend (after 3 warm-up runs).
    image : path-like, optional
        A photo with a face: also times whole frames (``pipeline_ms_median``).
    chromium : path-like
        The browser binary (Debian's ``chromium`` package).

    Returns
    -------
    list of dict
        One per backend: ``backend``, ``model``, ``precision``, ``n``, ``runs``, ``threads``
        (wasm), ``model_ms_median``, ``model_ms`` (each run, ms), ``pipeline_ms_median`` (None
        without ``image``), ``pipeline_ms``, ``user_agent``.
    """
    bad = [b for b in backends if b not in BACKENDS]
    if bad or runs < 1:
        raise LprnetError(f"backends must be among {', '.join(BACKENDS)} and runs >= 1")
    if image is not None and not Path(image).is_file():
        raise LprnetError(f"{image}: no such image")
    timeout_ms = timeout_s * 1000
    results = []
    with _page_server(model_dir, chromium) as (server, browser):
        for backend in backends:
            page = browser.new_page()
            page.goto(f"{server.url}?backend={backend}")
            page.wait_for_function("window.lprnetReady || window.lprnetError", timeout=timeout_ms)
            error = page.evaluate("window.lprnetError")
            if error is None and image is not None:
                page.set_input_files("#file", str(image))
                page.wait_for_function(
                    "window.lprnetResult || window.lprnetError", timeout=timeout_ms
                )
                error = page.evaluate("window.lprnetError")
            if error is not None:
                raise LprnetError(f"demo page on {backend}: {error}")
            results.append(page.evaluate(f"window.lprnetBench({int(runs)})"))
            page.close()
    return results


#: Frames per second of the fake camera: Chromium's fake capture device caps its rate at 60
#: (``kFakeCaptureMaxFrameRate``), the rate of a 60 Hz webcam.
CAMERA_FPS = 60


def _webcam_run(
    page, backend: str, mode: str, warmup_s: float, seconds: float, camera_fps: int
) -> dict:
    """One ``webcam_fps`` row: the page's webcam loop in ``mode``, counted for ``seconds``."""
    import time

    page.evaluate(f"window.lprnet.setTracking({str(mode == 'tracking').lower()})")
    page.evaluate("window.lprnet.startWebcam()")
    time.sleep(warmup_s)
    page.evaluate("window.lprnet.resetWebcamStats()")
    time.sleep(seconds)
    stats = page.evaluate("window.lprnet.webcamStats()")
    last = page.evaluate("window.lprnetResult")
    page.evaluate("window.lprnet.stopWebcam()")
    error = page.evaluate("window.lprnetError")
    if error is not None:
        raise LprnetError(f"demo page webcam on {backend}: {error}")
    keys = ("fps", "frames", "detector_runs", "tracked_frames", "seconds", "threads", "view_hz",
            "software_gl")  # fmt: skip
    return {
        "backend": backend,
        "mode": mode,
        **{k: stats[k] for k in keys},
        "camera_fps": stats.get("camera_fps") or camera_fps,  # as the page's track reports it
        "ms_per_frame": (last or {}).get("timings"),
    }


def webcam_frame(image, width: int = 640, height: int = 480):
    """An RGB image letterboxed into a ``width`` x ``height`` frame (the size the page asks for).

    Returns
    -------
    (height, width, 3) uint8
    """
    import cv2
    import numpy as np

    scale = min(height / image.shape[0], width / image.shape[1])
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.zeros((height, width, 3), np.uint8)
    y0, x0 = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    frame[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return frame


def write_y4m(frame, path: str | os.PathLike, frames: int = 2, fps: int = CAMERA_FPS) -> None:
    """An RGB frame as a YUV4MPEG2 (4:2:0) clip at ``fps`` frames per second: Chromium's fake
    webcam plays it in a loop at that rate."""
    import cv2

    h, w = frame.shape[:2]
    yuv = cv2.cvtColor(frame[: h - h % 2, : w - w % 2], cv2.COLOR_RGB2YUV_I420)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w - w % 2} H{h - h % 2} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + yuv.tobytes())


def fake_camera_flags(clip: str | os.PathLike) -> list[str]:
    """Chromium flags that make ``getUserMedia`` play ``clip`` (a .y4m file) as the webcam."""
    return [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    ]


def webcam_fps(
    model_dir: str | os.PathLike,
    image: str | os.PathLike,
    backends: tuple[str, ...] = ("wasm",),
    seconds: float = 10.0,
    warmup_s: float = 3.0,
    chromium: str | os.PathLike = CHROMIUM,
    timeout_s: float = 120.0,
    query: str = "",
    camera_fps: int = CAMERA_FPS,
) -> list[dict]:
    """End-to-end webcam frames per second of the demo page on a fake camera.

    The photo is letterboxed into a 640x480 clip that Chromium's fake camera plays; per backend
    the page's webcam loop runs ``warmup_s`` seconds, then ``seconds`` are counted, once with
    the tracking loop (``mode="tracking"``: the detector runs when the track is lost and every
    30th frame) and once with the detector on every frame (``mode="detector"``). The camera
    delivers ``camera_fps`` frames per second (60 by default, Chromium's fake-camera maximum):
    a loop that keeps up is capped there.

    Returns
    -------
    list of dict
        One per backend and mode: ``backend``, ``mode``, ``fps``, ``frames``,
        ``detector_runs``, ``tracked_frames``, ``seconds``, ``threads``, ``view_hz`` (3D view
        refreshes per second), ``software_gl`` (WebGL on SwiftShader), ``camera_fps``,
        ``ms_per_frame`` (the last frame's timings: detect, crop, model, post, render, total).
        ``query`` is appended to the page's URL (e.g. ``view_hz=0``).
    """
    import tempfile

    import cv2

    bgr = cv2.imread(str(image))
    if bgr is None:
        raise LprnetError(f"{image}: not an image")
    timeout_ms = timeout_s * 1000
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "face.y4m"
        write_y4m(webcam_frame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)), clip, fps=camera_fps)
        flags = fake_camera_flags(clip)
        with _page_server(model_dir, chromium, flags, "webcam fps") as (server, browser):
            for backend in backends:
                page = browser.new_page()
                page.goto(f"{server.url}?backend={backend}{'&' + query if query else ''}")
                page.wait_for_function(
                    "window.lprnetReady || window.lprnetError", timeout=timeout_ms
                )
                for mode in ("tracking", "detector"):
                    run = _webcam_run(page, backend, mode, warmup_s, seconds, camera_fps)
                    results.append(run)
                page.close()
    return results
