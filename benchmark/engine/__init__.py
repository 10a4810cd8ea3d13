"""The decision engine: the only place where a comparison, a level, a rule outcome or a verdict
is decided, over arrays. A single declaration is a population of one.

    resolve  reference values in force on the date, their thresholds per row (intervals where a
             threshold rests on an assumption)
    compare  GB/T 8170 kernels: one declared interval against one threshold, three-valued
    levels   the ladder walk, per row: step outcomes and the level interval [lowest, highest]
    rules    one registered function per rule kind: outcome and reason codes per row
    assess   population → Assessment (arrays); the verdict
    explain  one row of an Assessment → what a report shows; decides nothing

See docs/verdicts.md for the contract.
"""

from benchmark.engine.assess import Assessment, assess
from benchmark.engine.types import ELIGIBLE, FAIL, NOT_ELIGIBLE, NOT_EVALUABLE, PASS, UNKNOWN

__all__ = [
           "ELIGIBLE",
           "FAIL",
           "NOT_ELIGIBLE",
           "NOT_EVALUABLE",
           "PASS",
           "UNKNOWN",
           "Assessment",
           "assess",
]
