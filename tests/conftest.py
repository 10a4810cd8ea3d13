"""Every test runs without the caller's catalogue, date or size settings, and any crash log the
CLI writes (exit 70) goes to the test's own temporary folder, not the user's home."""

from __future__ import annotations

import pytest

SETTINGS = ("BENCHMARK_DATA", "SOURCE_DATE_EPOCH", "BENCHMARK_MAX_TABLE_BYTES",
            "BENCHMARK_MAX_XLSX_BYTES")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
