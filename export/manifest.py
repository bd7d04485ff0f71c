"""The export manifest: ``manifest.json`` in an export folder lists every artifact in it.

Schema ``lprnet.export-manifest/1``::

    {"schema", "lprnet_version", "updated" (UTC ISO time),
     "artifacts": [{"name", "format", "precision", "options",
                    "model": {"name", "resolution", "source_sha256", "record_sha256"},
                    "files": [{"path" (relative to the folder), "bytes", "sha256"}],
                    "bytes" (all files), "export_seconds", "parity" (export.parity) | null,
                    "metadata" (what the artifact embeds)}]}

Each export replaces its own entry (by artifact name) and keeps the others.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from lprnet import __version__
from lprnet.errors import LprnetError
from lprnet.fileio import write_json

SCHEMA = "lprnet.export-manifest/1"
FILE = "manifest.json"


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_entries(files: list[Path], root: Path) -> list[dict]:
    """``{"path", "bytes", "sha256"}`` of each file, paths relative to ``root``."""
    return [
        {
            "path": Path(os.path.relpath(p, root)).as_posix(),
            "bytes": p.stat().st_size,
            "sha256": sha256_file(p),
        }
        for p in sorted(files)
    ]


def read_manifest(folder: str | os.PathLike) -> dict:
    """The folder's manifest, or an empty one."""
    path = Path(folder) / FILE
    if not path.is_file():
        return {"schema": SCHEMA, "lprnet_version": __version__, "artifacts": []}
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise LprnetError(f"{path}: corrupt export manifest ({exc})") from exc
    if manifest.get("schema") != SCHEMA:
        raise LprnetError(f"{path}: not an lprnet export manifest (schema {SCHEMA})")
    return manifest


def update_manifest(folder: str | os.PathLike, entry: dict) -> Path:
    """Put ``entry`` (one artifact) into the folder's manifest, replacing its old entry."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    artifacts = [a for a in manifest["artifacts"] if a["name"] != entry["name"]]
    artifacts.append(entry)
    artifacts.sort(key=lambda a: a["name"])
    manifest.update(
        schema=SCHEMA,
        lprnet_version=__version__,
        updated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        artifacts=artifacts,
    )
    write_json(folder / FILE, manifest)
    return folder / FILE


def find_entry(folder: str | os.PathLike, name: str) -> dict | None:
    """The manifest entry of artifact ``name`` (None when not listed)."""
    for entry in read_manifest(folder)["artifacts"]:
        if entry["name"] == name:
            return entry
    return None


def verify_entry(folder: str | os.PathLike, entry: dict) -> list[str]:
    """Problems with one entry's files on disk (missing, size or sha256 differs); [] if none."""
    folder = Path(folder)
    problems = []
    for f in entry["files"]:
        path = folder / f["path"]
        if not path.is_file():
            problems.append(f"{f['path']}: missing")
        elif path.stat().st_size != f["bytes"] or sha256_file(path) != f["sha256"]:
            problems.append(f"{f['path']}: sha256 differs from the manifest")
    return problems
