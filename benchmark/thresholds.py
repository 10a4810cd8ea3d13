"""Leader thresholds from a population: the value a standard must reach to count as a leader.

One idea: turn a sample of declared values of one indicator (one segment) into a threshold by a
configurable method — percentile ("the top p %"), top-k ("the k best"), Top Runner ("best in class
plus an expected improvement") or tiers (k tiers, tier 1 = best, the lowest tier never below the
mandatory requirement). Thresholds are a method, not a constant (DOMAIN §1.1: the "top 5 %" rule is
unverified), so `parse_method` reads the method from text such as "percentile:5".

Conventions, for every function:
  * `sign` is the indicator's direction: +1 higher is better, -1 lower is better. Kernels work on
    the *goodness* s = sign · value (higher s is always better) and give thresholds back in the
    indicator's own values.
  * NaN means missing: it is dropped before any statistic and never counts in n.
  * One quantile method everywhere: numpy's method "higher" applied to the goodness s (so "lower"
    on the raw values of a lower-is-better indicator). The threshold is then always a value some
    standard actually declared — never an interpolated value nobody declared — and it sits on the
    stricter side of numpy's default linear interpolation, which is the cautious side for a leader
    programme. Of n values, 1 + floor(p/100 · (n − 1)) positions reach the p % threshold (more
    with ties at the threshold).
  * "Reach" means at least as good: s ≥ threshold goodness. Ties at a threshold all reach it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from benchmark.errors import InputError, Problem, worded


def _goodness(values, sign: int) -> np.ndarray:
    """sign · values as float, NaN dropped."""
    if sign not in (1, -1):
        raise ValueError(f"sign must be +1 or -1, not {sign!r}")
    s = np.asarray(values, dtype=float).ravel() * sign
    return s[~np.isnan(s)]


def _ordered(values, sign: int) -> np.ndarray:
    """The goodness (`_goodness`) in ascending order: every order statistic a method takes (a
    quantile "higher", the bootstrap's window, the tier boundaries) read from one sort, the
    same values as a partition for each gives."""
    return np.sort(_goodness(values, sign))


def _higher(n: int, q) -> np.ndarray:
    """The positions in n sorted values of the quantiles `q` by numpy's method "higher", the
    quantile every method takes of the goodness (see the module docstring; numpy's own formula:
    ceil((n − 1) · q))."""
    return np.ceil((n - 1) * np.asarray(q, dtype=float)).astype(np.intp)


# --- the four methods -------------------------------------------------------------------------


def percentile(values, sign: int, p: float) -> float:
    """The value the top `p` % reach: the (100 − p)th percentile of a higher-is-better indicator,
    the p-th of a lower-is-better one (quantile method "higher" on the goodness, see the module
    docstring). 1..20 with p = 5 gives 20 (higher is better) or 1 (lower is better). NaN when no
    value is present."""
    _check_p(p)
    return _percentile(_ordered(values, sign), sign, p)


def _percentile(ordered: np.ndarray, sign: int, p: float) -> float:
    """`percentile` of the goodness in ascending order."""
    if ordered.size == 0:
        return math.nan
    return float(ordered[_position(ordered.size, p)]) * sign


def _position(n: int, p: float) -> int:
    """0-based position in the sorted goodness of the top-p % threshold (numpy "higher")."""
    return min(max(math.ceil((1.0 - p / 100.0) * (n - 1)), 0), n - 1)


@lru_cache(maxsize=256)
def _resampled_position_cdf(n: int, r: int) -> tuple[int, np.ndarray]:
    """The bootstrap distribution of the r-th smallest (0-based) of n positions drawn uniformly
    with replacement from 0..n−1: (lo, cdf) with cdf[i] = P(position ≤ lo + i).

    Position ≤ j exactly when at least r + 1 of the n draws fall in 0..j, so
    P = P(Binomial(n, (j + 1)/n) ≥ r + 1). Only the window j = r ± (6·√n + 60) is computed: by
    the Chernoff bound the probability outside it is below 1e-30, far under the 2⁻⁵³ resolution of
    a uniform draw. Kept for the (n, r) asked for again (read-only): the indicators of a segment
    that the same rows declare share it.
    """
    half = int(6.0 * math.sqrt(n)) + 60
    lo, hi = max(0, r - half), min(n, r + half + 1)
    j = np.arange(lo, hi)
    cdf = np.maximum.accumulate(special.bdtrc(r, n, (j + 1) / n))  # P(Binomial(n, p) > r)
    cdf.setflags(write=False)
    return lo, cdf


def bootstrap_ci(values, sign: int, p: float, n_resamples: int = 1000, confidence: float = 0.95,
                 seed: int | np.random.Generator = 0) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval (low, high) of `percentile(values, sign, p)`.

    A bootstrap resample (n of the n present values, drawn with replacement) has as its threshold
    the order statistic at `percentile`'s position r of the resample, which is the sample's order
    statistic at the r-th smallest drawn position. That position's distribution is known exactly
    (`_resampled_position_cdf`), so the `n_resamples` resampled thresholds are drawn from it by
    inverting it with uniforms from `numpy.random.default_rng(seed)`: the same draws in law as
    resampling the values n_resamples times, at O(n) time and memory instead of
    O(n · n_resamples) — a million values take milliseconds. The same seed gives the same interval.

    The ends are the (1 − confidence)/2 and (1 + confidence)/2 quantiles of the resampled
    thresholds, taken outward (method "lower" for the low end, "higher" for the high end), so both
    ends are declared values. Returned as raw values with low ≤ high; (NaN, NaN) when no value is
    present.
    """
    _check_resampling(n_resamples, confidence)
    _check_p(p)
    return _bootstrap_ci(_ordered(values, sign), sign, p, n_resamples, confidence, seed)


def _check_p(p: float) -> None:
    if not 0 < p <= 100:
        raise ValueError(f"p must be in (0, 100], not {p!r}")


def _check_resampling(n_resamples: int, confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), not {confidence!r}")
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")


def _bootstrap_ci(ordered: np.ndarray, sign: int, p: float, n_resamples: int,
                  confidence: float, seed: int | np.random.Generator) -> tuple[float, float]:
    """`bootstrap_ci` of the goodness in ascending order."""
    n = ordered.size
    if n == 0:
        return math.nan, math.nan
    lo, cdf = _resampled_position_cdf(n, _position(n, p))
    hi = lo + cdf.size
    u = np.random.default_rng(seed).random(n_resamples)
    drawn = np.minimum(np.searchsorted(cdf, u), cdf.size - 1)  # smallest i with cdf[i] ≥ u
    resampled = ordered[lo:hi][drawn] * sign  # the window's order statistics
    alpha = (1.0 - confidence) / 2.0
    low = float(np.quantile(resampled, alpha, method="lower"))
    high = float(np.quantile(resampled, 1.0 - alpha, method="higher"))
    return low, high


def top_k(values, sign: int, k: int) -> float:
    """The k-th best value: the threshold the top k reach. Ties at the k-th value all reach it, so
    more than k standards may reach the threshold. NaN when fewer than k values are present."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k!r}")
    s = _goodness(values, sign)
    if s.size < k:
        return math.nan
    return float(np.partition(s, s.size - k)[s.size - k]) * sign


def top_runner(values, sign: int, improvement: float) -> float:
    """Japan Top Runner: the best value in class improved by `improvement` (0.03 = 3 %):
    best × (1 + improvement) when higher is better, best × (1 − improvement) when lower is better.
    Meant for positive quantities (efficiencies, energies). NaN when no value is present."""
    s = _goodness(values, sign)
    if s.size == 0:
        return math.nan
    best = float(s.max()) * sign
    return best * (1.0 + sign * improvement)


def tiers(values, sign: int, k: int, edges=None, floor: float | None = None
          ) -> tuple[np.ndarray, np.ndarray]:
    """Split the values into k tiers, tier 1 = best. Returns (boundaries, tier).

    boundaries: float array of length k, in the indicator's values, best tier first;
        boundaries[t − 1] is what a value must reach (be at least as good as) to be in tier t.
        By quantiles (edges=None): boundaries[t − 1] is the (1 − t/k) quantile of the eligible
        goodness (present and meeting `floor`), method "higher" as in `percentile`: tier 1 is the
        top 100/k %, tiers 1..t the top 100·t/k %; the lowest boundary is `floor` when given, else
        the worst eligible value.
        Fixed `edges`: k values in any order, sorted best first; any edge worse than `floor` is
        raised to `floor`.
    tier: int array, one per input value: 1..k, or 0 for no tier — the value is missing (NaN) or
        fails `floor` (the mandatory requirement: GB / sector minimum), or, with fixed edges, is
        worse than the lowest edge.

    The tier is a function of the value alone, so equal values always get the same tier; with
    many ties some tiers may be empty.
    """
    x = np.asarray(values, dtype=float)
    bounds, s, eligible = _tier_bounds(x, sign, k, edges, floor)
    tier = np.zeros(x.shape, dtype=np.int32)
    if not np.isnan(bounds).any():
        # number of boundaries strictly better than the value; tier = 1 + that, k of them = none
        worse_than = np.searchsorted(-bounds, -s[eligible], side="left")
        tier[eligible] = np.where(worse_than < k, worse_than + 1, 0)
    return bounds * sign, tier


def tier_bounds(values, sign: int, k: int, edges=None, floor: float | None = None) -> np.ndarray:
    """The boundaries of `tiers` alone (the tier of each value not computed)."""
    bounds, _, _ = _tier_bounds(np.asarray(values, dtype=float), sign, k, edges, floor)
    return bounds * sign


def _tier_bounds(x: np.ndarray, sign: int, k: int, edges, floor: float | None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(boundaries as goodness, best first; the goodness of `x`; the eligible values) of
    `tiers`."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k!r}")
    if sign not in (1, -1):
        raise ValueError(f"sign must be +1 or -1, not {sign!r}")
    s = x * sign
    present = ~np.isnan(s)
    eligible = present if floor is None else present & (s >= floor * sign)
    if edges is None:
        pool = np.sort(s[eligible])  # every boundary an order statistic of one sort
        if pool.size == 0:
            bounds = np.full(k, math.nan)
        else:
            bounds = pool[_higher(pool.size, 1.0 - np.arange(1, k + 1) / k)]  # tier t: top t/k
            if floor is not None:
                bounds[-1] = floor * sign
    else:
        bounds = np.sort(np.asarray(edges, dtype=float).ravel() * sign)[::-1]
        if bounds.size != k:
            raise ValueError(f"{k} tiers need {k} edges, got {bounds.size}")
        if floor is not None:
            bounds = np.maximum(bounds, floor * sign)
    return bounds, s, eligible


# --- methods as text --------------------------------------------------------------------------

METHOD_FORMS = "percentile:P (0 < P ≤ 100), topk:K, toprunner:R (0 ≤ R < 1), tiers:K"


@dataclass(frozen=True)
class ThresholdMethod:
    """A threshold method and its parameter: p, k, the improvement, or the number of tiers."""

    kind: str  # "percentile" | "topk" | "toprunner" | "tiers"
    param: float

    def __str__(self) -> str:
        return f"{self.kind}:{self.param:g}"


def _method_invalid(text: str, why: str, because: str, **values: object) -> InputError:
    """`method_invalid`: `why` says why in English, `because` is its wording's code in
    labels.yaml `problem_messages`, filled with the text and `values`."""
    return InputError(Problem(code="method_invalid", message=f"threshold method {text!r}: {why}",
                              hint=f"write one of {METHOD_FORMS}, e.g. 'percentile:5'",
                              hint_code="method_forms", **worded(
                                  because, text=text, forms=METHOD_FORMS, **values)))


def parse_method(text: str) -> ThresholdMethod:
    """"percentile:5" | "topk:10" | "toprunner:0.03" | "tiers:5" → ThresholdMethod.

    Anything else raises InputError with code `method_invalid`."""
    if not isinstance(text, str):
        raise _method_invalid(str(text), "not text", "method_not_text")
    kind, sep, param_text = text.strip().partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in ("percentile", "topk", "toprunner", "tiers"):
        raise _method_invalid(text, "unknown method", "method_unknown")
    try:
        param = float(param_text.strip())
    except ValueError:
        raise _method_invalid(text, f"parameter {param_text.strip()!r} is not a number",
                              "method_not_number", value=param_text.strip()) from None
    if not math.isfinite(param):
        raise _method_invalid(text, "parameter is not finite", "method_not_finite")
    if kind == "percentile" and not 0 < param <= 100:
        raise _method_invalid(text, "the percentage must be in (0, 100]", "method_percentage")
    if kind in ("topk", "tiers") and (param != int(param) or param < 1):
        raise _method_invalid(text, "the count must be a whole number ≥ 1", "method_count")
    if kind == "toprunner" and not 0 <= param < 1:
        raise _method_invalid(text, "the improvement is a fraction in [0, 1), e.g. 0.03 for 3 %",
                              "method_improvement")
    return ThresholdMethod(kind, param)


# --- is the sample big enough? ----------------------------------------------------------------


def minimum_sample(kind: str, param: float) -> int:
    """The smallest sample a method is meant for. A rule of thumb of this engine, not a standard:

    percentile p: the top group should hold about 10 values → n ≥ 1000 / p (p = 5 → 200);
    topk k: the top k should be at most half the sample → n ≥ 2k;
    toprunner: "best in class" of fewer than 10 values says little → n ≥ 10;
    tiers k: about 5 values per tier → n ≥ 5k.
    """
    if kind == "percentile":
        return math.ceil(1000.0 / param)
    if kind == "topk":
        return 2 * int(param)
    if kind == "toprunner":
        return 10
    if kind == "tiers":
        return 5 * int(param)
    raise ValueError(f"unknown threshold method {kind!r}")


def sample_warning_code(n: int, method: ThresholdMethod | str) -> dict | None:
    """The small-sample warning of n present values for the method (see `minimum_sample`) as a
    reason code and its parameters — {"code": "no_values" | "too_few_topk" | "small_sample",
    "n", "method", "need"} — or None when the sample is big enough. Reports put it in words."""
    if isinstance(method, str):
        method = parse_method(method)
    if n == 0:
        code = "no_values"
    elif method.kind == "topk" and n < method.param:
        code = "too_few_topk"
    elif n < minimum_sample(method.kind, method.param):
        code = "small_sample"
    else:
        return None
    return {"code": code, "n": int(n), "method": str(method), "need": sample_need(code, method)}


def sample_need(code: str, method: ThresholdMethod) -> int:
    """The sample size a small-sample warning `code` says the method needs: the k of top-k
    when there are fewer values than k, else `minimum_sample`."""
    if code == "too_few_topk":
        return int(method.param)
    return int(minimum_sample(method.kind, method.param))


SAMPLE_WARNINGS = {  # the English text of each code, for `ThresholdResult.warning`
    "no_values": "no values: {method} cannot be computed",
    "too_few_topk": "only {n} values: {method} needs at least {need} (no threshold)",
    "small_sample": "only {n} values: {method} is meant for at least {need} (rule of thumb); "
                    "treat the threshold with caution",
}


def sample_warning(n: int, method: ThresholdMethod | str) -> str | None:
    """`sample_warning_code` as an English text, else None."""
    return _warning_text(sample_warning_code(n, method))


def _warning_text(found: dict | None) -> str | None:
    return SAMPLE_WARNINGS[found["code"]].format(**found) if found else None


# --- the entry function -----------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdResult:
    """A threshold for one indicator (one segment) and how far to trust it.

    value: the threshold in the indicator's values (for tiers: the tier-1 boundary).
    n: the number of present (non-NaN) values it was computed from.
    ci_low, ci_high: bootstrap interval (percentile method only; NaN otherwise).
    warning: text when the sample is too small for the method (`sample_warning`), else None.
    edges: the k tier boundaries, best first (tiers method only).
    warning_code: that warning as a reason code and its parameters (`sample_warning_code`).
    """

    method: ThresholdMethod
    value: float
    n: int
    ci_low: float = math.nan
    ci_high: float = math.nan
    warning: str | None = None
    edges: tuple[float, ...] | None = None
    warning_code: dict | None = None


def threshold(values, sign: int, method: ThresholdMethod | str, seed: int = 0, *,
              n_resamples: int = 1000, confidence: float = 0.95,
              floor: float | None = None) -> ThresholdResult:
    """The threshold of `values` by `method` (text or ThresholdMethod), with its sample size,
    a seeded bootstrap interval for percentiles (`n_resamples` = 0 skips it) and a small-sample
    warning. `floor` (the mandatory requirement) only bounds the lowest tier of the tiers method.
    """
    if isinstance(method, str):
        method = parse_method(method)
    n = int(np.count_nonzero(~np.isnan(np.asarray(values, dtype=float))))
    found = sample_warning_code(n, method)  # once: the code and its text
    ci_low = ci_high = math.nan
    edges = None
    if method.kind == "percentile":
        _check_p(method.param)
        ordered = _ordered(values, sign)  # sorted once for the threshold and its interval
        value = _percentile(ordered, sign, method.param)
        if n_resamples and n:
            _check_resampling(n_resamples, confidence)
            ci_low, ci_high = _bootstrap_ci(ordered, sign, method.param, n_resamples,
                                            confidence, seed)
    elif method.kind == "topk":
        value = top_k(values, sign, int(method.param))
    elif method.kind == "toprunner":
        value = top_runner(values, sign, method.param)
    else:
        edges = tuple(float(b) for b in tier_bounds(values, sign, int(method.param),
                                                    floor=floor))
        value = edges[0]
    return ThresholdResult(method, value, n, ci_low, ci_high, _warning_text(found), edges, found)
