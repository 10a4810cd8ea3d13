"""Rendering evaluation results: JSON and Markdown (Chinese or English).

Renderers only show the fields of `Evaluation.to_dict()`; they never compute a verdict. Templates
and wording live in `reports/` (or a certification body's own `--template-dir`). Files are written
atomically: to a temporary file in the same folder, then renamed.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

import jinja2
import yaml

from benchmark.catalogue import data_file

OPS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "="}


def render_json(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def fmt_number(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        text = f"{x:.6g}" if abs(x) >= 1e-4 or x == 0 else f"{x:.3e}"
        return text
    return str(x)


def fmt_signed(x) -> str:
    if x is None:
        return "—"
    return ("+" if x > 0 else "") + fmt_number(round(x, 6))


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")


def md_escape(value) -> str:
    """Text from inputs shown as text in Markdown (and in HTML made from it): no markup, no tags."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("&", "&amp;")


@lru_cache(maxsize=None)
def _environment(template_dir: str | None) -> jinja2.Environment:
    dirs = [template_dir] if template_dir else []
    dirs.append(str(data_file("reports")))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(dirs), autoescape=False,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(md=md_escape, num=fmt_number, signed=fmt_signed, op=lambda o: OPS.get(o, o))
    return env


def labels(lang: str, template_dir: str | None = None) -> dict:
    for base in ([Path(template_dir)] if template_dir else []) + [data_file("reports")]:
        path = Path(base) / "labels.yaml"
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                return yaml.safe_load(fh)[lang]
    raise FileNotFoundError("labels.yaml")


def render_markdown(result: dict, lang: str = "zh", template_dir: str | None = None) -> str:
    template = _environment(template_dir).get_template("evaluation.md.j2")
    names = {i["id"]: i["names"][lang] for i in result["indicators"]}
    levels = {lv["id"]: lv["names"][lang] for lv in result["programme"]["ladder"]}
    text = template.render(ev=result, L=labels(lang, template_dir), lang=lang, names=names,
                           levels=levels)
    return re.sub(r"\n{3,}", "\n\n", text)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write via a temporary file and rename, so a failure never leaves half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
