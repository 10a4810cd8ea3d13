"""Rendering evaluation results: the shared machinery (templates, wording, number formats, the
output folder and its writes) and the JSON and Markdown renderers.

Renderers only show the fields of `Evaluation.to_dict()`; they never compute a verdict. Templates
and wording live in `reports/`; a certification body's own `--template-dir` overrides them file by
file (its `labels.yaml` is merged over the shipped one). Templates run in Jinja2's sandbox (a
template of your own cannot reach Python), only from inside their folder (a symlink leading out
is refused), and HTML templates are always rendered with autoescape; every value a template
shows has its control characters escaped. A broken template or labels.yaml of your own is a
located problem. HTML, PDF and XLSX live in `report.html`, `report.pdf` and `report.xlsx`.

The output folder (`output_folder`) is locked for one run (fcntl; a second run into it is
refused), and a staging folder a killed run left in it is finished or removed first. Reports and
their audit records are one step (`write_reports`): every file is written to a staging folder
inside the output folder, the records are appended in one transaction, then the files are moved
into place; a run killed before the records are committed leaves no report, one killed after is
finished by the next start. `write_all` and `write_atomic` write without audit.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
import markupsafe
from markupsafe import Markup

from benchmark import audit
from benchmark.catalogue import data_file
from benchmark.errors import InputError, Problem, worded
from benchmark.loading import printable, read_document
from benchmark.report.numbers import (
    difference_unit,
    fmt_difference,
    fmt_number,
    fmt_percent,
    fmt_quantity,
    fmt_signed,
)

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


class _ConfinedLoader(jinja2.FileSystemLoader):
    """A file-system loader that refuses a template whose real path (symlinks followed) is
    outside its folder."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(filename).resolve()
        if not any(real.is_relative_to(Path(folder).resolve()) for folder in self.searchpath):
            raise jinja2.TemplateNotFound(template, f"{template} leads outside its template "
                                                    "folder (a symlink?)")
        return source, filename, uptodate


def _finalize(value):
    """Every value a template shows: control characters escaped (ANSI, NUL, BEL …); markup
    stays markup."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(printable(str(value)))
    return printable(value) if isinstance(value, str) else value


def value_words(value: object, key: str, L: dict) -> str:
    """A parameter's or a yes/no indicator's value in the report's language: the label of its
    code (`parameter_values`, "key.code" before "code"), yes/no for a boolean, else as written."""
    if isinstance(value, bool):
        return str(L["value_yes" if value else "value_no"])
    words = L.get("parameter_values") or {}
    text = str(value)
    return str(words.get(f"{key}.{text}") or words.get(text) or text)


def yes_no_words(value: object, L: dict) -> str | None:
    """A yes/no in words — a boolean, or one the engine wrote out ("True"/"False") —; None for
    any other value."""
    if isinstance(value, bool) or value in ("True", "False"):
        return value_words(value in (True, "True"), "", L)
    return None


def fmt_shown(value: object, unit: str | None, digits: int | None, L: dict) -> str:
    """An indicator's value as shown: yes/no for a boolean, else the number and its unit."""
    words = yes_no_words(value, L)
    return fmt_quantity(value, unit, digits) if words is None else words


@cache
def _environment(template_dir: str | None, html: bool = False) -> jinja2.Environment:
    """Templates from `template_dir` first, then the shipped `reports/`, in Jinja2's sandbox.
    `html`: autoescape on."""
    dirs = [template_dir] if template_dir else []
    dirs.append(str(data_file("reports")))
    env = jinja2.sandbox.SandboxedEnvironment(
        loader=_ConfinedLoader(dirs), autoescape=html, undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, finalize=_finalize)
    env.filters.update(num=fmt_number, signed=fmt_signed, pct=fmt_percent, qty=fmt_quantity,
                       diff=fmt_difference, diff_unit=difference_unit, css=css_string,
                       op=lambda o: OPS.get(o, o), pvalue=value_words, shown=fmt_shown)
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
    over it (read safely; a malformed one is a located problem). Each file is read once per
    run (cached by path, size and modification time; the shipped file's stamp taken once,
    `wording.shipped_stamp`, as the engine's wording takes it), so the mapping is shared: read
    it, never change it."""
    own = Path(template_dir) / "labels.yaml" if template_dir else None
    from benchmark.wording import file_stamp, shipped_stamp

    return _labels(lang, shipped_stamp(), str(own) if own else None,
                   file_stamp(own) if own is not None else None)


@lru_cache(maxsize=32)
def _labels(lang: str, shipped: tuple[str, int, int] | None, own: str | None,
            own_stamp: tuple[str, int, int] | None) -> dict:
    from benchmark.wording import labels_file

    out = labels_file(shipped)[lang]
    if own is not None and own_stamp is not None:
        out = _merge(out, _own_labels(Path(own), lang))
    return out


def _own_labels(path: Path, lang: str) -> dict:
    """A template folder's labels.yaml in `lang`: {zh|en: {label: text or {label: text}}}."""
    doc, problems = read_document(path)
    if doc is None or any(p.severity == "error" for p in problems):
        raise InputError(problems)
    hint = "labels.yaml maps zh and en to label: text"
    if not isinstance(doc.data, dict):
        raise InputError(doc.problem("labels_invalid", "labels.yaml is not a mapping", "", hint))
    bad = []
    stack = [(doc.data.get(lang) or {}, f"/{lang}")]
    while stack:
        value, ptr = stack.pop()
        if isinstance(value, dict):
            stack += [(v, f"{ptr}/{k}") for k, v in value.items()]
        elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
            bad.append(doc.problem("labels_invalid", f"a label must be text, not "
                                   f"{type(value).__name__}", ptr, hint))
    if not isinstance(doc.data.get(lang) or {}, dict):
        bad.append(doc.problem("labels_invalid", f"{lang} must map labels to text", f"/{lang}",
                               hint))
    if bad:
        raise InputError(bad)
    return doc.data.get(lang) or {}


def render_template(name: str, template_dir: str | None, html: bool, **context) -> str:
    """Render one template; a broken template of your own (syntax, a missing label, a sandbox
    refusal, an error while rendering) is a located input problem, not a crash."""
    try:
        return environment(template_dir, html).get_template(name).render(**context)
    except Exception as exc:
        if not template_dir:
            raise
        where, line = _template_location(exc, name)
        raise InputError(Problem("template_error", f"template {name}: {type(exc).__name__}: "
                                 f"{printable(str(exc), True)[:300]}", file=where, line=line,
                                 hint="fix the template in --template-dir or remove it to use "
                                      "the shipped one")) from None


def check_formats(formats: list[str], known: tuple[str, ...]) -> None:
    """Unknown formats, and a PDF with no Chromium to print it, are input errors (nothing is
    computed or written then)."""
    unknown = [f for f in formats if f not in known]
    if unknown or not formats:
        raise InputError(Problem("format_unknown",
                                 f"unknown format(s): {', '.join(unknown) or '(none)'}",
                                 hint="one or more of: " + ", ".join(known), hint_code="one_of",
                                 **worded("formats_unknown" if unknown else "no_format",
                                          formats=", ".join(unknown), choices=", ".join(known))))
    if "pdf" in formats:
        from benchmark.report.pdf import chromium_binary

        chromium_binary()


def indicator_digits(result: dict) -> dict[str, int | None]:
    """Decimals each indicator's values are shown with: its `digits` (the indicator set's, which
    the engine writes into the result); None (four significant digits) for a result without."""
    return {i["id"]: i.get("digits") for i in result["indicators"]}


def _template_location(exc: BaseException, name: str) -> tuple[str, int | None]:
    """The template file and line an error comes from (Jinja2 puts template lines in the
    traceback)."""
    lineno = getattr(exc, "lineno", None)
    if lineno is not None:
        return getattr(exc, "filename", None) or name, lineno
    tb = exc.__traceback__
    found: tuple[str, int | None] = (name, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


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
    write_all([(path, content)])


def write_all(files: list[tuple[Path, Any]]) -> list[Path]:
    """Write several files all or nothing, without audit (a content is text, bytes or a function
    writing to a binary file): each goes to a temporary file beside its target first; only when
    every one is written and synced to disk (once for all, `sync_files`) are they renamed into
    place. On any failure the temporary files (and any already renamed) are removed; an OSError
    (a full disk, a read-only folder) is an InputError `output_unwritable`."""
    staged: list[tuple[str, Path]] = []
    placed: list[Path] = []
    try:
        for path, content in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            _write_fd(fd, content)
            os.chmod(tmp, 0o644)  # a report is for reading (mkstemp creates 0600)
        sync_files([Path(tmp) for tmp, _ in staged])
        for tmp, path in staged:
            os.replace(tmp, path)
            placed.append(path)
    except BaseException as exc:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for path in placed:
            path.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _unwritable(exc, files[len(staged) - 1][0] if staged else None) from None
        raise
    return placed


def _write_fd(fd: int, content) -> str:
    """Write `content` — text, bytes, or a function that writes to the binary file it is given
    (for files streamed a chunk at a time; hashed by reading it back) — and return its SHA-256.
    Not synced: see `sync_files`."""
    with os.fdopen(fd, "w+b") as fh:
        if callable(content):
            content(fh)
            fh.flush()
            fh.seek(0)
            digest = hashlib.sha256()
            while block := fh.read(1 << 20):
                digest.update(block)
            return digest.hexdigest()
        data = content.encode("utf-8") if isinstance(content, str) else content
        fh.write(data)
        return hashlib.sha256(data).hexdigest()


def sync_files(paths: Sequence[Path]) -> None:
    """Sync the written files to disk at once: one syncfs(2) of their file system where the
    C library has it (a fsync per file costs milliseconds: 10,000 reports took 80 s), else a
    fsync per file."""
    if not paths:
        return
    syncfs = _syncfs()
    if syncfs is not None:
        fd = os.open(paths[0], os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@cache
def _syncfs():
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


def _unwritable(exc: OSError, path: Path | None) -> InputError:
    return InputError(Problem("output_unwritable", f"cannot write "
                              f"{printable(exc.filename or str(path or ''), True) or 'a file'}: "
                              f"{exc.strerror or exc}", file=str(path) if path else None,
                              hint="free some disk space, or give -o a writable folder"))


# --- the output folder: lock, staging, audit ---------------------------------------------------

STAGING_PREFIX = ".staging-"
_MANIFEST = "MANIFEST.json"
_PLACE = "PLACE"  # in a staging folder without audit: its files are complete, to be moved
_held: dict[str, list[int]] = {}  # folder → [fd, depth]: this process's locks (re-entrant)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on `folder` (fcntl.flock on the folder itself), held for the block;
    another process holding it → InputError `output_locked`. Re-entrant in one process."""
    key = str(folder.resolve())
    if key in _held:
        _held[key][1] += 1
        try:
            yield
        finally:
            _held[key][1] -= 1
        return
    fd = os.open(key, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InputError(Problem("output_locked", "another benchmark run is writing into this "
                                 "folder", file=str(folder),
                                 hint="wait for it to finish, or give another -o")) from None
    _held[key] = [fd, 1]
    try:
        yield
    finally:
        del _held[key]
        os.close(fd)  # closing releases the lock


@contextmanager
def output_folder(out_dir: Path, audit_db: Path | None = None) -> Iterator[Path]:
    """The output folder of one run, before any work: made if needed (and removed again if the
    run leaves it empty), writable, locked for the run, with any staging folder a killed run left
    finished or removed; with `audit_db`, the database checked (`audit.check_database`)."""
    out_dir = Path(out_dir)
    created = _make_folder(out_dir)
    try:
        with _locked(out_dir):
            recover_staging(out_dir)
            if audit_db is not None:
                audit.check_database(audit_db)
                audit.repair_anchor(audit_db)
            yield out_dir
    finally:
        if created:
            with suppress(OSError):
                out_dir.rmdir()  # only when empty


def _make_folder(out_dir: Path) -> bool:
    """Make `out_dir` if missing and check that it takes files; True when it was made here."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(Problem("output_not_a_folder", "-o names a file or device, not a folder",
                                 file=str(out_dir), hint="give -o a folder"))
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir, prefix=".benchmark-probe-"):
            pass
    except OSError as exc:
        if created:
            with suppress(OSError):
                out_dir.rmdir()
        raise InputError(Problem("output_unwritable", f"the output folder cannot take files "
                                 f"({exc.strerror or exc})", file=str(out_dir),
                                 hint="give -o a writable folder")) from None
    return created


def recover_staging(out_dir: Path) -> list[Path]:
    """Finish or remove what a killed run left in `out_dir`: a staging folder whose run was
    recorded (or, without audit, marked complete) has its remaining files moved into place; any
    other is removed. Returns the files placed."""
    placed: list[Path] = []
    for staging in sorted(out_dir.glob(STAGING_PREFIX + "*")):
        if not staging.is_dir():
            continue
        try:
            manifest = json.loads((staging / _MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = None
        done = False
        if isinstance(manifest, dict):
            db = manifest.get("audit_db")
            done = (staging / _PLACE).exists() if db is None else \
                audit.batch_recorded(db, staging.name)
        if done:
            placed += _place(staging, out_dir, manifest["files"])
        else:
            shutil.rmtree(staging, ignore_errors=True)
    for tmp in out_dir.glob(".*.anchor.*.tmp"):  # an anchor being written when killed
        tmp.unlink(missing_ok=True)
    return placed


def _place(staging: Path, out_dir: Path, names: list[str]) -> list[Path]:
    placed = []
    for name in names:
        source, target = staging / name, out_dir / name
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        placed.append(target)
    _fsync_folder(out_dir)
    shutil.rmtree(staging, ignore_errors=True)
    return placed


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_reports(files: Iterable[tuple[Path, Any]], out_dir: Path,
                  trail: audit.AuditTrail | None = None,
                  results: Sequence[tuple[dict, list[Path]]] = (),
                  written: Callable[[int], None] = lambda files: None) -> list[Path]:
    """Write reports into `out_dir` and their audit records as one step: the files go to a
    staging folder inside `out_dir`, then the records (one per result, naming its files and
    every file no result names, such as summary.csv) are appended in one transaction, then the
    files are moved into place. A failure before the commit leaves neither reports nor records;
    an OSError or an unusable database is an InputError. `files` are taken one at a time (a
    generator may render each as it is written: `results` are read once all are written).
    `written(files)` is told the files written so far, after each (progress)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir):
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
        try:
            names, hashes = _stage(files, out_dir, staging, written)
            manifest = {"files": names,
                        "audit_db": str(Path(trail.db).resolve()) if trail else None}
            with open(staging / _MANIFEST, "w", encoding="utf-8") as fh:
                json.dump(manifest, fh)
                fh.flush()
                os.fsync(fh.fileno())
            _fsync_folder(staging)
            if trail is not None:  # the commit point
                audit.append_records(trail.db, _records(results, hashes, trail.options),
                                     batch=staging.name)
            else:
                (staging / _PLACE).touch()
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if isinstance(exc, OSError):
                raise _unwritable(exc, None) from None
            raise
        return _place(staging, out_dir, names)


def _stage(files: Iterable[tuple[Path, Any]], out_dir: Path, staging: Path,
           written: Callable[[int], None] = lambda files: None
           ) -> tuple[list[str], dict[Path, str]]:
    """Write every file under `staging` at its place relative to `out_dir` (text, bytes or a
    function writing a binary file), then sync them all at once; their SHA-256. `written`
    is told the files written so far after each."""
    names: list[str] = []
    hashes: dict[Path, str] = {}
    targets: list[Path] = []
    for path, content in files:
        name = Path(path).relative_to(out_dir).as_posix()
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        hashes[Path(path)] = _write_fd(os.open(target, os.O_RDWR | os.O_CREAT | os.O_EXCL,
                                               0o644), content)
        names.append(name)
        targets.append(target)
        written(len(targets))
    sync_files(targets)
    return names, hashes


def _records(results, hashes: dict[Path, str], options: dict) -> list[dict]:
    named = {Path(p) for _, paths in results for p in paths}
    shared = {str(p): h for p, h in hashes.items() if p not in named}  # summary.csv …
    return [audit.record_of(result, {**{str(p): hashes[Path(p)] for p in paths}, **shared},
                            options) for result, paths in results]
