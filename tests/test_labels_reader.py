"""reports/labels.yaml has one reader (wording.labels_file): the engine's wording and the
reports' labels are the same words, and a template folder's own labels change a report's words
only, never the shared ones."""

from __future__ import annotations

from benchmark import wording
from benchmark.report import labels


def test_reports_and_engine_read_the_same_words():
    for lang in ("zh", "en"):
        assert labels(lang)["reason_text"] == wording.labels_file()[lang]["reason_text"]
        assert labels(lang)["must_be"] == wording.words(lang, "must_be")


def test_own_labels_override_a_report_and_leave_the_shipped_words(tmp_path):
    (tmp_path / "labels.yaml").write_text("en:\n  improve_by: to gain\n  must_be:\n"
                                          "    below: has to be under\n", encoding="utf-8")
    own = labels("en", str(tmp_path))
    assert own["improve_by"] == "to gain"
    assert own["must_be"] == {"below": "has to be under", "above": "must be above"}
    assert labels("en")["improve_by"] == "improve by"
    assert wording.labels_file()["en"]["must_be"]["below"] == "must be below"
