"""The README's Python examples run as written (each in a fresh temp dir)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_python_examples_run(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    outputs = []
    for number, code in enumerate(blocks):
        workdir = tmp_path / f"example_{number}"
        workdir.mkdir()
        (workdir / "example.py").write_text(code)
        done = subprocess.run(
            [sys.executable, "example.py"],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"README example {number} failed:\n{done.stderr}"
        outputs.append(done.stdout)
    assert outputs[0].splitlines()[0] == "take_profit_full close"
