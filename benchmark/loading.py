"""Reading input documents safely and validating them against the published JSON Schemas.

A `Document` is the parsed data of one YAML or JSON file plus a map from JSON pointer to line, so
every later problem can say where it is. Reading never executes anything (YAML is composed with the
safe loader), refuses oversized, too deeply nested and alias-bomb files, and flags duplicate keys
that YAML would otherwise overwrite silently. Schema validation reports every violation at once.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import stat
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from benchmark.errors import Hint, InputError, Problem, Term, worded

MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_NODES = 1_000_000

SCHEMA_NAMES = ("common", "indicator-set", "ladder", "reference-standard", "declaration",
                "evaluation", "mapping")


@dataclass
class Document:
    """One parsed input file: data, where each part came from, and its hash."""

    path: str
    data: Any
    sha256: str
    lines: dict[str, int] = field(default_factory=dict)
    decimal: str = "."  # the decimal mark of numbers written as text ("," when a mapping says so)

    def line(self, pointer: str) -> int | None:
        """Line of `pointer`, or of its nearest ancestor that has one."""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]

    def problem(self, code: str, message: str, pointer: str = "", hint: str | None = None,
                severity: str = "error", **wording: Any) -> Problem:
        """A problem at `pointer` of this document (`wording`: its message's code and values,
        `errors.worded`)."""
        return Problem(code=code, message=message, file=self.path, pointer=pointer or "",
                       line=self.line(pointer), hint=hint, severity=severity, **wording)


def pointer_join(pointer: str, key: Any) -> str:
    token = printable(str(key)).replace("~", "~0").replace("/", "~1")
    return f"{pointer}/{token}"


# Characters that must not reach a terminal or a report as they are: C0/C1 controls (ANSI escape
# sequences start with ESC or CSI, BEL rings, NUL truncates), DEL, lone surrogates (not encodable
# as UTF-8) and the bidirectional overrides and isolates that make text read differently.
_UNPRINTABLE = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069"
_UNPRINTABLE_RE = re.compile(f"[{_UNPRINTABLE}]")
_UNPRINTABLE_LINE_RE = re.compile(f"[{_UNPRINTABLE}\n\r]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, one_line: bool = False) -> str:
    """`text` with control characters written as escapes ("\\x1b", "\\x07", "\\ud800"), so
    they show instead of acting; `one_line` escapes line breaks too (terminal lines)."""
    return (_UNPRINTABLE_LINE_RE if one_line else _UNPRINTABLE_RE).sub(_escape, text)


def printable_data(value: Any, text: str | None = None) -> Any:
    """Every string (keys included) of parsed data made `printable`. Data parsed from a `text`
    with no such character and no escape (a backslash) has none: it is returned as it is."""
    if text is not None and "\\" not in text and not _UNPRINTABLE_RE.search(text):
        return value
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable_data(k): printable_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable_data(v) for v in value]
    return value


_SizeDefault = TypeVar("_SizeDefault", int, None)


def byte_size_setting(name: str, default: _SizeDefault) -> int | _SizeDefault:
    """A size from the environment variable `name` ("536870912", "512M", "2G"; K/M/G are powers
    of 1024), or `default` when it is not set; anything else is an InputError."""
    return _number_setting(name, default, r"([0-9]{1,15})\s*([KMG]i?B?|B)?", "a size",
                           "a number of bytes, optionally with K, M or G (powers of 1024), "
                           "e.g. 512M")


def row_count_setting(name: str, default: int) -> int:
    """A number of rows from the environment variable `name` ("50000000"), or `default` when it
    is not set; anything else is an InputError."""
    return _number_setting(name, default, r"([0-9]{1,15})", "a number of rows",
                           "a whole number, e.g. 50000000")


def _number_setting(name: str, default: _SizeDefault, pattern: str, what: str,
                    hint: str) -> int | _SizeDefault:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    match = re.fullmatch(pattern, text, re.IGNORECASE)
    if match is None:
        raise InputError(Problem("setting_invalid", f"{name}={printable(text, True)!r} is not "
                                 f"{what}", file=name, hint=hint))
    suffix = match[2] if match.re.groups > 1 else None
    scale = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}.get((suffix or "b")[0].lower(), 1)
    return int(match[1]) * scale


class _Refused(Exception):
    """A limit was hit while reading: the reason code, message, and line/pointer when known."""

    def __init__(self, code: str, message: str, line: int | None = None, pointer: str = "",
                 hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint
        self.line, self.pointer = line, pointer

    def problem(self, display: str) -> Problem:
        return Problem(self.code, self.message, file=display, pointer=self.pointer,
                       line=self.line, hint=self.hint)


def _too_deep(line: int | None, pointer: str = "") -> _Refused:
    return _Refused("nesting_too_deep", f"nested deeper than {MAX_DEPTH} levels", line, pointer,
                    "a declaration or catalogue file needs only a few levels")


class _Limits:
    """Composing with limits: aliases counted, so a "billion laughs" document is refused early,
    and nesting bounded before PyYAML's composer recurses on."""

    alias_count = 0
    depth = 0

    def compose_node(self, parent, index):
        line = self.peek_event().start_mark.line + 1
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                raise _Refused("yaml_alias_limit", f"more than {MAX_ALIASES} YAML aliases", line,
                               hint="write the values out; aliases are for a few shared parts")
        if self.depth > MAX_DEPTH:  # refused while composing: PyYAML would recurse on
            raise _too_deep(line)
        self.depth += 1
        try:
            return yaml.composer.Composer.compose_node(self, parent, index)
        finally:
            self.depth -= 1


class _LimitedLoader(_Limits, yaml.SafeLoader):
    """The safe loader, in Python: its messages are the ones a problem reports."""


# Dates stay text ("2020-07-01"): the schemas validate them as strings with format "date".
_LimitedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)  # None without libyaml
_FastLoader: type | None = None
if _CParser is not None:
    class _FastLoader(_Limits, yaml.composer.Composer, _CParser,  # type: ignore[no-redef]
                      yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """The same loader on libyaml's scanner and parser (about 5× faster); composing, the
        limits and constructing stay those of `_LimitedLoader`."""

        yaml_implicit_resolvers = _LimitedLoader.yaml_implicit_resolvers

        def __init__(self, stream: str):
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)


def _compose(text: str) -> tuple[Any, yaml.Node | None]:
    """The loader that composed `text` and its node. libyaml reads a well-formed document, and
    a limit it hits is refused as it is (the limits are the same code on either parser). Only a
    document whose syntax libyaml refuses, or that nests too deep for it to compose (Python's
    recursion limit), or that has a character YAML does not allow, is read by the Python loader,
    which parses it once more: its messages name what was found ("found
    character '\\t' that cannot start any token"; libyaml's do not), and it reads documents
    libyaml refuses (a "\\ud800" escape in a quoted text, made printable afterwards)."""
    if _FastLoader is not None and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        fast = _FastLoader(text)
        try:
            return fast, fast.get_single_node()
        except (yaml.YAMLError, RecursionError):
            fast.dispose()
        except BaseException:
            fast.dispose()
            raise
    loader = _LimitedLoader(text)
    try:
        return loader, loader.get_single_node()
    except BaseException:
        loader.dispose()
        raise


_STR_TAG = "tag:yaml.org,2002:str"


def _walk_nodes(node: yaml.Node, pointer: str, lines: dict[str, int], problems: list[Problem],
                path: str, depth: int = 0, seen: set[int] | None = None) -> None:
    """Record the line of every node and find duplicate mapping keys."""
    if depth > MAX_DEPTH:
        raise _too_deep(node.start_mark.line + 1, pointer)
    seen = set() if seen is None else seen
    if id(node) in seen and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        return  # an alias of a node already walked
    seen.add(id(node))
    lines.setdefault(pointer, node.start_mark.line + 1)
    if len(lines) > MAX_NODES:
        raise _Refused("too_many_nodes", f"more than {MAX_NODES:,} values",
                       node.start_mark.line + 1, pointer)
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
                written = key_node.value if isinstance(key_node, yaml.ScalarNode) else "[…]"
                raise _Refused("key_not_text", f"the key {written!r} is not text",
                               key_node.start_mark.line + 1, pointer,
                               "quote the key, e.g. \"1\": …; keys name fields and ids")
            key = key_node.value
            child = pointer_join(pointer, key)
            if key in keys:
                problems.append(Problem(
                    code="duplicate_key", file=path, pointer=child,
                    line=key_node.start_mark.line + 1,
                    message=f"key {key!r} appears twice in the same mapping",
                    hint="YAML keeps only the last one; remove or rename the other"))
            keys.add(key)
            lines[child] = key_node.start_mark.line + 1
            _walk_nodes(value_node, child, lines, problems, path, depth + 1, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk_nodes(item, pointer_join(pointer, i), lines, problems, path, depth + 1, seen)


def _expanded_size(node: yaml.Node, memo: dict[int, int], pointer: str = "", depth: int = 0) -> int:
    """How many nodes the document has once every alias is expanded (memoised, so cheap).

    Refuses, at the first (innermost) node that is too deep or expands past MAX_NODES."""
    if depth > MAX_DEPTH:
        raise _too_deep(node.start_mark.line + 1, pointer)
    key = id(node)
    if key not in memo:
        if isinstance(node, yaml.MappingNode):
            children = [(n, pointer_join(pointer, k.value)) for k, v in node.value for n in (k, v)]
        elif isinstance(node, yaml.SequenceNode):
            children = [(n, pointer_join(pointer, i)) for i, n in enumerate(node.value)]
        else:
            children = []
        memo[key] = 1 + sum(_expanded_size(c, memo, p, depth + 1) for c, p in children)
        if memo[key] > MAX_NODES:
            raise _Refused("yaml_alias_limit",
                           f"aliases expand this part of the document to {memo[key]:,} values; "
                           f"the limit is {MAX_NODES:,} for the whole document",
                           node.start_mark.line + 1, pointer,
                           "a YAML alias bomb, or a document far too large")
    return memo[key]


def _json_depth_line(text: str) -> int | None:
    """The line where JSON text first nests deeper than MAX_DEPTH brackets, or None.

    A plain scan (strings skipped); run only once the document is known to be too deep."""
    depth, in_string, escaped = 0, False, False
    for i, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, i) + 1
        elif char in "]}":
            depth -= 1
    return None


def _depth(value: Any, limit: int = MAX_DEPTH) -> int:
    stack = [(value, 0)]
    deepest = 0
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if d > limit:
            return d
        if isinstance(item, dict):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, d + 1) for v in item)
    return deepest


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file, read a block at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def not_a_file(display: str, mode: int) -> Problem:
    """A folder, device, FIFO or socket where a file is expected: refused before it is read (a
    device or a FIFO could be read forever)."""
    kind, code = ("a folder", "path_folder") if stat.S_ISDIR(mode) else \
        ("a device", "path_device") if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else \
        ("a FIFO (named pipe)", "path_fifo") if stat.S_ISFIFO(mode) else \
        ("not a file", "path_other")
    return Problem("file_not_regular", f"{kind}, not a regular file", file=display,
                   hint=Hint("give a YAML, JSON or table file", "give_file"), **worded(code))


def no_such_file(display: str) -> Problem:
    """A path where there is no file."""
    return Problem("file_not_found", "no such file", file=display, **worded("no_such_file"))


_OS_REASONS = {errno.EACCES: "no_permission", errno.EPERM: "no_permission"}


def unreadable_file(display: str, exc: OSError) -> Problem:
    """A file the system refused to read: its words (`strerror`) in English, in another language
    the words of its error number where they are known (`_OS_REASONS`), else the system's."""
    reason = exc.strerror or str(exc)
    return Problem("file_unreadable", reason, file=display,
                   **worded(_OS_REASONS.get(exc.errno or 0, "system_said"), reason=reason))


def empty_file(display: str, blank: bool = False) -> Problem:
    """A file of no bytes (`blank`: of no text but white space)."""
    return Problem("file_empty", "the file is empty", file=display,
                   **worded("blank_file" if blank else "zero_bytes"))


def too_large_file(display: str, size: int, limit: int, table: bool = False) -> Problem:
    """A file over the limit of its kind (`table`: a table, with BENCHMARK_MAX_TABLE_BYTES)."""
    if table:
        return Problem("file_too_large", f"file is {size:,} bytes; the limit for a table is "
                       f"{limit:,}", file=display,
                       hint=Hint("split the table, or set BENCHMARK_MAX_TABLE_BYTES",
                                 "split_table"), **worded("table_too_large", size=size,
                                                          limit=limit))
    return Problem("file_too_large", f"file is {size:,} bytes; the limit is {limit:,}",
                   file=display, hint=Hint("split the file or check that it is the right one",
                                           "split_file"),
                   **worded("file_too_large", size=size, limit=limit))


def read_text(path: Path, display: str) -> tuple[str | None, bytes, list[Problem]]:
    """The file's text (UTF-8, BOM allowed) and raw bytes, or problems."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None, b"", [no_such_file(display)]
    except OSError as exc:
        return None, b"", [unreadable_file(display, exc)]
    if not stat.S_ISREG(info.st_mode):
        return None, b"", [not_a_file(display, info.st_mode)]
    size = info.st_size
    if size > MAX_BYTES:
        return None, b"", [too_large_file(display, size, MAX_BYTES)]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, b"", [unreadable_file(display, exc)]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        byte = repr(raw[exc.start:exc.start + 1])
        return None, raw, [Problem("file_encoding", f"not UTF-8 text (byte {exc.start}: {byte})",
                                   file=display, line=raw.count(b"\n", 0, exc.start) + 1,
                                   hint=Hint("save the file as UTF-8", "save_utf8"),
                                   **worded("not_utf8", at=exc.start, byte=byte))]
    if not text.strip():
        return None, raw, [empty_file(display, blank=bool(raw))]
    return text, raw, []


def read_document(path: str | Path, display: str | None = None
                  ) -> tuple[Document | None, list[Problem]]:
    """Parse one YAML or JSON file. Returns the document (None if unreadable) and its problems."""
    path = Path(path)
    display = display or str(path)
    text, raw, problems = read_text(path, display)
    if text is None:
        return None, problems
    digest = hashlib.sha256(raw).hexdigest()
    lines: dict[str, int] = {}
    if path.suffix.lower() == ".json":
        duplicates: list[str] = []

        def pairs(items: list[tuple[str, Any]]) -> dict:
            seen: dict = {}
            for key, value in items:
                if key in seen:
                    duplicates.append(key)
                seen[key] = value
            return seen

        try:
            data = json.loads(text, object_pairs_hook=pairs)
        except json.JSONDecodeError as exc:
            return None, [Problem("json_syntax", exc.msg, file=display, line=exc.lineno)]
        except RecursionError:
            return None, [_too_deep(_json_depth_line(text)).problem(display)]
        if _depth(data) > MAX_DEPTH:
            return None, [_too_deep(_json_depth_line(text)).problem(display)]
        found: list[Problem] = []
        try:  # JSON is YAML: reuse the YAML composer for line numbers and duplicate keys
            loader, node = _compose(text)
            loader.dispose()
            if node is not None:
                _walk_nodes(node, "", lines, found, display)
        except (yaml.YAMLError, _Refused, RecursionError):
            lines = {}
        if duplicates and not found:
            found = [Problem("duplicate_key", f"key {k!r} appears twice in the same object",
                             file=display, hint="JSON keeps only the last one") for k in duplicates]
        return Document(display, printable_data(data, text), digest, lines), problems + found
    loader = None
    try:
        loader, node = _compose(text)
        if node is None:
            return None, [Problem("file_empty", "the document is empty", file=display,
                                  **worded("no_document"))]
        _expanded_size(node, {})
        _walk_nodes(node, "", lines, problems, display)
        data = loader.construct_document(node)
    except _Refused as exc:
        return None, [exc.problem(display)]
    except RecursionError:
        return None, [_too_deep(None).problem(display)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, [Problem("yaml_syntax", f"{exc.problem or exc}".strip(), file=display,
                              line=mark.line + 1 if mark else None,
                              hint=exc.context or None)]
    except yaml.YAMLError as exc:
        return None, [Problem("yaml_syntax", str(exc), file=display)]
    finally:
        if loader is not None:
            loader.dispose()
    return Document(display, printable_data(data, text), digest, lines), problems


def non_finite_problems(doc: Document) -> list[Problem]:
    """Every NaN or infinite number in `doc` (YAML .nan/.inf, JSON NaN/Infinity): JSON Schema
    counts them as numbers, but no catalogue value may be one."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str]] = [(doc.data, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(doc.problem("value_not_finite", f"{value} is not a finite number",
                                        pointer, "write a finite number"))
        elif isinstance(value, dict):
            stack.extend((v, pointer_join(pointer, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, pointer_join(pointer, i)) for i, v in enumerate(value))
    return sorted(problems, key=lambda p: (p.line or 0, p.pointer or ""))


# --- schemas -------------------------------------------------------------------------------

def schema_path(name: str) -> Path:
    return Path(str(resources.files("benchmark") / "schemas" / f"{name}.schema.json"))


@cache
def _registry() -> Registry:
    registry = Registry()
    for name in SCHEMA_NAMES:
        contents = json.loads(schema_path(name).read_text(encoding="utf-8"))
        registry = registry.with_resource(contents["$id"], Resource.from_contents(contents))
    return registry


@cache
def validator(name: str) -> Draft202012Validator:
    contents = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return Draft202012Validator(contents, registry=_registry(), format_checker=FormatChecker())


def _leaf_errors(error):
    """For oneOf/anyOf failures, the most specific sub-errors (those deepest in the document)."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = max(len(e.absolute_path) for e in error.context)
        if deepest > len(error.absolute_path):
            for sub in error.context:
                if len(sub.absolute_path) == deepest:
                    yield from _leaf_errors(sub)
            return
    yield error


def schema_problems(doc: Document, schema: str) -> list[Problem]:
    """Every schema violation in `doc`, each located and with a stable `schema_<keyword>` code."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for error in validator(schema).iter_errors(doc.data):
        for leaf in _leaf_errors(error):
            pointer = "".join(pointer_join("", p) for p in leaf.absolute_path)
            key = (pointer, leaf.message)
            if key in seen:
                continue
            seen.add(key)
            problems.append(doc.problem(f"schema_{leaf.validator}", _clipped(leaf.message),
                                        pointer, hint=_schema_hint(leaf), **_schema_said(leaf)))
    return problems


SHOWN_CHARS = 300  # of a schema violation's message, and of a value its wording shows


def _clipped(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "..."


def _shown(value: Any) -> str:
    """A value of a document as a schema violation's wording shows it: a text in quotes, else
    as JSON writes it."""
    if isinstance(value, str):
        return f"“{_clipped(value)}”"
    return _clipped(json.dumps(value, ensure_ascii=False, default=str))


def _schema_hint(error) -> str | None:
    if error.validator == "enum":
        choices = ", ".join(map(str, error.validator_value))
        return Hint("one of: " + choices, "one_of", choices=choices)
    if error.validator == "additionalProperties" and isinstance(error.schema, dict):
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        if allowed:
            return Hint("allowed keys: " + allowed, "allowed_keys", choices=allowed)
    if error.validator == "format" and error.validator_value == "date":
        return Hint("write dates as YYYY-MM-DD", "date_form")
    if error.validator == "oneOf" and isinstance(error.schema, dict):
        return error.schema.get("description")  # what the forms are, e.g. a text's two forms
    return None


_LIMITS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
           "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")


def _schema_said(error) -> dict[str, Any]:
    """The wording of a common kind of schema violation in labels.yaml (`problem_messages`
    `schema_<kind>`) and the values it takes, as `Problem` fields (`errors.worded`); {} for
    the rarer kinds, told as jsonschema words them."""
    kind, expected, value = error.validator, error.validator_value, error.instance
    code = f"schema_{kind}"
    if kind == "required":
        key = next((k for k in expected if f"{k!r} is a required property" == error.message),
                   None)
        return worded(code, key=key) if key is not None else {}
    if kind == "type":
        types = (expected,) if isinstance(expected, str) else tuple(expected)
        return worded(code, value=_shown(value), types=Term("json_types", *types))
    if kind in ("enum", "oneOf", "anyOf"):
        return worded(code, value=_shown(value))
    if kind == "additionalProperties" and isinstance(value, dict) and expected is False:
        known = error.schema.get("properties", {})
        return worded(code, keys=", ".join(str(k) for k in value if k not in known))
    if kind in _LIMITS:
        return worded(code, value=_shown(value), limit=expected)
    if kind == "pattern":
        return worded(code, value=_shown(value), pattern=expected)
    if kind == "const":
        return worded(code, expected=_shown(expected))
    if kind == "format" and expected == "date":
        return worded("not_a_date", text=str(value))
    return {}
