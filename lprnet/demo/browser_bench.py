"""Browser latency of a TF.js model per tfjs backend, read from the demo page in headless Chromium.

The page exposes ``window.lprnetBench(runs)`` (web_demo/js/main.js): the median of ``runs``
posmap-network executions (``model_ms_median``: upload of the crop, inference, read-back) and,
with a photo loaded, of whole frames (``pipeline_ms_median``: BlazeFace, crop, network, read-out,
mesh render). :func:`measure` serves the page with :class:`~lprnet.demo.server.DemoServer`, opens
it once per backend in Debian's Chromium driven by Playwright (never a downloaded browser), and
returns those numbers for the benchmark harness.

WebGL runs on SwiftShader (software) in a headless machine without a GPU: its numbers say
nothing about a real GPU.
"""

from __future__ import annotations

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
    from lprnet.demo.server import DemoServer

    if not Path(chromium).is_file():
        raise LprnetError(f"{chromium}: no browser (apt-get install -y chromium)")
    bad = [b for b in backends if b not in BACKENDS]
    if bad or runs < 1:
        raise LprnetError(f"backends must be among {', '.join(BACKENDS)} and runs >= 1")
    if image is not None and not Path(image).is_file():
        raise LprnetError(f"{image}: no such image")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise LprnetError("browser latency needs the playwright Python package") from exc
    timeout_ms = timeout_s * 1000
    results = []
    with DemoServer(model_dir, port=0) as server, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium), headless=True, args=list(CHROMIUM_FLAGS)
        )
        try:
            for backend in backends:
                page = browser.new_page()
                page.goto(f"{server.url}?backend={backend}")
                page.wait_for_function(
                    "window.lprnetReady || window.lprnetError", timeout=timeout_ms
                )
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
        finally:
            browser.close()
    return results
