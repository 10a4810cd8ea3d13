"""Outputs are all-or-nothing and reproducible.

Atomic: a failure while rendering or writing leaves no report and no temporary file in -o (a
failure to write is exit 2, `output_unwritable`; a bug while rendering is exit 70 with a crash log).
Deterministic: the same inputs and evaluation date give byte-identical files, whether the date comes
from --date or from SOURCE_DATE_EPOCH, and whatever Python's hash seed.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmark import batch, report
from benchmark.cli import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "declarations"
DATE = "2026-11-23"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv("BENCHMARK_DATA", raising=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def evaluate(out: Path, *extra: str):
    return CliRunner().invoke(main, ["evaluate", str(EXAMPLES), "-o", str(out), "--date", DATE,
                                     "--format", "json,md", *extra])


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.rglob("*")) if out.exists() else []


# --- atomic outputs -------------------------------------------------------------------------

def test_rendering_failure_on_the_second_declaration_writes_nothing(tmp_path, monkeypatch):
    real = batch.render_markdown
    calls = []

    def failing(result, *args, **kwargs):
        calls.append(result["declaration"]["file"])
        if len(calls) == 2:
            raise RuntimeError("renderer broke")
        return real(result, *args, **kwargs)

    monkeypatch.setattr(batch, "render_markdown", failing)
    out = tmp_path / "out"
    result = evaluate(out)
    assert result.exit_code == 70 and "RuntimeError: renderer broke" in result.output
    assert "Traceback" not in result.output
    assert len(calls) == 2
    assert leftovers(out) == []


class _BrokenFile:
    """A file object whose write fails part-way, after some bytes went to disk."""

    def __init__(self, fh):
        self.fh = fh

    def write(self, data):
        self.fh.write(data[: len(data) // 2])
        self.fh.flush()
        raise OSError(28, "No space left on device")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()


def _fail_write_number(monkeypatch, n: int) -> list[str]:
    """Make the n-th file write (1-based) fail once its temporary file exists."""
    real_fdopen = os.fdopen
    temps: list[str] = []

    def fdopen(fd, *args, **kwargs):
        fh = real_fdopen(fd, *args, **kwargs)
        temps.append(fh.name if isinstance(fh.name, str) else str(fd))
        return _BrokenFile(fh) if len(temps) == n else fh

    monkeypatch.setattr(report.os, "fdopen", fdopen)
    return temps


def test_write_failure_after_the_temporary_file_is_created_leaves_nothing(tmp_path, monkeypatch):
    temps = _fail_write_number(monkeypatch, 1)
    out = tmp_path / "out"
    result = evaluate(out)
    assert result.exit_code == 2 and "[output_unwritable]" in result.output, result.output
    assert temps  # the temporary file was created before the failure
    assert leftovers(out) == []


def test_write_failure_on_a_later_file_leaves_no_report(tmp_path, monkeypatch):
    _fail_write_number(monkeypatch, 3)
    out = tmp_path / "out"
    result = evaluate(out)
    assert result.exit_code == 2 and "No space left on device" in result.output, result.output
    assert leftovers(out) == []


# --- determinism ----------------------------------------------------------------------------

def run_cli(out: Path, *args: str, env: dict[str, str]) -> None:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("SOURCE_DATE_EPOCH", "BENCHMARK_DATA")}
    environment.update(env)
    subprocess.run([sys.executable, "-m", "benchmark", "evaluate", str(EXAMPLES), "-o", str(out),
                    "--format", "json,md", *args], check=True, cwd=REPO, env=environment,
                   capture_output=True)


def contents(folder: Path) -> dict[str, bytes]:
    """The reports (the audit database is a log, with the time of recording, and its anchor
    hashes records that name the output folder: not reports)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.name not in ("audit.sqlite", "audit.sqlite.anchor")}


def test_reports_are_byte_identical_across_runs_and_date_sources(tmp_path):
    epoch = int(dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC).timestamp())
    first, second, by_epoch = tmp_path / "first", tmp_path / "second", tmp_path / "epoch"
    run_cli(first, "--date", DATE, env={"PYTHONHASHSEED": "1"})
    run_cli(second, "--date", DATE, env={"PYTHONHASHSEED": "2"})
    run_cli(by_epoch, env={"PYTHONHASHSEED": "3", "SOURCE_DATE_EPOCH": str(epoch)})
    reference = contents(first)
    assert len(reference) == 2 * len(list(EXAMPLES.glob("*.yaml"))) + 1  # json + md each, summary
    assert contents(second) == reference
    assert contents(by_epoch) == reference
    assert b'"evaluation_date": "2026-11-23"' in reference["motor-leader.json"]
