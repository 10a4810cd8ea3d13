"""Three-valued outcome codes and the verdicts; reason codes of the steps of a ladder.

Outcomes are small integers so that a population's outcomes are one int8 array and the worst of
several is their maximum: PASS (holds) < UNKNOWN (not assessable) < FAIL (fails).
"""

from __future__ import annotations

PASS, UNKNOWN, FAIL = 0, 1, 2
OUTCOMES = ("pass", "not_evaluable", "fail")
ELIGIBLE, NOT_ELIGIBLE, NOT_EVALUABLE = "eligible", "not_eligible", "not_evaluable"
VERDICTS = (ELIGIBLE, NOT_EVALUABLE, NOT_ELIGIBLE)  # indexed by the worst outcome

# one step of the ladder, per row
MET, FAILED, NOT_ASSESSABLE, VACUOUS = 0, 1, 2, 3
STEP_OUTCOMES = ("met", "failed", "not_assessable", "vacuous")

# why a step is not assessable (0 = it is)
STEP_REASONS = ("", "no_reference_of_kind", "between_rule_uncertain", "indicative_basis",
                "edition_values_missing")
NO_REFERENCE_OF_KIND, BETWEEN_RULE_UNCERTAIN, INDICATIVE_BASIS, EDITION_VALUES_MISSING = 1, 2, 3, 4

# an indicator's status on a row
STATUSES = ("assessed", "not_assessable", "no_reference", "not_declared", "not_applicable",
            "out_of_scope", "not_compared")
ASSESSED, LEVEL_UNKNOWN, NO_REFERENCE, NOT_DECLARED, NOT_APPLICABLE, OUT_OF_SCOPE, NOT_COMPARED = (
    range(7))
