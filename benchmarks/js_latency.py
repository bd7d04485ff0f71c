"""TF.js latency: the wasm backend in Node and in headless Chromium (the web demo's page).

* Node: ``export/tfjs_runner.cjs`` with ``@tensorflow/tfjs`` + ``tfjs-backend-wasm`` (the web
  demo's npm folder or ``$LPRNET_TFJS_NODE_MODULES``) runs ``warmup + runs`` crops in one process
  and reports each run's time.
* Chromium: :func:`lprnet.demo.browser_bench.measure` opens the demo page in Debian's Chromium
  and reads ``lprnetBench(runs)`` (crop upload, inference, read-back).
* The webcam loop: :func:`lprnet.demo.browser_bench.webcam_fps` plays a photo through Chromium's
  fake camera into the page and counts frames per second end to end, tracking and detecting on
  every frame (:func:`measure_webcam`).

The page's wasm backend runs as many threads as the machine has cores (the ``threads`` of each
result); Node's one. They run after the Python
runtimes, not interleaved with them: compare them with each other and with ratios, carefully.
"""

from __future__ import annotations

import numpy as np

from benchmarks.latency import summarize

WARMUP = 5


def node_latency(folder: str, runs: int) -> dict:
    """``summarize`` of Node wasm times, or ``{"error": why}``."""
    from export.tfjs_node import TfjsNodeModel, find_node_modules
    from lprnet.errors import LprnetError

    if find_node_modules() is None:
        return {"error": "no node or no @tensorflow/tfjs npm folder (npm ci in web_demo/)"}
    try:
        model = TfjsNodeModel(folder, backend="wasm")
        n = model.resolution
        x = np.random.default_rng(0).random((WARMUP + runs, n, n, 3), dtype=np.float32)
        model.predict(x)
    except (LprnetError, OSError, ValueError) as exc:
        return {"error": str(exc)}
    return summarize(model.last_ms[WARMUP:])


def chromium_latency(folder: str, runs: int, backend: str = "wasm") -> dict:
    """``summarize`` of the demo page's model times on one tfjs backend, or ``{"error": why}``."""
    from lprnet.demo.browser_bench import measure
    from lprnet.errors import LprnetError

    try:
        (result,) = measure(folder, backends=(backend,), runs=runs)
    except (LprnetError, OSError, RuntimeError) as exc:
        return {"error": str(exc).splitlines()[0]}
    except Exception as exc:  # playwright's own errors (browser crash, timeout)
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
    return summarize(result["model_ms"])


#: The page's cpu and software-webgl backends take ~0.3 s a run: fewer runs.
SLOW_RUNS = 10


def measure_js(subjects, runs: int) -> dict[str, dict[str, dict]]:
    """``result[key]["1"]`` for every TF.js subject (one thread)."""
    out = {}
    for s in subjects:
        if s.format != "tfjs":
            continue
        js, path = s.extra["js"], str(s.path)
        if js == "node":
            out[s.key] = {"1": node_latency(path, runs)}
        elif js == "chromium":
            out[s.key] = {"1": chromium_latency(path, runs)}
        else:
            backend = js.split("-", 1)[1]
            out[s.key] = {"1": chromium_latency(path, min(runs, SLOW_RUNS), backend)}
    return out


def measure_webcam(subjects, image: str | None, seconds: float = 10.0) -> list[dict]:
    """Webcam fps of the demo page per Chromium wasm TF.js subject, or one ``{"error": why}``
    row per subject (no photo, no browser)."""
    from lprnet.demo.browser_bench import webcam_fps
    from lprnet.errors import LprnetError

    rows = []
    for s in subjects:
        if s.format != "tfjs" or s.extra.get("js") != "chromium":
            continue
        if image is None:
            rows.append(
                {
                    "key": s.key,
                    "error": "needs a photo with a face: set LPRNET_DATA or give --data-dir",
                }
            )
            continue
        try:
            rows += [{"key": s.key, **r} for r in webcam_fps(str(s.path), image, seconds=seconds)]
        except (LprnetError, OSError, RuntimeError) as exc:
            rows.append({"key": s.key, "error": str(exc).splitlines()[0]})
        except Exception as exc:  # playwright's own errors (browser crash, timeout)
            why = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            rows.append({"key": s.key, "error": why})
    return rows
