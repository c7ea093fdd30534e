"""apprise is optional: importing alertkit never loads it, and its absence is explained."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_importing_alertkit_and_its_channels_does_not_load_apprise() -> None:
    code = "import sys, alertkit, alertkit.notify; print('apprise' in sys.modules)"
    assert run(code) == "False"


def test_without_apprise_the_error_says_what_to_install() -> None:
    code = """
import sys
sys.modules["apprise"] = None  # what an environment without the package looks like
from alertkit.notify import apprise_handler
try:
    apprise_handler("json://127.0.0.1:8000/")
except ImportError as exc:
    print(exc)
"""
    assert run(code) == "apprise_handler needs apprise: pip install 'alertkit[notify]'"
