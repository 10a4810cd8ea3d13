"""Rendering evaluation results: the shared machinery (templates, wording, number formats, atomic
writes) and the JSON and Markdown renderers.

Renderers only show the fields of `Evaluation.to_dict()`; they never compute a verdict. Templates
and wording live in `reports/`; a certification body's own `--template-dir` overrides them file by
file (its `labels.yaml` is merged over the shipped one). HTML templates are always rendered with
Jinja2 autoescape. Files are written atomically: to a temporary file in the same folder, then
renamed. HTML, PDF and XLSX live in `report.html`, `report.pdf` and `report.xlsx`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

import jinja2
import yaml
from markupsafe import Markup

from benchmark.catalogue import data_file
from benchmark.errors import InputError, Problem
from benchmark.report.numbers import (difference_unit, fmt_difference, fmt_number, fmt_percent,
                                      fmt_quantity, fmt_signed)

OPS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "="}


def render_json(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")  # "&amp;" would show as "&": escaped; "R&D" is left alone


def md_escape(value) -> str:
    """Text from inputs shown as text in Markdown (and in HTML made from it): no markup, no tags,
    no entities — and an ampersand stays an ampersand."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_ENTITY.sub(r"\\&", text)


def css_string(value) -> Markup:
    """Text as a quoted CSS string (for `content:` in the page footer): quotes, backslashes, line
    breaks and "<" escaped, so it can neither end the string nor the <style> element."""
    text = "".join(f"\\{ord(ch):x} " if ch in '"\\<>\n\r' or ord(ch) < 32 else ch
                   for ch in str(value))
    return Markup(f'"{text}"')


def page_counter_css(template: str) -> Markup:
    """A label such as "Page {page} of {pages}" as CSS `content` (strings and counters)."""
    parts = re.split(r"(\{pages?\})", template)
    tokens = [f"counter({p[1:-1]})" if p in ("{page}", "{pages}") else css_string(p)
              for p in parts if p]
    return Markup(" ".join(tokens) or '""')


def report_id(result: dict) -> str:
    """The id a report is known by: the result's own `report_id` when it has one, else the first
    12 hex digits of the SHA-256 of its JSON report — the same inputs give the same id, and the
    JSON file beside a printed report can be recognised by it."""
    own = result.get("report_id")
    if own:
        return str(own)
    return hashlib.sha256(render_json(result).encode("utf-8")).hexdigest()[:12].upper()


def page_footer(L: dict, rid: str, day: str) -> Markup:
    """The printed page's footer as CSS margin boxes: report id and date on the left, "page X of
    Y" on the right (Chromium prints @page margin boxes; the screen shows the HTML <footer>)."""
    left = css_string(L["footer_report"].replace("{id}", rid).replace("{date}", day))
    right = page_counter_css(L["page_of"])
    look = 'font-family: "Noto Sans CJK SC", sans-serif; font-size: 8pt; color: #666;'
    return Markup(f"@page {{ @bottom-left {{ content: {left}; {look} }} "
                  f"@bottom-right {{ content: {right}; {look} }} }}")


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # Excel (on Chinese Windows too) opens a CSV with it as UTF-8


def neutralise_cell(value):
    """Spreadsheet formula injection: text starting with = + - @, tab or CR is prefixed with a
    quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: list[dict], fieldnames: list[str] | None = None) -> str:
    """A CSV file for spreadsheets: UTF-8 with a BOM, "\\n" line ends, lists joined with "; ",
    text that could run as a formula neutralised."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fieldnames or (list(rows[0]) if rows else []),
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise_cell("; ".join(map(str, v)) if isinstance(v, list) else v)
                         for k, v in row.items()})
    return BOM + buf.getvalue()


@lru_cache(maxsize=None)
def _environment(template_dir: str | None, html: bool = False) -> jinja2.Environment:
    """Templates from `template_dir` first, then the shipped `reports/`. `html`: autoescape on."""
    dirs = [template_dir] if template_dir else []
    dirs.append(str(data_file("reports")))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(dirs), autoescape=html,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=fmt_number, signed=fmt_signed, pct=fmt_percent, qty=fmt_quantity,
                       diff=fmt_difference, diff_unit=difference_unit, css=css_string,
                       op=lambda o: OPS.get(o, o))
    if not html:
        env.filters["md"] = md_escape
    return env


def environment(template_dir: str | None = None, html: bool = False) -> jinja2.Environment:
    return _environment(str(template_dir) if template_dir else None, html)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def labels(lang: str, template_dir: str | None = None) -> dict:
    """Report wording in `lang`: the shipped labels.yaml with a template folder's own merged
    over it."""
    with (data_file("reports") / "labels.yaml").open(encoding="utf-8") as fh:
        out = yaml.safe_load(fh)[lang]
    own = Path(template_dir) / "labels.yaml" if template_dir else None
    if own is not None and own.exists():
        try:
            with own.open(encoding="utf-8") as fh:
                data = yaml.safe_load(fh) or {}
        except yaml.YAMLError as exc:
            raise InputError(Problem("labels_invalid", f"cannot read labels: {exc}", file=str(own),
                                     hint="labels.yaml maps zh/en to label: text")) from None
        out = _merge(out, (data.get(lang) or {}) if isinstance(data, dict) else {})
    return out


def render_template(name: str, template_dir: str | None, html: bool, **context) -> str:
    """Render one template; a broken template of your own is an input problem, not a crash."""
    try:
        return environment(template_dir, html).get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        if not template_dir:
            raise
        where = getattr(exc, "filename", None) or name
        line = getattr(exc, "lineno", None)
        raise InputError(Problem("template_error", f"template {name}: {exc}", file=where, line=line,
                                 hint="fix the template in --template-dir or remove it to use "
                                      "the shipped one")) from None


def check_formats(formats: list[str], known: tuple[str, ...]) -> None:
    """Unknown formats, and a PDF with no Chromium to print it, are input errors (nothing is
    computed or written then)."""
    unknown = [f for f in formats if f not in known]
    if unknown or not formats:
        raise InputError(Problem("format_unknown",
                                 f"unknown format(s): {', '.join(unknown) or '(none)'}",
                                 hint="one or more of: " + ", ".join(known)))
    if "pdf" in formats:
        from benchmark.report.pdf import chromium_binary

        chromium_binary()


def indicator_digits(result: dict) -> dict[str, int | None]:
    """Decimals each indicator's values are shown with: its `digits` when the result gives them
    (else None: four significant digits)."""
    return {i["id"]: i.get("digits") for i in result["indicators"]}


def render_markdown(result: dict, lang: str = "zh", template_dir: str | None = None) -> str:
    names = {i["id"]: i["names"][lang] for i in result["indicators"]}
    levels = {lv["id"]: lv["names"][lang] for lv in result["programme"]["ladder"]}
    dg = indicator_digits(result)
    values = {i["id"]: i.get("value") for i in result["indicators"]}
    text = render_template("evaluation.md.j2", template_dir, False, ev=result,
                           L=labels(lang, template_dir), lang=lang, names=names, levels=levels,
                           dg=dg, values=values)
    return re.sub(r"\n{3,}", "\n\n", text)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write via a temporary file and rename, so a failure never leaves half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.chmod(tmp, 0o644)  # a report is for reading (mkstemp creates 0600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_all(files: list[tuple[Path, str | bytes]]) -> list[Path]:
    """Write several files all or nothing: each goes to a temporary file beside its target first;
    only when every one is written are they renamed into place. On any failure the temporary files
    (and any already renamed) are removed."""
    staged: list[tuple[str, Path]] = []
    placed: list[Path] = []
    try:
        for path, content in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(content.encode("utf-8") if isinstance(content, str) else content)
            os.chmod(tmp, 0o644)
        for tmp, path in staged:
            os.replace(tmp, path)
            placed.append(path)
    except BaseException:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for path in placed:
            path.unlink(missing_ok=True)
        raise
    return placed
