"""The numbers README.md and docs/ quote are the committed records' numbers (no stale copies)."""

from __future__ import annotations

import json
from pathlib import Path

from lprnet.compression.compress import format_report
from lprnet.shipped import RESOURCES

ROOT = Path(__file__).resolve().parents[1]


def _record(name: str) -> dict:
    return json.loads((RESOURCES / f"{name}.record.json").read_text())


def test_compression_doc_table_is_the_shipped_record() -> None:
    table = format_report(_record("lprnet_128_pqat")["compress"])
    assert table in (ROOT / "docs" / "compression.md").read_text()


def test_readme_quotes_the_shipped_models_numbers() -> None:
    readme = (ROOT / "README.md").read_text()
    flt = _record("lprnet_128")["eval_aflw2000"]["nme_2d_sparse"]
    assert f"{flt['mean']:.2f}%" in readme
    assert " / ".join(f"{v:.2f}" for v in flt["bins"].values()) in readme
    stages = _record("lprnet_128_pqat")["compress"]["stages"]
    pqat = stages["pqat_int8"]
    assert f"{pqat['eval_aflw2000']['nme_2d_sparse']['mean']:.2f}%" in readme
    assert f"{100 * pqat['nme_2d_drift_rel']:+.1f}%" in readme
    assert f"{100 * pqat['sparsity']['sparsity']:.1f}%" in readme


def test_web_demo_webcam_table_is_the_committed_measurement() -> None:
    from benchmarks.report import webcam_table

    rows = webcam_table(json.loads((ROOT / "docs" / "webcam.json").read_text()))
    table = "\n".join(rows[3:])  # the header and the rows (the caption is the report's)
    assert table in (ROOT / "docs" / "web_demo.md").read_text()


def _aflw_cells(e: dict) -> str:
    """``| bins | **mean** | 3D sparse | 3D dense |`` of an AFLW2000-3D evaluation record."""
    s = e["nme_2d_sparse"]
    bins = " | ".join(f"{v:.2f}" for v in s["bins"].values())
    return (
        f"| {bins} | **{s['mean']:.2f}** | {e['nme_3d_sparse']['mean']:.2f} "
        f"| {e['nme_3d_dense']['mean']:.2f} |"
    )


def test_models_doc_rows_are_the_shipped_records() -> None:
    doc = (ROOT / "docs" / "models.md").read_text()
    rows = {
        "lprnet_128": _record("lprnet_128")["eval_aflw2000"],
        "lprnet_128_uv64": _record("lprnet_128_uv64")["eval_aflw2000"],
        "lprnet_128_pqat": _record("lprnet_128_pqat")["compress"]["stages"]["pqat_int8"][
            "eval_aflw2000"
        ],
    }
    for name, e in rows.items():
        line = next(
            x
            for x in doc.splitlines()
            if x.startswith(f"| **`{name}`") or x.startswith(f"| `{name}` (")
        )
        assert line.endswith(_aflw_cells(e)), (name, line, _aflw_cells(e))


def test_models_doc_flip_test_table_is_the_committed_measurement() -> None:
    from benchmarks.flip_test import markdown

    result = json.loads((ROOT / "docs" / "flip-test.json").read_text())
    assert markdown(result) in (ROOT / "docs" / "models.md").read_text()


def test_models_doc_crop_table_is_the_committed_measurement() -> None:
    result = json.loads((ROOT / "docs" / "aflw-crops.json").read_text())
    doc = (ROOT / "docs" / "models.md").read_text()
    assert f"BlazeFace finds the face in {result['images']} of the 995 images" in doc
    models = [k for k in result if k not in ("images", "missed", "detector")]
    assert len(models) == 2
    for name in models:
        for row in result[name].values():
            cells = " | ".join(f"{v:.2f}" for v in row["bins"].values())
            assert f"| {cells} |" in doc, (name, cells)
