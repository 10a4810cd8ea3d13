"""Verifying an organisation report: recompute it from the assessment and scheme files its
provenance names and say what differs, with the finding codes of `benchmark.verify`
(input_missing, input_changed, input_invalid, engine_version_changed, report_field_changed,
result_changed). A shipped scheme recorded as `schemes/FILE` is also looked for among the shipped
schemes, wherever the package is installed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from benchmark import __version__
from benchmark.catalogue import data_file
from benchmark.errors import InputError, Problem
from benchmark.organisation.assess import assess
from benchmark.organisation.scheme import load_assessment, load_scheme
from benchmark.verify import Verification, field_findings, input_findings


def verify_assessment_report(path: Path, report: dict,
                             base_dir: str | Path | None = None) -> Verification:
    """Recompute the result a JSON organisation report records and compare it field by field."""
    out = Verification(str(path))
    prov = report.get("provenance")
    if not isinstance(prov, dict) or not all(k in prov for k in ("inputs", "assessment",
                                                                  "scheme", "assessment_date")):
        raise InputError(Problem("report_without_provenance", "the report does not record its "
                                 "provenance (inputs, assessment, scheme, date)", file=str(path),
                                 pointer="/provenance",
                                 hint="verify the JSON report `benchmark assess-organisation` "
                                      "wrote"))

    def finding(code: str, message: str, pointer: str | None = None, file: str | None = None,
                severity: str = "error", hint: str | None = None) -> None:
        out.findings.append(Problem(code, message, file=file or str(path), pointer=pointer,
                                    hint=hint, severity=severity))

    if prov.get("engine_version") != __version__:
        finding("engine_version_changed", f"made by engine {prov.get('engine_version')}; this "
                f"is {__version__}: differences may come from the engine",
                "/provenance/engine_version", severity="warning")

    def shipped(recorded: str) -> Path | None:
        return data_file(recorded) if recorded.startswith("schemes/") and \
            data_file(recorded).is_file() else None

    found, _ = input_findings(prov["inputs"], path.parent, base_dir, finding, shipped)
    if prov["assessment"] not in found or prov["scheme"] not in found:
        return out
    try:
        scheme = load_scheme(found[prov["scheme"]], prov["scheme"])
        assessment = load_assessment(found[prov["assessment"]], scheme, prov["assessment"])
    except InputError as exc:
        for p in exc.problems:
            finding("input_invalid", p.format(), p.pointer, file=p.file)
        return out
    result = assess(scheme, [assessment], dt.date.fromisoformat(prov["assessment_date"]))[0]
    out.recomputed = json.loads(json.dumps(result, ensure_ascii=False))
    explained = any(f.code == "input_changed" for f in out.findings)
    field_findings(report, out, explained, finding)
    return out
