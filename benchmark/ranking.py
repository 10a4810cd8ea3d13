"""Rankings of a population of declared standards: kernels over numpy arrays.

One idea: order standards by how good their values are — single-indicator competition ranks with
tie-breakers, composite scores (normalised weighted sum, TOPSIS), and the checks that say when a
ranking has stopped telling standards apart (all values equal; too many in the top class). Also
the Top Runner compliance quantity, each maker's shipment-weighted mean.

Conventions:
  * Directions are signs: +1 higher is better, -1 lower is better (as in `benchmark.compare`).
  * NaN means missing. It is left out of every column statistic (min, max, norm, ideal points);
    a row missing its primary key or any weighted value gets no rank (0) or a NaN score.
  * Ranks are standard competition ranks "1, 2, 2, 4": 1 = best, equal → same rank, 0 = not
    ranked.
  * Normalised values are oriented so that higher is better in every column.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _signs(signs, m: int) -> np.ndarray:
    s = np.broadcast_to(np.asarray(signs, dtype=float), (m,))
    if not np.all(np.isin(s, (1.0, -1.0))):
        raise ValueError("signs must be +1 (higher is better) or -1 (lower is better)")
    return s


# --- single and lexicographic ranks ----------------------------------------------------------


def joint_code(columns: Sequence[np.ndarray], dense: bool = False) -> np.ndarray:
    """One int64 code per row that orders the rows as `columns` do in turn (the first one
    first; NaN equals NaN and sorts after every value): each column's place among its distinct
    values, joined in column order, never overflowing (the codes so far are made dense first
    when the next column would overflow them). Rows share a code exactly when they are equal in
    every column. `dense`: the codes are 0 … k−1 for the k distinct rows (in the narrowest
    integer type that holds them)."""
    code = np.zeros(len(columns[0]) if len(columns) else 0, dtype=np.int64)
    bound = 1  # every code is below it
    for column in columns:
        place, k = _places(column)
        if bound * k >= 1 << 62:
            dense_code, bound = _places(code)
            code = dense_code.astype(np.int64)
        code *= k  # in place: no whole-column temporaries
        code += place
        bound *= k
    return _places(code)[0] if dense else code


def _places(values) -> tuple[np.ndarray, int]:
    """Each value's place among the distinct values in ascending order (NaN equal to NaN and
    last) and the number of distinct values; whole numbers of a range no wider than the rows
    are placed by counting (no sort), their places in the narrowest integer type."""
    v = np.asarray(values).reshape(-1)
    if v.dtype.kind == "b":
        v = v.view(np.uint8)  # yes/no placed as 0 and 1 (a bool array would index as a mask)
    whole = v.dtype.kind == "i" or (v.dtype.kind == "u" and v.dtype.itemsize < 8)
    if whole and len(v):
        limit = max(len(v), 1 << 16)
        low, high = int(v.min()), int(v.max())
        if low >= 0 and high < limit:
            low = 0  # counted from 0: no shifted copy
        if high - low < limit:
            shifted = v if low == 0 else v.astype(np.intp) - low
            present = np.bincount(shifted, minlength=high - low + 1) > 0
            place = np.cumsum(present, dtype=np.int32 if limit < 1 << 31 else np.int64) - 1
            return place[shifted], int(np.count_nonzero(present))
    distinct, place = np.unique(v, return_inverse=True)
    return place.reshape(-1), len(distinct)


def competition_rank(keys: Sequence[np.ndarray], signs: Sequence[int] | int = 1) -> np.ndarray:
    """Standard competition ranks ("1, 2, 2, 4") over several sort keys, primary key first, the
    others breaking ties in order; `signs` gives each key's direction (+1: higher ranks first).

    Rows equal on every key share a rank (NaN equals NaN here). A row whose primary key is NaN is
    not ranked: rank 0. A NaN in a tie-breaker ranks after every present value of that key.
    Returns an int64 array.
    """
    keys = [_key(k) for k in keys]
    if not keys:
        raise ValueError("at least one key is needed")
    n = keys[0].shape[0]
    if any(k.shape != (n,) for k in keys):
        raise ValueError("keys must be 1-d arrays of the same length")
    sign = _signs(signs, len(keys))
    rank = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(~np.isnan(keys[0]))
    if rows.size == 0:
        return rank
    # ascending order of -sign·key puts the best first; rows equal on every key share a code,
    # so one sort of the codes orders the rows (not one stable sort per key)
    if len(keys) == 1:  # present on every row ranked: the oriented values are the codes
        code = -sign[0] * keys[0][rows]
    else:
        code = joint_code([_oriented(k if rows.size == n else k[rows], s)
                           for s, k in zip(sign, keys, strict=True)])
    order = np.argsort(code)
    code = code[order]
    new = np.ones(rows.size, dtype=bool)
    new[1:] = code[1:] != code[:-1]
    position = np.where(new, np.arange(1, rows.size + 1), 0)
    rank[rows[order]] = np.maximum.accumulate(position)
    return rank


def _key(values) -> np.ndarray:
    """A sort key as `competition_rank` compares it: as float (NaN missing), whole numbers kept
    whole where float holds each exactly (their places then counted, not sorted: `_places`)."""
    k = np.asarray(values)
    if k.dtype.kind in "iu" and k.size and max(abs(int(k.min())), abs(int(k.max()))) < 1 << 53:
        return k.astype(np.int64, copy=False)
    return np.asarray(k, dtype=float)


def _oriented(key: np.ndarray, sign: float) -> np.ndarray:
    """−sign · key: the best first in ascending order (whole numbers stay whole)."""
    if key.dtype.kind == "i":
        return key if sign < 0 else -key
    return -sign * key


# --- composite scores ---------------------------------------------------------------------------


def _by_column(reduce, x: np.ndarray) -> np.ndarray:
    """`reduce(x, axis=0)` of a NaN-skipping min or max (np.fmin / np.fmax.reduce) a column at a
    time: a row-major matrix of few columns reduced over its rows, or combined with one value per
    column, makes one inner-loop call per row; a column is one call (what the kernels here do,
    the same values: a min or max is exact in any order, an element-wise operation is the
    same)."""
    return np.array([reduce(x[:, j]) for j in range(x.shape[1])], dtype=float)


def _column_sums(x: np.ndarray) -> np.ndarray:
    """`x.sum(axis=0)` of a row-major matrix, a column at a time and to the last bit: numpy sums
    a row-major matrix over its rows row after row (not pairwise, as it sums one column), so each
    column's sum is its running sum's last value."""
    if not len(x):
        return np.zeros(x.shape[1])
    return np.array([np.add.accumulate(x[:, j])[-1] for j in range(x.shape[1])], dtype=float)


def normalise(matrix, signs, method: str = "minmax") -> np.ndarray:
    """Column-wise normalisation, oriented so higher is better in every column.

    minmax: (x − min)/(max − min) for higher-is-better, (max − x)/(max − min) for lower-is-better:
        0 = worst, 1 = best. A constant column gives 1 for every present value (everyone reaches
        the best; pymcdm's convention).
    vector: x / sqrt(Σ x²) for higher-is-better and 1 − x / sqrt(Σ x²) for lower-is-better, as
        pymcdm's `vector_normalization` does; the shift keeps "higher is better" and cancels in
        TOPSIS distances, which then equal the textbook ones. An all-zero column counts as
        x/‖x‖ = 0.
    margin: relative margins already computed (positive = better than the reference, so already
        oriented): returned as they are; `signs` is ignored.

    NaN stays NaN and is left out of min, max and Σ x². A 1-d array is one column. Returns a new
    float array.
    """
    x = np.asarray(matrix, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if method == "margin":
        return x.copy()
    sign = _signs(signs, x.shape[1])
    cost = sign < 0
    if method == "minmax":
        low, high = _by_column(np.fmin.reduce, x), _by_column(np.fmax.reduce, x)  # NaN-skipping
        span = high - low
        worst = np.where(cost, high, low)
        constant = span == 0
        out = np.empty(x.shape)
        for j, by in enumerate(np.where(constant, 1.0, np.where(cost, -span, span))):
            np.divide(np.subtract(x[:, j], worst[j], out=out[:, j]), by, out=out[:, j])
        out += 0.0  # −0 (the best of a lower-is-better column) → 0
        if constant.any():
            out[:, constant] = np.where(np.isnan(x[:, constant]), np.nan, 1.0)
        return out
    if method == "vector":
        squares = x * x
        if np.isnan(squares).any():
            squares = np.nan_to_num(squares, nan=0.0, copy=False)
        norm = np.sqrt(_column_sums(squares))
        out = np.empty(x.shape)
        shift = cost.any()
        for j, by in enumerate(np.where(norm == 0, 1.0, norm) * sign):
            np.divide(x[:, j], by, out=out[:, j])  # −x/‖x‖ in cost columns
            if shift:
                out[:, j] += float(cost[j])  # 1 − x/‖x‖ (+ 0 in the others)
        return out
    raise ValueError(f"unknown normalisation {method!r} (minmax, vector, margin)")


def weighted_sum(norm, weights) -> np.ndarray:
    """Σ weight · normalised value per row. Weights are used as given (not rescaled); a column of
    weight 0 is ignored, a NaN in any weighted column makes the row's score NaN (not ranked)."""
    norm = np.asarray(norm, dtype=float)
    if norm.ndim == 1:
        norm = norm[:, None]
    w = np.asarray(weights, dtype=float)
    if w.shape != (norm.shape[1],):
        raise ValueError(f"{norm.shape[1]} columns need {norm.shape[1]} weights, got {w.shape}")
    out = np.zeros(norm.shape[0])
    for j in np.flatnonzero(w != 0):  # column by column: equal rows get bit-identical scores
        out += norm[:, j] * w[j]
    return out


def topsis(matrix, weights, signs, normalisation: str = "vector") -> np.ndarray:
    """TOPSIS closeness coefficient per row, 0..1, higher is better.

    Columns are normalised (`normalise`, "vector" or "minmax"), multiplied by the weights; the
    positive ideal is each column's max, the negative ideal its min (normalised values are already
    oriented higher-is-better); closeness = D⁻ / (D⁺ + D⁻) with Euclidean distances. This is
    pymcdm's `TOPSIS` with the same normalisation function, weights and types = signs.

    NaN: norms and ideal points come from the present values of each column; a row missing any
    weighted value gets NaN. When every weighted column is constant each row is both ideal and
    anti-ideal (D⁺ = D⁻ = 0): closeness 1 for all (pymcdm gives NaN).
    """
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2:
        raise ValueError("matrix must be 2-d: one row per standard, one column per indicator")
    w = np.asarray(weights, dtype=float)
    if w.shape != (x.shape[1],):
        raise ValueError(f"{x.shape[1]} columns need {x.shape[1]} weights, got {w.shape}")
    if normalisation not in ("vector", "minmax"):
        raise ValueError(f"TOPSIS normalisation is 'vector' or 'minmax', not {normalisation!r}")
    used = w != 0
    sign = _signs(signs, x.shape[1])
    if not used.all():
        x, w, sign = x[:, used], w[used], sign[used]
    v = normalise(x, sign, normalisation)
    for j in range(v.shape[1]):  # a column at a time (`_by_column`)
        v[:, j] *= w[j]
    best, worst = _by_column(np.fmax.reduce, v), _by_column(np.fmin.reduce, v)  # NaN-skipping
    d_best, d_worst = np.zeros(len(v)), np.zeros(len(v))
    for j in range(v.shape[1]):  # column by column: equal rows get bit-identical distances
        d_best += (v[:, j] - best[j]) ** 2
        d_worst += (v[:, j] - worst[j]) ** 2
    d_best, d_worst = np.sqrt(d_best), np.sqrt(d_worst)
    total = d_best + d_worst
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total == 0, 1.0, d_worst / total)


# --- when a ranking stops discriminating -------------------------------------------------------


def rank_suppressed(values) -> dict | None:
    """Why a single-indicator ranking cannot tell standards apart and is not published, as a
    reason code and its parameters — {"code": "too_few_values", "n"} (fewer than 2 present
    values) or {"code": "all_equal", "n", "value"} (all present values equal) — else None.
    NaN is ignored. Reports put the code in words."""
    x = np.asarray(values, dtype=float).ravel()
    x = x[~np.isnan(x)]
    if x.size < 2:
        return {"code": "too_few_values", "n": int(x.size)}
    if x.min() == x.max():
        return {"code": "all_equal", "n": int(x.size), "value": float(x[0])}
    return None


def share_in_top(classes, top, limit: float = 0.30, none=0) -> tuple[float, str | None]:
    """Share of the classed population in the top class(es) and a warning when it is ≥ `limit`.

    `classes`: tier numbers or class labels, one per standard; entries equal to `none` (tier 0 =
    no tier) are not in the population. `top`: the top class, or several (EU reading: A+B ≥ 50 %
    → top=("A", "B"), limit=0.5). The default 30 % is the usual reading of the EU energy-label
    rescaling trigger (unverified): the top class has stopped discriminating. NaN share and no
    warning for an empty population.
    """
    c = np.asarray(classes)
    present = c != none
    n = int(np.count_nonzero(present))
    if n == 0:
        return float("nan"), None
    tops = np.atleast_1d(np.asarray(top))
    return _top_share(int(np.count_nonzero(np.isin(c, tops) & present)), n, tops, limit)


def _top_share(in_top: int, n: int, tops, limit: float) -> tuple[float, str | None]:
    """The share `in_top` of `n` classed standards (n > 0) and its warning (`share_in_top`)."""
    share = float(in_top / n)
    if share >= limit:
        names = "+".join(str(t) for t in tops)
        return share, (f"{share:.0%} of {n} standards are in the top class {names} "
                       f"(≥ {limit:.0%}): the top class no longer discriminates")
    return share, None


def saturation(values, top_mask, limit: float = 0.30) -> tuple[float, str | None]:
    """Like `share_in_top`, from a boolean mask of standards in the top class; NaN values are not
    in the population. Counted (present, present and in the top class), no class per row made."""
    present = ~np.isnan(np.asarray(values, dtype=float))
    n = int(np.count_nonzero(present))
    if n == 0:
        return float("nan"), None
    in_top = int(np.count_nonzero(present & np.asarray(top_mask, dtype=bool)))
    return _top_share(in_top, n, np.atleast_1d(np.asarray(1)), limit)


# --- Top Runner compliance -------------------------------------------------------------------


def shipment_weighted_mean(values, shipments, groups, n_groups: int | None = None) -> np.ndarray:
    """Each maker's shipment-weighted mean value (Japan Top Runner judges compliance on it).

    `groups`: integer maker codes 0..g−1 per row (e.g. from `pandas.factorize`); the result has one
    entry per code (length `n_groups`, default max code + 1). Rows with a NaN value or NaN
    shipments are left out; a maker with no shipments left gets NaN. Negative shipments are an
    error.
    """
    g = _maker_codes(groups)
    size = n_groups if n_groups is not None else (int(g.max()) + 1 if g.size else 0)
    sums = ShipmentSums(size)
    sums.add(values, shipments, g)
    return sums.mean()


class ShipmentSums:
    """Each maker's running sums of shipments and of value × shipments, added a part of the rows
    at a time: row by row in order into the same sums, so that the sums (and means) of rows added
    in parts are those of the rows at once, to the last bit (`shipment_weighted_mean`)."""

    def __init__(self, n_groups: int) -> None:
        self.total = np.zeros(n_groups)
        self.weighted = np.zeros(n_groups)

    def add(self, values, shipments, groups) -> None:
        """Add rows (a value, shipments and a maker code each; see `shipment_weighted_mean`)."""
        x = np.asarray(values, dtype=float)
        q = np.asarray(shipments, dtype=float)
        g = _maker_codes(groups)
        if np.any(q < 0):
            raise ValueError("shipments must not be negative")
        keep = ~(np.isnan(x) | np.isnan(q))
        if not keep.all():  # else no copies of the rows kept
            x, q, g = x[keep], q[keep], g[keep]
        np.add.at(self.total, g, q)
        np.add.at(self.weighted, g, x * q)

    def mean(self) -> np.ndarray:
        """Each maker's shipment-weighted mean (NaN for a maker with no shipments)."""
        total = self.total
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, self.weighted / np.where(total > 0, total, 1.0), np.nan)


def _maker_codes(groups) -> np.ndarray:
    """Maker codes as an integer array, or an error saying what they must be."""
    g = np.asarray(groups)
    if not np.issubdtype(g.dtype, np.integer) or (g.size and g.min() < 0):
        raise ValueError("groups must be non-negative integer codes (use pandas.factorize)")
    return g
