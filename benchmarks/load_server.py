"""Load test of ``lprnet serve`` on loopback: concurrent clients POSTing face photos.

    python benchmarks/load_server.py [--model M] [--clients 8] [--requests 1000]
        [--max-seconds 900] [--workers N] [--queue Q] [--json runs/load_server.json]

Starts the server as a subprocess on a free 127.0.0.1 port, builds a set of JPEG crops around
the faces of the photos in the data directory (``$LPRNET_DATA/photos``; without one, the
embedded set's 256 px crops), keeps those the server finds a face in (one warm-up pass), then
runs ``--clients`` threads that each send ``--requests`` requests (keep-alive connections,
crops taken in turn), stopping early after ``--max-seconds``. Reports requests/s, latency
p50 / p90 / p99 / max, errors (any status but 200, and connection failures), the server's
timings, and its resident memory (VmRSS from /proc) when ready, after warm-up, during the
load (max of samples every 0.5 s) and after, plus VmHWM (peak). Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from lprnet.fileio import write_json
from lprnet.machine import describe

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` of a process, MiB (empty when it is gone)."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def photo_crops(folder: Path, limit: int) -> list[bytes]:
    """JPEG crops around every detected face of the photos under ``folder``, mixed sizes.

    Each face gives a square crop of 2.2x its detector box (clamped to the image), resized so
    its side is one of 160 / 256 / 384 / 512 px in turn, plus the whole photo (longest side at
    most 640 px).
    """
    from lprnet.inference.detect import make_detector

    detector = make_detector("auto")
    sides = (160, 256, 384, 512)
    crops: list[bytes] = []
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    for path in files:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        h, w = bgr.shape[:2]
        scale = min(1.0, 640 / max(h, w))
        whole = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        crops.append(cv2.imencode(".jpg", whole, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
        for box in detector.detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)):
            left, top, right, bottom = box[:4]
            cx, cy, half = (left + right) / 2, (top + bottom) / 2, 1.1 * max(right - left, 1)
            x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
            x1, y1 = int(min(w, cx + half)), int(min(h, cy + half))
            if min(x1 - x0, y1 - y0) < 48:
                continue
            side = sides[len(crops) % len(sides)]
            crop = bgr[y0:y1, x0:x1]
            f = side / max(crop.shape[:2])
            crop = cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            crops.append(cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
            if len(crops) >= limit:
                return crops
    return crops


def embedded_crops(limit: int) -> list[bytes]:
    """The embedded set's 256 px face crops as JPEG."""
    from lprnet.data.embedded import load_embedded_set

    images = load_embedded_set().images(size=256)
    out = []
    for img in images[:limit]:
        rgb = np.clip(np.asarray(img) * (255 if img.dtype.kind == "f" else 1), 0, 255)
        bgr = cv2.cvtColor(rgb.astype(np.uint8), cv2.COLOR_RGB2BGR)
        out.append(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
    return out


class Server:
    """``lprnet serve`` in a subprocess on 127.0.0.1."""

    def __init__(self, args: argparse.Namespace):
        self.port = free_port()
        cmd = [
            sys.executable, "-m", "lprnet.cli", "serve", "--host", "127.0.0.1",
            "--port", str(self.port), "--workers", str(args.workers), "--queue", str(args.queue),
            "--threads", str(args.threads), "--log-level", "warning",
        ]  # fmt: skip
        if args.model:
            cmd += ["--model", args.model]
        self.log = open(args.server_log, "w")  # closed in stop()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url("/v1/models"), timeout=5) as r:
                    return json.load(r)["models"][0]
            except OSError:
                if self.proc.poll() is not None:
                    code = self.proc.returncode
                    raise SystemExit(f"the server exited ({code}); see its log") from None
                if time.monotonic() > deadline:
                    raise SystemExit(f"the server was not ready after {timeout:.0f} s") from None
                time.sleep(0.25)

    def health(self) -> dict:
        with urllib.request.urlopen(self.url("/healthz"), timeout=10) as r:
            return json.load(r)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def post(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, bytes]:
    conn.request("POST", "/v1/reconstruct", body=body, headers={"Content-Type": "image/jpeg"})
    response = conn.getresponse()
    return response.status, response.read()


def run_load(server: Server, crops: list[bytes], args: argparse.Namespace) -> dict:
    """``clients`` threads x ``requests`` each; latencies (ms) and outcomes."""
    latencies: list[float] = []
    outcomes: Counter = Counter()
    server_ms: dict[str, list[float]] = {"queue": [], "decode": [], "reconstruct": []}
    lock = threading.Lock()
    deadline = time.monotonic() + args.max_seconds
    bar = tqdm(total=args.clients * args.requests, desc="load", unit="req", mininterval=2.0)

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        for i in range(args.requests):
            if time.monotonic() > deadline:
                break
            body = crops[(k * 7 + i) % len(crops)]
            start = time.perf_counter()
            try:
                status, data = post(conn, body)
                outcome = str(status)
            except (OSError, http.client.HTTPException) as exc:
                status, data, outcome = 0, b"", type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            ms = (time.perf_counter() - start) * 1e3
            timings = json.loads(data)["timings_ms"] if status == 200 else {}
            with lock:
                latencies.append(ms)
                outcomes[outcome] += 1
                for key in server_ms:
                    if key in timings:
                        server_ms[key].append(timings[key])
                bar.update()
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    bar.close()
    lat = np.array(latencies)
    ok = outcomes.get("200", 0)
    return {
        "requests": len(latencies),
        "ok": ok,
        "errors": len(latencies) - ok,
        "outcomes": dict(outcomes),
        "seconds": elapsed,
        "stopped_early": len(latencies) < args.clients * args.requests,
        "requests_per_s": len(latencies) / elapsed if elapsed else 0.0,
        "latency_ms": {
            "p50": float(np.percentile(lat, 50)),
            "p90": float(np.percentile(lat, 90)),
            "p99": float(np.percentile(lat, 99)),
            "max": float(lat.max()),
            "mean": float(lat.mean()),
        },
        "server_ms_mean": {k: float(np.mean(v)) if v else None for k, v in server_ms.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="served model (default: the server's default)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=1000, help="per client")
    parser.add_argument("--max-seconds", type=float, default=900, help="stop the load after")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--queue", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="runtime threads per worker")
    parser.add_argument("--photos", type=Path, help="photo folder (default $LPRNET_DATA/photos)")
    parser.add_argument("--crops", type=int, default=48, help="at most this many test images")
    parser.add_argument("--startup-timeout", type=float, default=900)
    parser.add_argument("--json", type=Path, default=Path("runs/load_server.json"))
    parser.add_argument("--server-log", type=Path, default=Path("runs/load_server.log"))
    args = parser.parse_args()
    if not (1 <= args.clients <= 64 and 1 <= args.requests <= 100_000):
        raise SystemExit("--clients must be in 1..64 and --requests in 1..100000")
    args.server_log.parent.mkdir(parents=True, exist_ok=True)

    photos = args.photos
    if photos is None and os.environ.get("LPRNET_DATA"):
        photos = Path(os.environ["LPRNET_DATA"]) / "photos"
    if photos is not None and photos.is_dir():
        crops, source = photo_crops(photos, args.crops), str(photos)
    else:
        crops, source = embedded_crops(args.crops), "embedded set (256 px crops)"
    print(f"{len(crops)} test images from {source}", flush=True)

    machine = describe()  # load average before the run
    server = Server(args)
    try:
        model = server.wait_ready(args.startup_timeout)
        rss = {"ready": proc_status(server.proc.pid)}
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        kept, dropped = [], Counter()
        for body in crops:  # warm-up: keep the images the server finds a face in
            status, data = post(conn, body)
            if status == 200:
                kept.append(body)
            else:
                dropped[json.loads(data)["error"]["code"]] += 1
        conn.close()
        if not kept:
            raise SystemExit(f"no test image gave a face: {dict(dropped)}")
        rss["warm"] = proc_status(server.proc.pid)
        print(
            f"serving {model['file']} ({model['format']} {model['precision']}); "
            f"{len(kept)} images kept, dropped {dict(dropped) or 'none'}",
            flush=True,
        )
        samples: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.5):
                samples.append(proc_status(server.proc.pid).get("VmRSS", 0.0))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        load = run_load(server, kept, args)
        stop.set()
        sampler.join()
        rss["during_max"] = {"VmRSS": max(samples, default=0.0)}
        rss["after"] = proc_status(server.proc.pid)
        health = server.health()
    finally:
        code = server.stop()
    report = {
        "machine": machine,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "model": {k: model[k] for k in ("name", "file", "format", "precision", "resolution")},
        "server": {"workers": args.workers, "queue": args.queue, "threads": args.threads},
        "clients": args.clients,
        "requests_per_client": args.requests,
        "images": {"source": source, "kept": len(kept), "dropped": dict(dropped)},
        **load,
        "server_rss_mib": rss,
        "server_health_after": health,
        "server_exit_code": code,
    }
    write_json(args.json, report)
    lat = load["latency_ms"]
    print()
    print("| clients x requests | done | errors | req/s | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.clients} x {args.requests} | {load['requests']} | {load['errors']} | "
        f"{load['requests_per_s']:.1f} | {lat['p50']:.1f} | {lat['p90']:.1f} | "
        f"{lat['p99']:.1f} | {lat['max']:.1f} |"
    )
    print()
    print("| server RSS MiB | ready | after warm-up | max during load | after | peak (VmHWM) |")
    print("|---|---|---|---|---|---|")
    print(
        f"| | {rss['ready'].get('VmRSS', 0):.0f} | {rss['warm'].get('VmRSS', 0):.0f} | "
        f"{rss['during_max']['VmRSS']:.0f} | {rss['after'].get('VmRSS', 0):.0f} | "
        f"{rss['after'].get('VmHWM', 0):.0f} |"
    )
    srv = load["server_ms_mean"]
    print(
        f"\nserver means (ms): queue {srv['queue']:.1f}, decode {srv['decode']:.1f}, "
        f"reconstruct {srv['reconstruct']:.1f}; outcomes {load['outcomes']}; "
        f"server exit code {code}; wrote {args.json}"
    )


if __name__ == "__main__":
    main()
