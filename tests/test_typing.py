"""The public API is annotated: ``mypy --strict webkit`` finds nothing.

The settings (WebOb, Routes, FormEncode, Tempita and waitress have no
types, so their objects are ``Any``) are in pyproject.toml's
``[tool.mypy]``. This is what makes the ``py.typed`` the wheel ships true
(tests/test_packaging.py checks that it ships).
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_strict_finds_nothing_in_webkit(tmp_path):
    result = subprocess.run(
        [sys.executable, '-m', 'mypy', '--strict', '--cache-dir', str(tmp_path / 'cache'),
         '--no-error-summary', '--hide-error-context', 'webkit'],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert (result.returncode, result.stdout, result.stderr) == (0, '', '')
