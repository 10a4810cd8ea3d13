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
from benchmark.loading import file_sha256, pointer_join
from benchmark.organisation.assess import assess
from benchmark.organisation.scheme import load_assessment, load_scheme
from benchmark.verify import Verification, _short, differences, find_input


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
                severity: str = "error") -> None:
        out.findings.append(Problem(code, message, file=file or str(path), pointer=pointer,
                                    severity=severity))

    if prov.get("engine_version") != __version__:
        finding("engine_version_changed", f"made by engine {prov.get('engine_version')}; this "
                f"is {__version__}: differences may come from the engine",
                "/provenance/engine_version", severity="warning")
    found: dict[str, Path] = {}
    for recorded, digest in prov["inputs"].items():
        where = find_input(recorded, path.parent, Path(base_dir) if base_dir else None)
        if where is None and recorded.startswith("schemes/") and data_file(recorded).is_file():
            where = data_file(recorded)
        if where is None:
            finding("input_missing", f"input {recorded} cannot be found",
                    pointer_join("/provenance/inputs", recorded), file=recorded)
            continue
        found[recorded] = where
        now = file_sha256(where)
        if now != digest:
            finding("input_changed", f"input {recorded} has changed since the report was made "
                    f"(SHA-256 {digest[:12]}… then, {now[:12]}… now)",
                    pointer_join("/provenance/inputs", recorded), file=recorded)
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
    said = {f.pointer for f in out.findings}
    for pointer, old, new in differences(report, out.recomputed):
        if pointer in said or pointer == "/engine_version" and "/provenance/engine_version" in said:
            continue
        finding("result_changed" if explained else "report_field_changed",
                f"{pointer or '/'}: the report says {_short(old)}, recomputed {_short(new)}",
                pointer or "")
    return out
