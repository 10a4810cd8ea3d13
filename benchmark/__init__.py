"""benchmark: tells whether a product standard is advanced.

The public API (see `benchmark.api`): `load_catalogue`, `evaluate`, `rank`, `compare`,
`validate`. They are imported on first use, so that the command line starts quickly.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "compare", "evaluate", "load_catalogue", "rank", "validate"]


def __getattr__(name: str) -> Any:
    if name in ("compare", "evaluate", "load_catalogue", "rank", "validate"):
        from benchmark import api

        return getattr(api, name)
    raise AttributeError(f"module 'benchmark' has no attribute {name!r}")
