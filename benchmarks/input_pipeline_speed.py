"""Throughput of the training input pipeline (`lprnet.data.pipeline.make_dataset`), samples/s.

    python benchmarks/input_pipeline_speed.py [--shards DIR ...] [--samples 500] [--json out.json]

Without ``--shards`` it builds shards of the AFLW2000-3D samples in ``$LPRNET_DATA`` at 128 and
256 and copies their records into bigger shard folders (``--records`` records over 4 files), so
shuffling, interleaving and PNG decoding work on a realistic amount of data. For every shard
size it measures the pipeline at that size, with and without augmentation, and 256 shards feeding
a 128 model (resize + augmentation): batches of ``--batch`` after ``--warmup`` batches, for
about ``--samples`` samples, ``--repeats`` times (median, min, max), and the CPU time the pipeline
spends per sample. The load average is printed too: on a shared machine other processes take
cores and lower samples/s; ``cores / CPU-ms per sample`` is then what the cores would give alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from lprnet.machine import describe


def _synthetic_shards(src: Path, out: Path, records: int, files: int = 4) -> Path:
    """Copy the records of shard folder ``src`` round-robin into ``records`` records."""
    from lprnet.data import shards
    from lprnet.data.build import INDEX
    from lprnet.fileio import write_json
    from lprnet.tfenv import tf

    raw = [r.numpy() for f in shards.shard_files(src) for r in tf.data.TFRecordDataset(str(f))]
    index = json.loads((src / INDEX).read_text())
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for i in range(files):
        name = f"bench-{i:05d}-of-{files:05d}{shards.SUFFIX}"
        chunk = [raw[k % len(raw)] for k in range(i, records, files)]
        with tf.io.TFRecordWriter(str(out / name)) as writer:
            for record in chunk:
                writer.write(record)
        entries.append({"shard": i, "file": name, "count": len(chunk)})
    write_json(out / INDEX, {"size": index["size"], "shards": entries, "complete": True})
    return out


def measure(ds, batch: int, samples: int, warmup: int, repeats: int) -> tuple[list[float], float]:
    """Samples/s over about ``samples`` samples after ``warmup`` batches (``repeats`` times), and
    the CPU time per sample (ms, all threads of this process), which other load does not skew."""
    it = iter(ds)
    for _ in range(warmup):
        next(it)
    steps = max(1, round(samples / batch))
    rates, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(steps):
            next(it)
        rates.append(steps * batch / (time.perf_counter() - t))
        cpu.append((time.process_time() - c) * 1e3 / (steps * batch))
    return rates, statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shards", type=Path, nargs="*", help="shard folders (default: build)")
    parser.add_argument("--data-dir", help="face-model data directory (default $LPRNET_DATA)")
    parser.add_argument("--samples", type=int, default=512)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=8)
    parser.add_argument("--records", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3, help="measurements per setting")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from lprnet.assets import data_dir
    from lprnet.data.build import build_shards
    from lprnet.data.pipeline import make_dataset, resolve_sources

    with tempfile.TemporaryDirectory() as tmp:
        folders = list(args.shards or [])
        if not folders:
            samples = data_dir(args.data_dir) / "samples" / "aflw2000"
            for size in (128, 256):
                build_shards(
                    "aflw2000",
                    samples,
                    Path(tmp) / f"src{size}",
                    size=size,
                    workers=0,
                    data_dir=args.data_dir,
                    progress=False,
                )
                folders.append(
                    _synthetic_shards(Path(tmp) / f"src{size}", Path(tmp) / str(size), args.records)
                )
        results: dict[str, dict[str, float]] = {}
        for folder in folders:
            n = resolve_sources(folder)[0].size
            runs = [(n, False), (n, True)] + ([(128, True)] if n > 128 else [])
            for size, augment in runs:
                ds = make_dataset(folder, batch_size=args.batch, size=size, augment=augment, seed=0)
                key = f"shards{n}->{size} augment={'on' if augment else 'off'}"
                rates, cpu_ms = measure(ds, args.batch, args.samples, args.warmup, args.repeats)
                results[key] = {
                    "median": statistics.median(rates),
                    "min": min(rates),
                    "max": max(rates),
                    "cpu_ms_per_sample": cpu_ms,
                }
                print(
                    f"{key:<32} median {results[key]['median']:7.1f} samples/s "
                    f"(min {min(rates):.1f}, max {max(rates):.1f}); "
                    f"{cpu_ms:.2f} CPU-ms/sample",
                    flush=True,
                )

    machine = {**describe(), "batch": args.batch}
    print(f"machine: {machine}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "samples_per_s": results}, indent=2))


if __name__ == "__main__":
    main()
