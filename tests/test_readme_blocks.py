"""Issue 16, item 5: every README command block runs as written.

Each ```bash block (and the ``$ `` lines of each ```console block) of README.md runs, line
by line, in a fresh temporary directory holding a copy of docs/examples/, and each line must
exit with the code the README states: 0 unless the line's comment says ``# exit 0/1/2``
(a set) or ``# exit 0 iff ...``. Not run: the two ``pip install`` set-up lines, and lines or
blocks marked ``# readme-test: skip (why)`` (files or services not shipped, or the test
suite itself) — the README documents the marker. Every block must leave no process behind
and write only inside its directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLES = ROOT / "docs" / "examples"
SKIP = "# readme-test: skip"


def blocks() -> list[tuple[int, list[str]]]:
    """(line number of the fence, the command lines to run) for every runnable block."""
    out, lang, start, body = [], None, 0, []
    for n, line in enumerate(README.read_text().splitlines(), 1):
        fence = re.match(r"^```(\w*)\s*$", line)
        if fence and lang is None:
            lang, start, body = fence.group(1), n, []
        elif fence:
            if lang in ("bash", "console") and not (body and body[0].startswith(SKIP)):
                if lang == "console":
                    cmds = [ln[2:] for ln in body if ln.startswith("$ ")]
                else:
                    cmds = [ln for ln in body if ln.strip() and not ln.startswith("#")]
                cmds = [c for c in cmds if SKIP not in c and "pip install" not in c]
                if cmds:
                    out.append((start, cmds))
            lang = None
        elif lang is not None:
            body.append(line)
    return out


def expected(cmd: str) -> set[int]:
    m = re.search(r"#\s*exit ([0-9](?:/[0-9])*)", cmd)
    return {int(c) for c in m.group(1).split("/")} if m else {0}


def test_the_readme_has_runnable_blocks_and_the_example_files():
    found = blocks()
    assert len(found) >= 5
    text = " ".join(c for _, cmds in found for c in cmds)
    for name in ("net.json", "data.csv", "data.npz", "net3.json"):
        assert name in text and (EXAMPLES / name).is_file()
    # the marker is documented where the README explains how its blocks are run
    assert "readme-test: skip" in README.read_text().split("## Bounds")[0]


@pytest.mark.parametrize(
    "start, cmds", blocks(), ids=lambda v: f"line{v}" if isinstance(v, int) else ""
)
def test_readme_block(tmp_path, start, cmds):
    work = tmp_path / "work"
    shutil.copytree(EXAMPLES, work)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    prelude = f'robustmem() {{ "{sys.executable}" -m robustmem "$@"; }}\n'
    for cmd in cmds:
        r = subprocess.run(
            ["bash", "-c", prelude + cmd],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode in expected(cmd), (
            f"README line after {start}: {cmd!r} exited {r.returncode}\n{r.stderr[-2000:]}"
        )
        assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]
