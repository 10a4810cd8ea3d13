"""Charts as inline SVG strings: pure functions of numbers and (already translated) words.

Nothing here reads files or fetches anything (no xmlns URL either: the SVG sits inline in HTML);
every piece of text is XML-escaped; numbers are printed with a fixed format so the same inputs give
the same bytes. Two charts:

- `bullet_chart`: one indicator on one axis — the level bands, the reference values (unverified
  ones dashed and marked) and the applicant's value, drawn from the worse end towards the better
  end so lower-is-better indicators read the same way as higher-is-better ones;
- `histogram_chart`: a population of peer values with the applicant's position, a threshold line
  and, for a peer ranking, the value range of each tier as bands behind the bars.

Values are printed as the reports print them (`benchmark.report.numbers`): at the indicator's
digits when given, else four significant digits, thousands separators, no exponent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape as _xml_escape

from benchmark.report.numbers import fmt_number

FONT = "'Noto Sans CJK SC', 'Noto Serif CJK SC', sans-serif"
BAND_COLOURS = ("#eeeeee", "#f7fcb9", "#d9f0a3", "#addd8e", "#78c679", "#41ab5d", "#238443")
INK, MUTED, ACCENT, THRESHOLD = "#222222", "#666666", "#1f3a93", "#b00020"


def esc(text: object) -> str:
    """XML-escape text for element content and attribute values."""
    return _xml_escape(str(text), {'"': "&quot;", "'": "&#39;"})


def _f(x: float) -> str:
    """A coordinate: one decimal, no '-0.0'."""
    s = f"{x:.1f}"
    return "0.0" if s == "-0.0" else s


def fmt(x: float, digits: int | None = None) -> str:
    """A value as shown on a chart (as in the report's tables)."""
    return fmt_number(float(x), digits)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 × 10^k steps) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9)
    ticks = [round((first + k) * step, 12) for k in range(count * 3 + 2)]
    return [t for t in ticks if t <= hi + step * 1e-9]


def _range(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    span = hi - lo
    pad = span * 0.12 if span > 0 else max(abs(lo) * 0.05, 1.0)
    return lo - pad, hi + pad


def _text_width(text: str, size: float) -> float:
    """Rough width of a label: wide (CJK) characters count double."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.58 for ch in text)


@dataclass(frozen=True)
class Mark:
    """One reference value on the axis."""

    label: str  # e.g. "GB 21455-2019 (1)"
    value: float
    verified: bool = True
    op: str = "="  # shown between label and value: "≥", "≤" …


@dataclass(frozen=True)
class LevelEdge:
    """Where a level starts (its requirement) on the axis; levels listed lowest first."""

    label: str
    value: float


def bullet_chart(*, title: str, unit: str | None, direction: str, value: float | None,
                 value_label: str, marks: list[Mark], edges: list[LevelEdge], floor_label: str,
                 better_label: str, unverified_label: str, width: int = 680,
                 digits: int | None = None) -> str:
    """One indicator: level bands, reference marks and the applicant's value on one axis.

    `direction` is "higher" or "lower" (which way is better). `edges` are the values where each
    level begins, lowest level first; the band before the first edge is `floor_label`. A band's
    level holds from its edge towards the better end up to the next edge."""
    sign = -1 if direction == "lower" else 1
    pts = [m.value for m in marks] + [e.value for e in edges]
    if value is not None:
        pts.append(value)
    pts = [p for p in pts if p is not None and math.isfinite(p)]
    if not pts:
        return ""
    lo, hi = _range(pts)
    left, right = 16.0, width - 16.0

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (right - left)

    top, band_h = 34.0, 30.0
    rows = len(marks) + (1 if value is not None else 0)
    legend_items = [lab for lab in dict.fromkeys([floor_label] + [e.label for e in edges]) if lab]
    legend = _legend_layout(legend_items, left, right)
    legend_y = top + band_h + 26 + rows * 17 + 14
    height = legend_y + (max(y for _, _, y in legend) + 8 if legend else 0)
    better = ("← " if sign < 0 else "") + better_label + (" →" if sign > 0 else "")
    out = [_open(width, height, title, unit, left),
           f'<text x="{_f(right)}" y="16" text-anchor="end" fill="{MUTED}">{esc(better)}</text>']
    # level bands: a level needs every lower one, so it begins at the strictest edge so far
    bounds = [lo, hi] if sign > 0 else [hi, lo]  # worse end, better end
    start = bounds[0]
    spans = []
    prev_label = floor_label
    for e in edges:
        edge = e.value if (e.value - start) * sign > 0 else start
        spans.append((start, edge, prev_label))
        start, prev_label = edge, e.label
    spans.append((start, bounds[1], prev_label))
    colour = {lab: BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)]
              for i, lab in enumerate(legend_items)}
    for a, b, lab in spans:
        xa, xb = sorted((x(a), x(b)))
        if xb - xa <= 0:
            continue
        out.append(f'<rect x="{_f(xa)}" y="{_f(top)}" width="{_f(xb - xa)}" height="{_f(band_h)}" '
                   f'fill="{colour.get(lab, BAND_COLOURS[0])}"><title>{esc(lab)}</title></rect>')
    # the applicant's value: a bar from the worse end to the value
    if value is not None and math.isfinite(value):
        xa, xb = sorted((x(bounds[0]), x(value)))
        out.append(f'<rect x="{_f(xa)}" y="{_f(top + band_h / 2 - 5)}" width="{_f(xb - xa)}" '
                   f'height="10" fill="{ACCENT}"/>')
    # reference marks: a line across the band, its label on a row of its own below the axis
    axis_y = top + band_h
    row_y = axis_y + 30
    for i, m in enumerate(sorted(marks, key=lambda m: (m.value * sign, m.label))):
        xm = x(m.value)
        dash = "" if m.verified else ' stroke-dasharray="4 3"'
        out.append(f'<line x1="{_f(xm)}" y1="{_f(top - 4)}" x2="{_f(xm)}" y2="{_f(axis_y + 4)}" '
                   f'stroke="{INK}" stroke-width="2"{dash}/>')
        label = f"{m.label} {m.op} {fmt(m.value, digits)}"
        if not m.verified:
            label += f" ({unverified_label})"
        y = row_y + i * 17
        out.append(f'<line x1="{_f(xm)}" y1="{_f(axis_y + 4)}" x2="{_f(xm)}" y2="{_f(y - 10)}" '
                   f'stroke="{MUTED}" stroke-width="0.5"{dash}/>')
        out.append(_label(xm, y, label, left, right, INK if m.verified else THRESHOLD))
    if value is not None and math.isfinite(value):
        xv = x(value)
        y = row_y + len(marks) * 17
        out.append(f'<line x1="{_f(xv)}" y1="{_f(top - 6)}" x2="{_f(xv)}" y2="{_f(y - 10)}" '
                   f'stroke="{ACCENT}" stroke-width="1"/>')
        out.append(f'<path d="M{_f(xv - 5)},{_f(top - 10)} L{_f(xv + 5)},{_f(top - 10)} '
                   f'L{_f(xv)},{_f(top - 2)} Z" fill="{ACCENT}"/>')
        out.append(_label(xv, y, f"{value_label} = {fmt(value, digits)}", left, right, ACCENT,
                          bold=True))
    # axis with ticks
    out.append(f'<line x1="{_f(left)}" y1="{_f(axis_y)}" x2="{_f(right)}" y2="{_f(axis_y)}" '
               f'stroke="{MUTED}"/>')
    for t in nice_ticks(lo, hi):
        xt = x(t)
        out.append(f'<line x1="{_f(xt)}" y1="{_f(axis_y)}" x2="{_f(xt)}" y2="{_f(axis_y + 4)}" '
                   f'stroke="{MUTED}"/>')
        out.append(f'<text x="{_f(xt)}" y="{_f(axis_y + 15)}" text-anchor="middle" '
                   f'font-size="10" fill="{MUTED}">{esc(fmt(t))}</text>')
    for lab, xi, yi in legend:
        out.append(f'<rect x="{_f(xi)}" y="{_f(legend_y + yi - 9)}" width="10" height="10" '
                   f'fill="{colour[lab]}" stroke="{MUTED}" stroke-width="0.5"/>')
        out.append(f'<text x="{_f(xi + 14)}" y="{_f(legend_y + yi)}" font-size="11" fill="{INK}">'
                   f"{esc(lab)}</text>")
    out.append("</svg>")
    return "\n".join(out)


def _open(width: int, height: float, title: str, unit: str | None, left: float) -> str:
    """The <svg> element, its accessible title and the visible title with the unit."""
    shown = title + (f" [{unit}]" if unit and unit != "1" else "")
    return (f'<svg class="chart" role="img" width="{width}" height="{_f(height)}" '
            f'viewBox="0 0 {width} {_f(height)}" font-family="{esc(FONT)}" font-size="12">\n'
            f"<title>{esc(title)}</title>\n"
            f'<text x="{_f(left)}" y="16" font-weight="bold" fill="{INK}">{esc(shown)}</text>')


def _label(xm: float, y: float, text: str, left: float, right: float, fill: str,
           bold: bool = False) -> str:
    """A label beside x, kept inside the chart (anchored at its end on the right half)."""
    w = _text_width(text, 12)
    anchor, xt = "start", xm + 3
    if xt + w > right:
        anchor, xt = "end", xm - 3
        if xt - w < left:
            anchor, xt = "start", left
    weight = ' font-weight="bold"' if bold else ""
    return (f'<text x="{_f(xt)}" y="{_f(y)}" text-anchor="{anchor}" fill="{fill}"{weight}>'
            f"{esc(text)}</text>")


def _legend_layout(items: list[str], left: float, right: float) -> list[tuple[str, float, float]]:
    """(label, x, y offset) of each legend entry, wrapping to a new line at the right edge."""
    out, xi, yi = [], left, 0.0
    for lab in items:
        w = 14 + _text_width(lab, 11) + 14
        if xi > left and xi + w > right:
            xi, yi = left, yi + 16
        out.append((lab, xi, yi))
        xi += w
    return out


@dataclass(frozen=True)
class Band:
    """A range of values under a histogram (a tier: from its worst to its best value)."""

    label: str
    worst: float
    best: float
    shade: int | None = None  # colour: 0 = darkest (tier 1); default: the band's place in the list


def histogram_chart(*, title: str, unit: str | None, edges: list[float], counts: list[int],
                    value: float | None, value_label: str, threshold: float | None,
                    threshold_label: str, caption: str = "", width: int = 680,
                    height: int = 240, digits: int | None = None,
                    bands: list[Band] | tuple[Band, ...] = ()) -> str:
    """A population of peer values (bins `edges`, `counts`), the applicant's value and a threshold
    line. `bands` (best first, the first drawn darkest) are shown as a strip under the axis, each
    from its worst to its best value, with a dotted line up the plot at each band's worst value
    (a tier boundary) and a legend below."""
    if len(edges) != len(counts) + 1 or not counts or not all(math.isfinite(e) for e in edges):
        return ""
    bands = [b for b in bands if math.isfinite(b.worst) and math.isfinite(b.best)]
    pts = list(edges) + [v for v in (value, threshold) if v is not None and math.isfinite(v)]
    pts += [v for b in bands for v in (b.worst, b.best)]
    lo, hi = min(pts), max(pts)
    if hi <= lo:
        lo, hi = _range(pts)
    strip = 16.0 if bands else 0.0
    left, right, top, bottom = 40.0, width - 16.0, 34.0, height - 44.0 - strip
    legend = _legend_layout([b.label for b in bands], left, right)
    legend_y = height + 8.0
    if legend:
        height = int(height + max(y for _, _, y in legend) + 22)
    peak = max(max(counts), 1)

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (right - left)

    def y(c: float) -> float:
        return bottom - c / peak * (bottom - top)

    out = [_open(width, height, title, unit, left)]
    if caption:
        out.append(f'<text x="{_f(right)}" y="16" text-anchor="end" fill="{MUTED}">'
                   f"{esc(caption)}</text>")
    for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True):
        xa, xb = x(a), x(b)
        out.append(f'<rect x="{_f(xa + 0.5)}" y="{_f(y(c))}" width="{_f(max(xb - xa - 1, 0.5))}" '
                   f'height="{_f(bottom - y(c))}" fill="#9fb4d6" stroke="#ffffff" '
                   'stroke-width="0.5">'
                   f"<title>{esc(fmt(a, digits))}–{esc(fmt(b, digits))}: {int(c)}</title></rect>")
    shades = BAND_COLOURS[::-1]
    colour = {b.label: shades[min(i if b.shade is None else b.shade, len(shades) - 2)]
              for i, b in enumerate(bands)}
    for band in bands:
        xa, xb = sorted((x(band.worst), x(band.best)))
        if xb - xa < 3:
            xa, xb = (xa + xb) / 2 - 1.5, (xa + xb) / 2 + 1.5
        out.append(f'<rect class="band" x="{_f(xa)}" y="{_f(bottom + 3)}" width="{_f(xb - xa)}" '
                   f'height="10" fill="{colour[band.label]}" stroke="{MUTED}" stroke-width="0.5">'
                   f"<title>{esc(band.label)}: {esc(fmt(band.best, digits))}–"
                   f"{esc(fmt(band.worst, digits))}"
                   "</title></rect>")
        xw = x(band.worst)
        out.append(f'<line class="boundary" x1="{_f(xw)}" y1="{_f(top)}" x2="{_f(xw)}" '
                   f'y2="{_f(bottom + 3)}" stroke="{MUTED}" stroke-width="1" '
                   'stroke-dasharray="1 2"/>')
    out.append(f'<line x1="{_f(left)}" y1="{_f(bottom)}" x2="{_f(right)}" y2="{_f(bottom)}" '
               f'stroke="{MUTED}"/>')
    out.append(f'<line x1="{_f(left)}" y1="{_f(top)}" x2="{_f(left)}" y2="{_f(bottom)}" '
               f'stroke="{MUTED}"/>')
    axis = bottom + strip
    for t in nice_ticks(lo, hi):
        out.append(f'<text x="{_f(x(t))}" y="{_f(axis + 14)}" text-anchor="middle" '
                   f'font-size="10" fill="{MUTED}">{esc(fmt(t))}</text>')
    for t in nice_ticks(0, peak, 4):
        if float(t).is_integer():
            out.append(f'<text x="{_f(left - 4)}" y="{_f(y(t) + 3)}" text-anchor="end" '
                       f'font-size="10" fill="{MUTED}">{int(t)}</text>')
    if threshold is not None and math.isfinite(threshold):
        xt = x(threshold)
        out.append(f'<line class="threshold" x1="{_f(xt)}" y1="{_f(top - 4)}" x2="{_f(xt)}" '
                   f'y2="{_f(bottom)}" stroke="{THRESHOLD}" stroke-width="2" '
                   'stroke-dasharray="6 3"/>')
        out.append(_label(xt, axis + 28, f"{threshold_label} = {fmt(threshold, digits)}", left,
                          right, THRESHOLD))
    if value is not None and math.isfinite(value):
        xv = x(value)
        out.append(f'<line x1="{_f(xv)}" y1="{_f(top - 4)}" x2="{_f(xv)}" y2="{_f(bottom)}" '
                   f'stroke="{ACCENT}" stroke-width="2"/>')
        out.append(_label(xv, top - 6, f"{value_label} = {fmt(value, digits)}", left, right,
                          ACCENT, bold=True))
    for lab, xi, yi in legend:
        out.append(f'<rect x="{_f(xi)}" y="{_f(legend_y + yi - 9)}" width="10" height="10" '
                   f'fill="{colour[lab]}" stroke="{MUTED}" stroke-width="0.5"/>')
        out.append(f'<text x="{_f(xi + 14)}" y="{_f(legend_y + yi)}" font-size="11" fill="{INK}">'
                   f"{esc(lab)}</text>")
    out.append("</svg>")
    return "\n".join(out)
