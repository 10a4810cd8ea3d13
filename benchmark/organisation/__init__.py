"""Organisational scored schemes: the good-practice evaluation of the social organisations that
write group standards (团体标准化良好行为评价), kept apart from the product engine.

`scheme.py` holds the model and the loaders (schemes and assessments), `score.py` the scoring
kernel over arrays (a batch of organisations is one computation), `assess.py` the results, the
ranked list and the batch run, `report.py` the renderers and `verify.py` the recomputation of a
JSON report. From Python:

    from benchmark.organisation import assess, find_scheme, load_assessment
    scheme = find_scheme("gbt-20004.2-modelled")
    result = assess(scheme, [load_assessment("examples/organisations/a.yaml", scheme)], day)[0]
"""

from __future__ import annotations

from benchmark.organisation.assess import assess, assess_files, find_scheme, ranked_list
from benchmark.organisation.scheme import load_assessment, load_scheme

__all__ = ["assess", "assess_files", "find_scheme", "load_assessment", "load_scheme",
           "ranked_list"]
