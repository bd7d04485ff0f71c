"""Every verb, given a file or folder that is not there / not readable: one error line naming
it, exit 2, no traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lprnet.cli import main

MISSING = "no-such-input"


def _argvs(tmp: Path) -> list[list[str]]:
    m = str(tmp / MISSING)
    out = str(tmp / "out")
    return [
        ["data", "build", "--source", "aflw2000", m, "--out", out],
        ["data", "build", "--source", "300w", m, "--out", out],
        ["data", "textures", "--photos", m, "--out", out],
        ["data", "profile", "--photos", m, "--out", out],
        ["data", "preview", m, "--out", str(tmp / "p.png")],
        ["data", "verify", m],
        ["eval", "--model", m, "--data", "embedded"],
        ["eval", "--model", "lprnet_128", "--data", "aflw2000", m],
        ["predict", m, "--out", out],
        ["export", "--model", m, "--format", "tflite", "--out", out],
        ["compress", "--model", m, "--out", out],
        ["bench", "--exports", m, "--out", out],
        ["check-regression", "--baseline", m, "--candidate", m],
        ["serve", "--model", m],
        ["train", "--model", "lprnet_128", "--data", m, "--out", out],
        ["model", "ship", m, "--name", "lprnet_128"],
    ]


@pytest.mark.parametrize("k", range(16))
def test_a_missing_input_is_one_line_and_exit_2(k, tmp_path, capsys) -> None:
    argv = _argvs(tmp_path)[k]
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    # one error line (a batch verb like predict lists each unreadable input above it)
    assert "Traceback" not in err and lines[-1].startswith("lprnet: error: "), err
    assert MISSING in lines[-1], err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_one_line(tmp_path, capsys) -> None:
    bad = tmp_path / "report.json"
    bad.write_text("{}")
    bad.chmod(0)
    assert main(["check-regression", "--baseline", str(bad), "--candidate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "report.json" in err and "Traceback" not in err
