"""The wording of reasons, step reasons, notices and findings, by stable code, in zh and en.

The words live in reports/labels.yaml (`reason_text`, `step_text`, `notice_text`,
`finding_text`); this module reads them once and fills in the named values. Engine code gives
codes and values; it never writes prose of its own.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

LANGS = ("zh", "en")


@lru_cache(maxsize=1)
def _labels() -> dict:
    from benchmark.catalogue import data_file

    with (data_file("reports") / "labels.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def text(section: str, code: str, **values: Any) -> dict[str, str]:
    """{zh, en} wording of `code` in `section`, with the values filled in; a value given as
    {zh, en} is taken in each language."""
    out = {}
    for lang in LANGS:
        template = _labels()[lang][section].get(code, code)
        filled = _Values({k: (v.get(lang, "") if isinstance(v, dict) else v)
                          for k, v in values.items() if v is not None})
        out[lang] = template.format_map(filled)
    return out
