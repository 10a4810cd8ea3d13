"""The `benchmark` command line: parses arguments, calls the library, prints, sets the exit code.

No domain logic lives here. User mistakes (InputError) print every problem and exit 2 with no
traceback. Any other exception is a bug: one line says what failed and where the traceback was
written (a crash log under $XDG_STATE_HOME/benchmark, else ~/.cache/benchmark, else the temporary
folder), and the exit status is 70 (EX_SOFTWARE). Everything printed has its control characters
escaped.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import os
import sys
import time
import unicodedata
from pathlib import Path

import click

from benchmark import __version__
from benchmark.errors import InputError, Problem, worded
from benchmark.loading import printable

EXIT_INPUT = 2
EXIT_SOFTWARE = 70  # sysexits.h: an internal error


def data_dir_option(f):
    return click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                        envvar="BENCHMARK_DATA",
                        help="Catalogue folder (indicator_sets/, ladders/, reference_standards/). "
                             "Default: the shipped catalogue.")(f)


def lang_option(default: str = "en"):
    """--lang of a command whose words are the lines it prints (problems, summaries)."""
    return click.option("--lang", type=click.Choice(["zh", "en"]), default=default,
                        show_default=True, is_eager=True, callback=_known_lang,
                        help="Language of the lines printed.")


_LANG = "benchmark.lang"


def _known_lang(ctx, param, value: str) -> str:
    """--lang, read before the other options (eager) and kept where the group's handler finds
    it: an option's problem is told in the command's language."""
    ctx.meta[_LANG] = value
    return value


def date_option(help_text: str):
    """--date YYYY-MM-DD, given to the command as a date (default: today, unless
    SOURCE_DATE_EPOCH fixes it)."""
    def to_date(ctx, param, value):
        return value.date() if value else evaluation_date()
    return click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
                        callback=to_date, help=help_text)


def comma_list(ctx, param, value: str) -> list[str]:
    """"json,md" → ["json", "md"]."""
    return [item.strip() for item in value.split(",") if item.strip()]


def report_options(formats: str, formats_help: str, lang_help: str, templates_help: str):
    """--format (a comma list), --lang, --template-dir and -o/--output, shared by every command
    that writes reports; each command gives its default formats and its help texts."""
    def decorate(f):
        f = click.option("-o", "--output", "out_dir",
                         type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
                         show_default=True, help="Output folder.")(f)
        f = click.option("--template-dir", type=click.Path(file_okay=False),
                         help=templates_help)(f)
        f = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
                         show_default=True, is_eager=True, callback=_known_lang,
                         help=lang_help)(f)
        return click.option("--format", "formats", callback=comma_list, default=formats,
                            show_default=True, help=formats_help)(f)
    return decorate


def command_lang() -> str:
    """The --lang of the running command (its messages' language), else en."""
    ctx = click.get_current_context(silent=True)
    lang = ctx.meta.get(_LANG) if ctx else None
    return lang if lang in ("zh", "en") else "en"


def problem_line(p: Problem, lang: str, column: str | None = None) -> str:
    """A problem as one line in `lang`: in en as the engine writes it; in zh the same stable head
    a script can find in any language (location: file, line, JSON pointer; severity and reason
    code: `error [code]`), then what is wrong in zh where the code has words, the particulars
    (in zh where the problem has a `message_code`, else the engine's message) and the hint;
    `column` names the column (an indicator's name)."""
    if lang == "en":
        return p.format()
    from benchmark.report import labels
    from benchmark.wording import problem_said

    L = labels(lang)
    C = L["cli"]
    where = (p.file or "<input>") + (f":{p.line}" if p.line is not None else "") + \
        (f" {p.pointer}" if p.pointer else "")
    words = L["problems"].get(p.code)
    message, hint = problem_said(p, L)
    text = C["problem_detail"].format(words=words, message=message) if words else message
    if column:
        text = C["problem_column"].format(column=column, text=text)
    line = C["problem"].format(where=where, severity=p.severity, code=p.code, text=text)
    return line + (C["hint"].format(hint=hint) if hint else "")


SHOWN_PROBLEMS = 100  # listed one a line unless --verbose (a reader lists 50 of a kind at most)
UNUSABLE_SHOWN = 20  # a ranked table's unusable rows listed unless --verbose (all: excluded.csv)


def listed(items: list, most: int) -> list:
    """The items a command lists one a line: every one with --verbose, else the first `most`
    (the caller counts the rest)."""
    return items if verbosity() >= VERBOSE else items[:most]


def print_problems(problems: list[Problem]) -> None:
    """Errors always; warnings unless --quiet; in the command's --lang. Past SHOWN_PROBLEMS
    (a platform export with one mistake on 25,000 rows), the rest are counted by reason code
    in one line, and --verbose lists every one."""
    lang = command_lang()
    told_of = [p for p in problems if p.severity == "error" or verbosity() >= NORMAL]
    shown = listed(told_of, SHOWN_PROBLEMS)
    for p in shown:
        say(problem_line(p, lang), QUIET, err=True)
    rest = collections.Counter(p.code for p in told_of[len(shown):])
    if rest:
        say(told(lang, "more_problems", count=f"{rest.total():,}", codes=", ".join(
            f"{code} {n:,}" for code, n in sorted(rest.items()))), QUIET, err=True)


def _refuse(exc: InputError) -> None:
    print_problems(exc.problems)
    errors = sum(1 for p in exc.problems if p.severity == "error")
    say(told(command_lang(), "input_errors", errors=errors), err=True)
    sys.exit(EXIT_INPUT)


QUIET, NORMAL, VERBOSE = 0, 1, 2
_LEVEL = "benchmark.verbosity"


def verbosity_options(f):
    """--quiet / --verbose, shared by every command. Quiet: errors only (the files and the exit
    status say the rest); verbose: every warning and unusable row, and each file written."""
    @functools.wraps(f)
    def wrapper(*args, quiet: bool = False, verbose: bool = False, **kwargs):
        if quiet and verbose:
            raise click.UsageError("--quiet and --verbose exclude each other")
        click.get_current_context().meta[_LEVEL] = QUIET if quiet else VERBOSE if verbose \
            else NORMAL
        return f(*args, **kwargs)
    wrapper = click.option("-v", "--verbose", is_flag=True,
                           help="Say more: every warning and unusable row, each file written.")(
        wrapper)
    return click.option("-q", "--quiet", is_flag=True,
                        help="Print errors only, no progress, warnings or summary.")(wrapper)


def verbosity() -> int:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_LEVEL, NORMAL) if ctx else NORMAL


def _width(text: str) -> int:
    """Columns a terminal gives `text`: two for a wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def aligned(rows: list[list[str]]) -> list[str]:
    """Console table lines: every column but the last padded to its widest cell, counted in
    terminal columns (a Chinese character takes two)."""
    widths = [max((_width(r[k]) for r in rows), default=0) for k in range(len(rows[0]) - 1)] \
        if rows else []
    return ["  ".join([*(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=False)),
                       r[-1]]) for r in rows]


def told(lang: str, key: str, **values) -> str:
    """A command's closing line in the report language (reports/labels.yaml, section `cli`)."""
    from benchmark.report import labels

    return str(labels(lang)["cli"][key]).format(**values)


def say(text: str, at: int = NORMAL, err: bool = False) -> None:
    """Print `text` when the verbosity is at least `at` (warnings and progress go to stderr),
    one line, control characters (ANSI escapes, BEL, NUL …) escaped."""
    if verbosity() >= at:
        click.echo(printable(str(text), one_line=True), err=err)


def shows_progress() -> bool:
    """Progress is drawn on standard error only, only on a terminal, never with --quiet."""
    return verbosity() >= NORMAL and sys.stderr.isatty()


def table_reading_options(f):
    """--header-row and --input-format for commands that read tables."""
    from benchmark.population import INPUT_FORMATS

    f = click.option("--input-format", type=click.Choice(INPUT_FORMATS), default=None,
                     help="Format of a table read from standard input (given as '-'); "
                          "default csv (delimiter and encoding detected).")(f)
    return click.option("--header-row", type=click.IntRange(min=1), default=None, metavar="N",
                        help="Row of the table's header, for templates with a title above "
                             "it, counted as a spreadsheet shows rows (a quoted cell's line "
                             "breaks stay in its row; default 1, or the mapping file's "
                             "header_row).")(f)


def handles_input_errors(f):
    """Turn InputError into a problem listing and exit status 2."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except InputError as exc:
            _refuse(exc)
    return wrapper


def crash_log_folder() -> Path:
    """Where crash logs go: $XDG_STATE_HOME/benchmark, else ~/.cache/benchmark, else the
    temporary folder (the first that can be written)."""
    import os
    import tempfile

    candidates = []
    if os.environ.get("XDG_STATE_HOME"):
        candidates.append(Path(os.environ["XDG_STATE_HOME"]) / "benchmark")
    candidates += [Path.home() / ".cache" / "benchmark", Path(tempfile.gettempdir())]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK):
                return folder
        except OSError:
            continue
    return Path(tempfile.gettempdir())


def write_crash_log(exc: BaseException, command: str) -> Path | None:
    """The traceback of an unexpected exception in a new crash log; its path (None when no
    folder takes it)."""
    import datetime as dt
    import os
    import platform
    import tempfile
    import traceback

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = (f"benchmark {__version__}, Python {platform.python_version()}, {platform.platform()}\n"
            f"command: {' '.join(sys.argv)!r} ({command})\n\n"
            + "".join(traceback.format_exception(exc)))
    for folder in (crash_log_folder(), Path(tempfile.gettempdir())):
        try:
            fd, name = tempfile.mkstemp(dir=folder, prefix=f"crash-{stamp}-", suffix=".log")
            with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(text)
            return Path(name)
        except OSError:
            continue
    return None


class BenchmarkGroup(click.Group):
    """The command group: every command's InputError exits 2 (problems listed), any other
    exception 70 with a one-line message and a crash log — never a traceback."""

    def invoke(self, ctx: click.Context):
        from benchmark import units

        units.reset_hint_budget()  # each command gets its share of spelling hints
        try:
            return super().invoke(ctx)
        except InputError as exc:
            _refuse(exc)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # `benchmark list ... | head`: the reader left; stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:
            command = ctx.invoked_subcommand or "benchmark"
            log = write_crash_log(exc, command)
            where = f"the traceback is in {log}" if log else "no crash log could be written"
            say(f"benchmark {command}: internal error ({type(exc).__name__}: "
                f"{str(exc)[:200]}); this is a bug, not your input; {where}", QUIET, err=True)
            sys.exit(EXIT_SOFTWARE)


def in_range(name: str, low: int, high: int | None = None):
    """An option callback: a whole number in [low, high], else InputError `option_out_of_range`
    (exit 2). The ranges are this command line's, not a programme's."""
    def check(ctx, param, value):
        if value is None or (low <= value and (high is None or value <= high)):
            return value
        span = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise InputError(Problem("option_out_of_range", f"{name} {value} is out of range",
                                 file=name, hint=f"a whole number {span}",
                                 hint_code="whole_number_from_to" if high is not None else
                                 "whole_number_from", **worded(
                                     "option_value", option=name, value=value, low=low,
                                     high=high)))
    return check


def method_option_check(ctx, param, value):
    """--method read and range-checked before any work (percentile 0.001..100, counts up to
    100 000): tiny percentages mean samples no table holds, and overflow."""
    if value is None:
        return value
    from benchmark.thresholds import parse_method

    method = parse_method(value)
    limits = {"percentile": (0.001, 100.0), "topk": (1, 100_000), "tiers": (1, 1000),
              "toprunner": (0.0, 0.999)}
    low, high = limits[method.kind]
    if not low <= method.param <= high:
        raise InputError(Problem("option_out_of_range", f"--method {value}: {method.param:g} "
                                 f"is out of range", file="--method",
                                 hint=f"{method.kind} takes {low:g} to {high:g}",
                                 hint_code="method_range", **worded(
                                     "option_value", option="--method", value=value,
                                     kind=method.kind, low=f"{low:g}", high=f"{high:g}")))
    return value


@click.group(cls=BenchmarkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="benchmark")
def main() -> None:
    """Tell whether a product standard is advanced: compare its declared indicators with GB,
    sector, ISO/IEC and foreign reference values, assign levels and apply programme rules."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@lang_option()
@data_dir_option
@verbosity_options
@handles_input_errors
def validate(paths: tuple[Path, ...], lang: str, data_dir: Path | None) -> None:
    """Check catalogue files and declarations (default: the whole catalogue).

    Every problem is listed with file, line, JSON pointer and reason code; exit status 2 when
    there is any error.
    """
    from benchmark.catalogue import validate_paths

    report = validate_paths(list(paths), data_dir)
    print_problems(report.problems)
    what = ", ".join(map(str, paths)) if paths else told(lang, "validated_catalogue")
    say(told(lang, "validated", what=what, errors=len(report.errors),
             warnings=len(report.warnings)))
    if report.errors:
        sys.exit(EXIT_INPUT)


@main.command(name="list")
@click.argument("what", type=click.Choice(["sets", "references", "programmes"]))
@date_option("Status of reference editions on this date (default: today, or SOURCE_DATE_EPOCH).")
@data_dir_option
@verbosity_options
@handles_input_errors
def list_(what: str, day, data_dir: Path | None) -> None:
    """List indicator sets, reference editions (with status) or programmes."""
    from benchmark.catalogue import load_catalogue, number_counts

    cat = load_catalogue(data_dir)
    if what == "sets":
        for s in cat.sets.values():
            say(f"{s.id}\t{s.names.en} / {s.names.zh}\t{len(s.indicators)} indicators, "
                f"{len(s.segments)} segments, programmes: {', '.join(s.programmes)}")
    elif what == "references":
        for r in sorted(cat.references.values(), key=lambda r: (r.tier, r.id)):
            numbers, unverified = number_counts(r)
            mark = f", {unverified} of {numbers} number(s) unverified" if unverified else ""
            if not r.values and r.governs:
                mark = f", values not in the catalogue (governs {len(r.governs)} indicator(s))"
            say(f"{r.id}\t{r.tier}\t{'mandatory' if r.mandatory else 'voluntary'}\t"
                f"{cat.status_of(r.id, day)} on {day}\t{len(r.values)} value(s){mark}")
    else:
        for s in cat.sets.values():
            for p in s.programmes.values():
                say(f"{s.id}\t{p.id}\t{p.basis_kind}\t{p.names.en}")


@main.command()
@click.argument("declarations", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--programme", "-p", default="leader", show_default=True,
              help="Programme whose rules apply (see `benchmark list programmes`).")
@date_option("Evaluation date: references in force on it are used (default: today, or "
                   "SOURCE_DATE_EPOCH when set).")
@report_options("json,md",
                formats_help="Comma-separated output formats: json, md, html (one self-contained "
                             "file), pdf (printed by headless Chromium), xlsx.",
                lang_help="Language of the reports (md, html, pdf, xlsx).",
                templates_help="Folder with your own report templates; they override the shipped "
                               "ones by file name (evaluation.md.j2, evaluation.html.j2, "
                               "letterhead.html.j2, report.css, labels.yaml).")
@click.option("--include-superseded", is_flag=True,
              help="Also compare with superseded or withdrawn editions.")
@click.option("--set", "set_id", default=None,
              help="Category of the rows of a table input that has no 'category' column.")
@click.option("--mapping", type=click.Path(path_type=Path), default=None,
              help="Column-mapping file (YAML, schema mapping/1) for a table input.")
@click.option("--population", type=click.Path(path_type=Path), default=None,
              help="Peer population table: reports show where each applicant stands among peers "
                   "of its segment and the leader threshold.")
@click.option("--population-mapping", type=click.Path(path_type=Path), default=None,
              help="Column-mapping file for --population.")
@click.option("--audit-db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite audit database each evaluation is appended to (default: "
                   "OUTPUT/audit.sqlite).")
@click.option("--no-audit", is_flag=True,
              help="Do not record the evaluations in an audit database.")
@click.option("--reports", default=None, metavar="all|not-eligible|eligible|not-evaluable|none|IDS",
              help="Which declarations get an individual report set (--format): a kind, or a "
                   "comma list of row numbers / models as written. Default: every declaration "
                   "file; the rows of a table up to 100 rows, none beyond.")
@click.option("--table-format", "table_formats", callback=comma_list,
              default="csv,parquet,xlsx", show_default=True,
              help="Formats of a table's verdict table (one row per declaration): csv (UTF-8 "
                   "with BOM), parquet, xlsx.")
@click.option("--jobs", type=int, default=None, metavar="N", callback=in_range("--jobs", 1),
              help="Processes making the individual reports of a table's rows (default: one "
                   "per CPU for 200 reports or more, else one). The files are the same "
                   "whatever N.")
@click.option("--dask", "dask_address", default=None, metavar="SCHEDULER-ADDRESS|local[:N]",
              help="Evaluate a Parquet dataset (a folder or a glob) on a Dask cluster: a "
                   "scheduler's address, or local[:N] for N workers here. Each worker writes "
                   "its parts of the verdict table (csv, parquet: the default then) under "
                   "OUTPUT/NAME.verdicts/ (a folder the workers can write); no individual "
                   "reports and no audit records. Needs the extra 'dask'.")
@table_reading_options
@data_dir_option
@verbosity_options
@handles_input_errors
@click.pass_context
def evaluate(ctx, declarations, programme, day, formats, lang, include_superseded, template_dir,
             set_id, mapping, population, population_mapping, out_dir, audit_db, no_audit,
             reports, table_formats, jobs, dask_address, header_row, input_format,
             data_dir) -> None:
    """Evaluate declarations under a programme: YAML/JSON files, folders of them, or a table
    (CSV/TSV/TXT/XLSX/Parquet, one declaration per row; '-' reads one from standard input).
    A table gets a verdict table (TABLE.verdicts.csv/.parquet/.LANG.xlsx) and a summary
    (TABLE.summary.json/.LANG.md); individual report sets are written for the declarations
    --reports selects, listed in summary.csv (UTF-8 with BOM)."""
    from benchmark.audit import AuditTrail
    from benchmark.batch import check_evaluate_options, evaluate_files
    from benchmark.population import table_options
    from benchmark.report import labels, output_folder

    files = list(declarations)
    if dask_address is not None:
        if ctx.get_parameter_source("table_formats") is click.core.ParameterSource.DEFAULT:
            table_formats = ["csv", "parquet"]
        evaluate_on_dask(files, programme, day, lang, include_superseded, template_dir, set_id,
                         mapping, population, population_mapping, out_dir, reports,
                         table_formats, dask_address, data_dir)
        return

    options = {"programme": programme, "date": day.isoformat(), "formats": ",".join(formats),
               "lang": lang, "include_superseded": include_superseded, "set": set_id,
               "mapping": str(mapping) if mapping else None,
               "population": str(population) if population else None,
               "data_dir": str(data_dir) if data_dir else None}
    audit_db = None if no_audit else (audit_db or out_dir / "audit.sqlite")
    options["reports"] = reports
    options["table_formats"] = ",".join(table_formats)
    check_evaluate_options(formats, table_formats, reports)
    with output_folder(out_dir, audit_db), table_options(header_row, input_format), \
            stage_progress(told(lang, "bar_evaluate"), 4, lang) as step:
        result = evaluate_files(files, programme, day, out_dir, formats, lang, data_dir,
                                include_superseded, template_dir, set_id=set_id,
                                mapping=mapping, population=population,
                                population_mapping=population_mapping,
                                audit=AuditTrail(audit_db, options) if audit_db else None,
                                reports=reports, table_formats=table_formats, stages=step,
                                jobs=jobs)
    step.stop()
    for stage, seconds in step.times:
        n = (len(result.results) if stage == "reports" else
             sum(t["rows"] for t in result.tables) if stage == "writing" else result.evaluated)
        say(told(lang, "stage_time", stage=told(lang, f"stage_{stage}"), rows=f"{n:,}",
                 seconds=f"{seconds:.1f}", rate=f"{n / max(seconds, 1e-9):,.0f}"),
            VERBOSE if not shows_progress() else NORMAL, err=True)
    print_problems(result.warnings)
    for note in result.notes:
        say(note, err=True)
    words = labels(lang)["ranking"]  # verdicts in words
    for line in aligned([[words.get(row["verdict"], row["verdict"]),
                          (evaluation["overall_level"] or {}).get("names", {}).get(lang) or "-",
                          row["standard"], row["file"]]
                         for row, (evaluation, _) in zip(result.summary, result.results,
                                                         strict=True)]):
        say(line)
    for table in result.tables:
        counts = ", ".join(f"{words.get(k, k)} {v}" for k, v in table["by_verdict"].items())
        say(told(lang, "table_rows", table=table["table"], rows=table["rows"], counts=counts))
    for path in result.outputs:
        say(str(path), VERBOSE)
    say(told(lang, "evaluated", count=result.evaluated, date=day, folder=out_dir,
             programme=result.programme_names.get(lang, programme))
        + ("" if no_audit else told(lang, "audit_records", db=audit_db)))


def evaluate_on_dask(files, programme, day, lang, include_superseded, template_dir, set_id,
                     mapping, population, population_mapping, out_dir, reports, table_formats,
                     dask_address, data_dir) -> None:
    """`evaluate DATASET --dask`: the verdict table in parts and its summary
    (distributed.evaluate_dataset)."""
    from benchmark import distributed
    from benchmark.report import labels, output_folder

    distributed.check_dataset_evaluation(files, table_formats, reports)  # before any work
    with output_folder(out_dir), distributed.dask_client(dask_address) as client, \
            stage_progress(told(lang, "bar_evaluate"), 1, lang) as step:
        step("writing")  # each part read, assessed and written by a worker: its rows told back
        summary, paths, names = distributed.evaluate_dataset(
            files[0], set_id, programme, day, out_dir, table_formats, lang, data_dir, mapping,
            include_superseded, template_dir, population, population_mapping, client,
            progress=step.rows)
    words = labels(lang)["ranking"]  # verdicts in words, as without --dask
    counts = ", ".join(f"{words.get(k, k)} {v}" for k, v in summary["by_verdict"].items())
    say(told(lang, "table_rows", table=summary["table"], rows=summary["rows"], counts=counts))
    for path in paths:
        say(str(path), VERBOSE)
    say(told(lang, "evaluated", count=summary["rows"], date=day, folder=out_dir,
             programme=getattr(names, lang)))


@main.command()
@click.option("--set", "set_id", required=True,
              help="Product category (see `benchmark list sets`).")
@click.option("--segment", default=None,
              help="One segment of the category (default: every segment the --param values allow).")
@click.option("--references", multiple=True,
              help="Only these reference editions (repeat the option or separate ids with commas; "
                   "default: all).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Product parameter for thresholds that depend on one, e.g. rated_power=1.5kW "
                   "(repeatable).")
@date_option("Editions in force on this date (default: today, or SOURCE_DATE_EPOCH).")
@click.option("--include-superseded", is_flag=True,
              help="Also show superseded or withdrawn editions (never counted as most stringent).")
@report_options("html,md,json",
                formats_help="Comma-separated output formats: html, pdf (printed by headless "
                             "Chromium), xlsx, md, json.",
                lang_help="Language of the reports.",
                templates_help="Folder with your own templates (study.html.j2, study.md.j2, "
                               "report.css, letterhead.html.j2, labels.yaml).")
@data_dir_option
@verbosity_options
@handles_input_errors
def compare(set_id, segment, references, params, day, include_superseded, formats, lang,
            template_dir, out_dir, data_dir) -> None:
    """Comparison study: reference standards × indicators of one category on one unit basis, the
    most stringent value per indicator and domestic vs international/foreign values."""
    from benchmark.catalogue import load_catalogue
    from benchmark.report import output_folder
    from benchmark.report.study import write_study
    from benchmark.study import compare_study

    refs = [r.strip() for item in references for r in item.split(",") if r.strip()]
    with output_folder(out_dir):
        result = compare_study(load_catalogue(data_dir), set_id, day, segment, refs or None,
                               params, include_superseded)
        paths = write_study(result, formats, out_dir,
                            lang, template_dir, segment)
    for path in paths:
        say(str(path))
    names = result["category"]["names"]
    say(told(lang, "study_written", category=names.get(lang, set_id), date=day,
             references=len(result["references"]), segments=len(result["segments"])))


@main.command()
@click.argument("population", type=click.Path(path_type=Path))
@click.option("--set", "set_id", required=True, help="Product category of the population.")
@click.option("--mapping", type=click.Path(path_type=Path), default=None,
              help="Column-mapping file (YAML, schema mapping/1) for a table whose headers are "
                   "not indicator ids or names.")
@click.option("--programme", "-p", default="leader", show_default=True,
              help="Programme whose rules decide eligibility and whose peer settings apply.")
@click.option("--method", default=None, metavar="percentile:P|topk:K|toprunner:R|tiers:K",
              callback=method_option_check,
              help="Leader threshold method (default: the programme's, else percentile:5); "
                   "P from 0.001 to 100, K up to 100000 (tiers up to 1000), R below 1.")
@click.option("--shortlist", type=int, default=None, callback=in_range("--shortlist", 1, 100_000),
              help="Shortlist size, 1 to 100000 (default: the programme's).")
@click.option("--tiers", type=int, default=None, callback=in_range("--tiers", 1, 1000),
              help="Tiers per indicator, 1 to 1000 (default: the programme's).")
@click.option("--seed", type=int, default=0, show_default=True,
              callback=in_range("--seed", 0, 2 ** 32 - 1),
              help="Seed of the bootstrap, 0 to 4294967295.")
@date_option("Evaluation date (default: today, or SOURCE_DATE_EPOCH).")
@click.option("--include-superseded", is_flag=True,
              help="Also compare with superseded or withdrawn editions.")
@report_options("json,csv,md",
                formats_help="Comma-separated output formats: json, csv (one file per table, "
                             "UTF-8 with BOM), parquet (one file per table), xlsx, md, html (one "
                             "self-contained report), pdf (the HTML printed by headless "
                             "Chromium), boards (the single-indicator rankings as HTML and XLSX, "
                             "in zh and en).",
                lang_help="Language of the reports (md, html, pdf, xlsx).",
                templates_help="Folder with your own ranking.md.j2, ranking.html.j2, report.css, "
                               "letterhead.html.j2, labels.yaml.")
@click.option("--dask", "dask_address", default=None, metavar="SCHEDULER-ADDRESS|local[:N]",
              help="Read the parts of a Parquet dataset (a folder or a glob) on a Dask cluster: "
                   "a scheduler's address, or local[:N] for N workers here. Per-row Parquet "
                   "tables are then written as datasets. Needs the extra 'dask'.")
@table_reading_options
@data_dir_option
@verbosity_options
@handles_input_errors
def rank(population, set_id, mapping, programme, method, shortlist, tiers, seed, day,
         include_superseded, formats, lang, template_dir, out_dir, dask_address, header_row,
         input_format, data_dir) -> None:
    """Peer benchmarking of a population table (CSV, TSV, TXT, XLSX, Parquet; '-' reads one from
    standard input) or a partitioned Parquet dataset (a folder or a glob): leader thresholds,
    single-indicator tiers, composite ranking and shortlist."""
    from benchmark import distributed
    from benchmark.catalogue import load_catalogue
    from benchmark.leaders import for_writing, problem_column, rank_file
    from benchmark.population import table_options
    from benchmark.report import check_formats, labels, output_folder
    from benchmark.report.boards import board_outputs
    from benchmark.report.ranking import (
        RANK_FORMATS,
        ranked_population,
        ranking_result,
        warning_text,
        write_ranking,
    )

    boards = "boards" in formats  # the single-indicator boards, zh and en (report/boards.py)
    formats = [f for f in formats if f != "boards"]
    if formats or not boards:
        check_formats(formats, RANK_FORMATS)  # before any work
    catalogue = load_catalogue(data_dir)
    dataset = dask_address is not None or distributed.is_dataset(population)
    with output_folder(out_dir), stage_progress(told(lang, "bar_rank"), 4, lang) as step, \
            table_options(header_row, input_format), \
            distributed.dask_client(dask_address) as client:
        staged: list = []  # per-row parts the workers wrote, put in place with the rest
        if dataset:
            r, staged = distributed.rank_dataset(
                population, catalogue, set_id, programme, day, data_dir, mapping, method,
                shortlist, tiers, seed, include_superseded, client, step,
                out_dir if "parquet" in formats else None)
        else:
            r = rank_file(population, catalogue, set_id, programme, day, mapping, method,
                          shortlist, tiers, seed, include_superseded, step,
                          progress=step.rows)
        with distributed.discarded_on_error(staged):
            pop = ranked_population(r)
            result = ranking_result(r, pop.inputs, catalogue.sha256)
            step("writing")
            extra = board_outputs(r, template_dir) if boards else []
        rows = pop.rows_read or len(pop)
        excluded, warnings = pop.excluded, list(pop.warnings)
        shown = [(p, problem_column(pop, p)) for p in listed(excluded, UNUSABLE_SHOWN)]
        shortlisted = int(r.composite["shortlisted"].sum())
        tables = for_writing(r)
        del r, pop  # the assessment let go of: the tables are written holding them alone
        if client:
            paths = distributed.write_ranking_parts(tables, result, formats, out_dir, staged,
                                                    lang, template_dir, extra)
        else:
            paths = write_ranking(tables, result, formats, out_dir, lang, template_dir,
                                  split=lambda title, parts: say(told(
                                      lang, "sheet_split", title=title, parts=parts), err=True),
                                  step=step.detail, extra=extra, progress=step.rows)
    step.stop()
    written = sum(result["tables"].values())
    for stage, seconds in step.times:
        n = written if stage == "writing" else rows
        say(told(lang, "stage_time", stage=told(lang, f"stage_{stage}"), rows=f"{n:,}",
                 seconds=f"{seconds:.1f}", rate=f"{n / max(seconds, 1e-9):,.0f}"),
            VERBOSE if not shows_progress() else NORMAL, err=True)
    names = result["indicator_names"]
    for p, column in shown:
        say(problem_line(p, lang, names[column][lang] if column in names else None), err=True)
    if len(excluded) > len(shown):
        say(told(lang, "more_unusable", count=len(excluded) - len(shown)), err=True)
    print_problems(warnings)  # of the table read (columns it does not use …)
    for w in result["warnings"]:
        say(told(lang, "warning", message=warning_text(w, result, labels(lang)["ranking"],
                                                       lang)), err=True)
    counts = result["population"]
    names = catalogue.sets[set_id].programmes[programme].names
    say(told(lang, "ranked", usable=counts["usable_rows"], unusable=counts["unusable_rows"],
             shortlisted=shortlisted,
             programme=names.zh if lang == "zh" else names.en, date=day, folder=out_dir))
    for path in paths:
        say(str(path))


@main.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--base-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder the evaluation ran in (relative input paths are resolved from it).")
@lang_option()
@data_dir_option
@verbosity_options
@handles_input_errors
def verify(reports, base_dir, lang, data_dir) -> None:
    """Recompute JSON reports from the inputs they record and say whether each still matches:
    edited inputs, catalogue files and report fields are named. Exit status 0 when every report
    matches, 1 when one does not, 2 when a report cannot be read."""
    from benchmark.verify import verify_report

    mismatched = 0
    for report in reports:
        v = verify_report(report, data_dir, base_dir)
        if v.skipped:
            say(told(lang, "verify_skipped", report=report, kind=v.skipped))
            continue
        print_problems(v.findings)
        say(told(lang, "verify_matches" if v.ok else "verify_mismatch", report=report),
            NORMAL if v.ok else QUIET)
        mismatched += not v.ok
    sys.exit(1 if mismatched else 0)


class StageProgress:
    """Moves a progress bar over named stages (`progress(stage)`) and shows, while a stage runs,
    the rows it has done and its rows per second (`progress.rows(done)`), redrawn at most every
    `REDRAW_SECONDS`, and what it is at (`progress.detail(text)`: the file being written, whose
    rows `rows` then counts). Without a bar (not a terminal, --quiet) they do nothing."""

    REDRAW_SECONDS = 0.2

    def __init__(self, bar=None, lang: str = "en") -> None:
        self.bar, self.lang = bar, lang
        self.stage = self.at = ""
        self.times: list[tuple[str, float]] = []  # (stage, seconds) of each stage ended
        self._current: str | None = None
        self._since = self._rate_since = self._drawn = time.monotonic()

    def __call__(self, stage: str) -> None:
        self.stop()
        self._current, self._since = stage, time.monotonic()
        self._rate_since = self._since
        if self.bar is None:
            return
        self.stage, self.at = told(self.lang, f"stage_{stage}"), ""
        self.bar.update(1, self.stage)

    def stop(self) -> None:
        """The running stage ended: its seconds added to `times` (a bar or none)."""
        if self._current is not None:
            self.times.append((self._current, time.monotonic() - self._since))
            self._current = None

    def detail(self, text: str) -> None:
        """What the stage is at (the file being written), shown beside the stage's name; the
        rows per second count from here."""
        if self.bar is None:
            return
        self.at, self._rate_since = f" {text}", time.monotonic()
        self.bar.current_item = f"{self.stage}{self.at}"
        self.bar.render_progress()

    def rows(self, done: int) -> None:
        if self.bar is None or done <= 0:
            return
        now = time.monotonic()
        if now - self._drawn < self.REDRAW_SECONDS:
            return
        self._drawn = now
        rate = done / max(now - self._rate_since, 1e-9)
        self.bar.current_item = f"{self.stage}{self.at} " + told(
            self.lang, "progress_rows", rows=done, rate=rate)
        self.bar.render_progress()


@contextlib.contextmanager
def stage_progress(label: str, stages: int, lang: str = "en"):
    """A progress bar over named stages on standard error (see `shows_progress`); yields the
    StageProgress that moves it to the next stage and shows rows per second within one."""
    if not shows_progress():
        yield StageProgress()
        return
    with click.progressbar(length=stages, label=label, file=sys.stderr,
                           item_show_func=lambda s: s) as bar:
        yield StageProgress(bar, lang)


@main.command(name="assess-organisation")
@click.argument("assessments", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--scheme", "scheme_ref", default=None,
              help="Scheme file or id (default: the scheme the assessments name, looked up in "
                   "DATA_DIR/schemes and the shipped schemes/).")
@date_option("Assessment date shown in the reports (default: today, or SOURCE_DATE_EPOCH).")
@report_options("json,md",
                formats_help="Comma-separated report formats per organisation: json, md, html "
                             "(one self-contained file), xlsx. The ranked list is always written "
                             "as CSV, XLSX and Markdown.",
                lang_help="Language of the reports and of the ranked list.",
                templates_help="Folder with your own templates (organisation.md.j2, "
                               "organisation.html.j2, organisation-list.md.j2, "
                               "letterhead.html.j2, report.css, labels.yaml).")
@click.option("--audit-db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite audit database each assessment is appended to (default: "
                   "OUTPUT/audit.sqlite).")
@click.option("--no-audit", is_flag=True, help="Do not record the assessments in an audit "
                                               "database.")
@data_dir_option
@verbosity_options
@handles_input_errors
def assess_organisation(assessments, scheme_ref, day, formats, lang, template_dir, out_dir,
                        audit_db, no_audit, data_dir) -> None:
    """Good-practice evaluation of organisations (团体标准化良好行为评价) under a scored scheme:
    assessment files or folders of them. Writes one report set per organisation and the ranked
    list organisations.LANG.{csv,xlsx,md}."""
    from benchmark.audit import AuditTrail
    from benchmark.organisation.assess import assess_files
    from benchmark.organisation.report import grade_names, grade_text
    from benchmark.report import labels, output_folder

    options = {"command": "assess-organisation", "scheme": str(scheme_ref or ""),
               "date": day.isoformat(), "formats": ",".join(formats), "lang": lang,
               "data_dir": str(data_dir) if data_dir else None}
    audit_db = None if no_audit else (audit_db or out_dir / "audit.sqlite")
    with output_folder(out_dir, audit_db):
        batch = assess_files(list(assessments), day, out_dir, formats, lang, scheme_ref,
                             data_dir, template_dir,
                             AuditTrail(audit_db, options) if audit_db else None)
    OW = labels(lang)["organisation"]
    grades = (grade_names(batch.results[0][0]["scheme"], OW, lang)  # one scheme per batch
              if batch.results else {})
    lines = []
    for row in batch.ranked:
        total = row["total"]
        shown = f"{total['low']:g}" if total["low"] == total["high"] else \
            f"{total['low']:g}-{total['high']:g}"
        grade = grade_text(row, grades) if row["grade"] else "-"
        lines.append([str(row["rank"] or "-"), OW["statuses"].get(row["status"], row["status"]),
                      grade, shown, row["organisation"], row["file"]])
    for line in aligned(lines):
        say(line)
    say(told(lang, "organisations_assessed", count=len(batch.ranked), date=day, folder=out_dir)
        + ("" if no_audit else told(lang, "audit_records", db=audit_db)))


@main.group(name="audit", cls=BenchmarkGroup)
def audit_() -> None:
    """Check the audit database that `benchmark evaluate` appends to."""


@audit_.command(name="verify")
@click.argument("db", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of reports: each must have a record with its SHA-256 "
                                 "(default database: DIR/audit.sqlite).")
@click.option("--anchor", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A published copy of the anchor to check against (default: "
                   "DB.anchor beside the database).")
@lang_option()
@verbosity_options
@handles_input_errors
def audit_verify(db, reports_dir, anchor, lang) -> None:
    """Check the hash chain of an audit database (default: out/audit.sqlite), the record count
    and last hash against its anchor (records deleted at the end show), and with --reports the
    report files against their records. Exit status 0 when all is well (warnings allowed), 1 when
    something does not match, 2 when the database cannot be read."""
    from benchmark.audit import verify_database

    db = db or (reports_dir / "audit.sqlite" if reports_dir else Path("out") / "audit.sqlite")
    rows, problems = verify_database(db, reports_dir, anchor)
    print_problems(problems)
    errors = [p for p in problems if p.severity == "error"]
    checked = told(lang, "audit_reports", folder=reports_dir) if reports_dir else ""
    say(told(lang, "audit_verified", db=db, records=len(rows), reports=checked,
             outcome=told(lang, "problems_found", count=len(errors)) if errors
             else told(lang, "intact")))
    sys.exit(1 if errors else 0)


# --- the programme cycle (benchmark/cycle.py) --------------------------------------------------

def year_options(f):
    """--state, --programme and --year: which programme year a cycle command works on."""
    f = click.option("--year", type=int, required=True, callback=in_range("--year", 1990, 2999),
                     help="The programme year.")(f)
    f = click.option("--programme", "-p", default="leader-selection", show_default=True,
                     help="The programme whose year it is.")(f)
    return click.option("--state", "state_dir", type=click.Path(file_okay=False, path_type=Path),
                        default=Path("cycle"), show_default=True,
                        help="Folder of the programme years' state (one SQLite file per "
                             "programme year).")(f)


def _cycle_output(out_dir: Path | None, name: str, rows: list[dict], data: dict,
                  lang: str) -> None:
    """NAME.json (the step as recorded) and NAME.csv (one row per entry) in `out_dir`."""
    if out_dir is None:
        return
    import json

    from benchmark.report import csv_text, write_all

    flat = []
    for row in rows:  # lists of text joined; {zh, en} wording one column per language
        cells: dict = {}
        for k, v in row.items():
            if isinstance(v, dict):
                cells.update({f"{k}_{lang}": v.get(lang, "") for lang in ("zh", "en")})
            elif isinstance(v, list) and all(isinstance(x, str) for x in v):
                cells[k] = "; ".join(v)
            else:
                cells[k] = v
        flat.append(cells)
    write_all([(out_dir / f"{name}.json",
                json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"),
               (out_dir / f"{name}.csv",
                csv_text(flat, list(dict.fromkeys(k for row in flat for k in row))))])
    say(told(lang, "cycle_files", folder=out_dir))


@main.group(name="cycle", cls=BenchmarkGroup)
def cycle_() -> None:
    """The programme cycle of a year: open, snapshot, rank, shortlist, commitment letters,
    public notice, final list, review; every step recorded with its inputs' SHA-256."""


def cycle_step(name: str, *, catalogue: bool = False, lang: str = "en"):
    """`benchmark cycle NAME`: the programme year's options (--state, --programme, --year),
    --lang (default `lang`), --data-dir when the step reads the catalogue, --quiet/--verbose,
    and input errors listed with exit status 2."""
    def decorate(f):
        f = lang_option(lang)(verbosity_options(handles_input_errors(f)))
        if catalogue:
            f = data_dir_option(f)
        return cycle_.command(name=name)(year_options(f))
    return decorate


@cycle_step("open", catalogue=True)
@click.option("--field", "fields", multiple=True, required=True,
              help="A key field of the year (a product category); repeat for several.")
@click.option("--scheme", default=None, help="The evaluation scheme published for the year "
                                             "(a file name or URL, kept as text).")
@date_option("Date of opening (default: today, or SOURCE_DATE_EPOCH).")
def cycle_open(state_dir, programme, year, fields, scheme, day, lang, data_dir) -> None:
    """Open a programme year with its key fields and scheme."""
    from benchmark import cycle
    from benchmark.catalogue import load_catalogue

    py = cycle.open_year(state_dir, programme, year, list(fields), load_catalogue(data_dir),
                         day, scheme)
    say(told(lang, "cycle_opened", programme=programme, year=year, date=day,
             fields=len(fields), path=py.path))


@cycle_step("snapshot", catalogue=True)
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--field", required=True, help="The key field (category) the snapshot is of.")
@date_option("Date of the snapshot (default: today, or SOURCE_DATE_EPOCH).")
def cycle_snapshot(state_dir, programme, year, table, field, day, lang, data_dir) -> None:
    """Import a platform snapshot (a population table) of one key field."""
    from benchmark import cycle
    from benchmark.catalogue import load_catalogue

    step = cycle.import_snapshot(cycle.load_year(state_dir, programme, year), field, table,
                                 load_catalogue(data_dir), day)
    say(told(lang, "cycle_snapshot", field=field, rows=step["detail"]["rows"],
             sha256=step["inputs"]["snapshot"][:12]))


@cycle_step("rank", catalogue=True)
@date_option("Evaluation date of the ranking (default: today, or SOURCE_DATE_EPOCH).")
def cycle_rank(state_dir, programme, year, day, lang, data_dir) -> None:
    """Rank every key field's latest snapshot under the programme."""
    from benchmark import cycle
    from benchmark.catalogue import load_catalogue

    step = cycle.rank_year(cycle.load_year(state_dir, programme, year),
                           load_catalogue(data_dir), day)
    for field, rows in step["detail"]["candidates"].items():
        say(told(lang, "cycle_ranked", field=field, rows=len(rows)))


@cycle_step("shortlist")
@date_option("Date the shortlist is fixed (default: today, or SOURCE_DATE_EPOCH).")
def cycle_shortlist(state_dir, programme, year, day, lang) -> None:
    """Fix the shortlist from the last ranking."""
    from benchmark import cycle

    step = cycle.fix_shortlist(cycle.load_year(state_dir, programme, year), day)
    for e in step["detail"]["standards"]:
        say(f"{e['field']}\t{e['enterprise']}\t{e['standard_number']}")


@cycle_step("commitment")
@click.argument("standard")
@click.option("--letter", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="The letter's file (recorded by its SHA-256).")
@date_option("Date the letter was received (default: today, or SOURCE_DATE_EPOCH).")
def cycle_commitment(state_dir, programme, year, standard, letter, day, lang) -> None:
    """Record the commitment letter for a shortlisted STANDARD (its number, as written)."""
    from benchmark import cycle

    cycle.record_commitment(cycle.load_year(state_dir, programme, year), standard, day, letter)
    say(told(lang, "cycle_commitment", standard=standard, date=day))


@cycle_step("notice-open")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="First day of the public notice.")
@click.option("--until", "end", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="Last day of the public notice.")
def cycle_notice_open(state_dir, programme, year, start, end, lang) -> None:
    """Open the public notice (公示) of the shortlist."""
    from benchmark import cycle

    cycle.open_notice(cycle.load_year(state_dir, programme, year), start.date(), end.date())
    say(told(lang, "cycle_notice_opened", start=start.date(), end=end.date()))


@cycle_step("objection")
@click.argument("standard")
@click.option("--outcome", type=click.Choice(["upheld", "rejected"]), required=True,
              help="upheld removes the standard from the list; rejected does not.")
@click.option("--note", default="", help="What the objection said and how it was decided.")
@date_option("Date of the objection (default: today, or SOURCE_DATE_EPOCH).")
def cycle_objection(state_dir, programme, year, standard, outcome, note, day, lang) -> None:
    """Record an objection to a shortlisted STANDARD during the public notice."""
    from benchmark import cycle

    cycle.record_objection(cycle.load_year(state_dir, programme, year), standard, day, outcome,
                           note)
    say(told(lang, "cycle_objection", standard=standard, outcome=told(lang, f"cycle_{outcome}")))


@cycle_step("notice-close")
@date_option("Date the notice closes (default: today, or SOURCE_DATE_EPOCH).")
def cycle_notice_close(state_dir, programme, year, day, lang) -> None:
    """Close the public notice."""
    from benchmark import cycle

    step = cycle.close_notice(cycle.load_year(state_dir, programme, year), day)
    say(told(lang, "cycle_notice_closed", date=day, objections=step["detail"]["objections"]))


@cycle_step("publish")
@date_option("Date of publication (default: today, or SOURCE_DATE_EPOCH).")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Also write list.json and list.csv here.")
def cycle_publish(state_dir, programme, year, day, out_dir, lang) -> None:
    """Publish the final list: enterprise, standard number and name, models."""
    from benchmark import cycle

    step = cycle.publish_list(cycle.load_year(state_dir, programme, year), day)
    entries = step["detail"]["entries"]
    for e in entries:
        listed = told(lang, "cycle_listed") if e["listed"] else \
            told(lang, "cycle_not_listed", reason=e["reason"])
        say(f"{listed}\t{e['enterprise']}\t{e['standard_number']}\t{'; '.join(e['models'])}")
    _cycle_output(out_dir, "list", entries, step, lang)


@cycle_step("review", catalogue=True)
@click.option("--snapshot", "snapshots", multiple=True, metavar="FIELD=TABLE",
              help="A later platform snapshot of a key field; repeat for several. Without one "
                   "the list is reviewed on the date (normative references).")
@date_option("Date of the review (default: today, or SOURCE_DATE_EPOCH).")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Also write review.json and review.csv here.")
def cycle_review(state_dir, programme, year, snapshots, day, out_dir, lang, data_dir) -> None:
    """Review the published list: who must be removed, and why."""
    from benchmark import cycle
    from benchmark.catalogue import load_catalogue

    later = {}
    for item in snapshots:
        field, sep, table = item.partition("=")
        if not sep or not Path(table).is_file():
            raise InputError(Problem("cycle_snapshot_option", f"--snapshot {item!r}: expected "
                                     "FIELD=TABLE with an existing table file",
                                     file="--snapshot"))
        later[field] = Path(table)
    step = cycle.review_list(cycle.load_year(state_dir, programme, year),
                             load_catalogue(data_dir), day, later)
    entries = step["detail"]["entries"]
    for e in entries:
        why = ", ".join(r["code"] for r in e["reasons"])
        kept = told(lang, "cycle_remove", reasons=why) if e["removed"] else \
            told(lang, "cycle_keep")
        say(f"{kept}\t{e['enterprise']}\t{e['standard_number']}")
    _cycle_output(out_dir, "review", [{k: v for k, v in e.items() if k != "reasons"} |
                                      {"reasons": "; ".join(r["code"] for r in e["reasons"])}
                                      for e in entries], step, lang)


@cycle_step("status", lang="zh")
@click.option("--json", "as_json", is_flag=True,
              help="Print the status as JSON (key fields, snapshots, steps, next steps, list).")
def cycle_status(state_dir, programme, year, lang, as_json) -> None:
    """Where a programme year is: its key fields and snapshots, the step it is at, what may
    come next, and the list when published. Reads the record; changes nothing."""
    import json

    from benchmark import cycle

    state = cycle.status(cycle.load_year(state_dir, programme, year))
    if as_json:
        click.echo(json.dumps(state, ensure_ascii=False, indent=2, sort_keys=True))
        return
    for text in cycle.status_lines(state, lang):
        say(text)


@cycle_step("verify", catalogue=True)
def cycle_verify(state_dir, programme, year, lang, data_dir) -> None:
    """Re-derive the ranking and the list from the record and check every step's hash. Exit 0
    when all matches, 1 when something does not."""
    from benchmark import cycle
    from benchmark.catalogue import load_catalogue

    py = cycle.load_year(state_dir, programme, year)
    problems = cycle.verify_year(py, load_catalogue(data_dir))
    print_problems(problems)
    errors = [p for p in problems if p.severity == "error"]
    say(told(lang, "cycle_verified", path=py.path, steps=len(py.steps()),
             outcome=told(lang, "problems_found", count=len(errors)) if errors
             else told(lang, "cycle_intact")))
    sys.exit(1 if errors else 0)


def evaluation_date():
    """Today, unless SOURCE_DATE_EPOCH fixes the date for reproducible output (a whole number
    of seconds since 1970-01-01 UTC; anything else is an InputError)."""
    import datetime as dt
    import os
    import re

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            if not re.fullmatch(r"[0-9]{1,12}", epoch.strip()):
                raise ValueError(epoch)
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
        except (ValueError, OverflowError, OSError):
            raise InputError(Problem("source_date_epoch_invalid",
                                     f"SOURCE_DATE_EPOCH={printable(epoch, True)!r} is not a "
                                     "number of seconds since 1970-01-01", file="SOURCE_DATE_EPOCH",
                                     hint="an integer such as 1795435200, as `date +%s` prints; "
                                          "or unset it and give --date")) from None
    return dt.date.today()
