"""PDF: an HTML report (evaluation, peer ranking, comparison study) printed by headless Chromium
(Debian's `chromium`, `make sysdeps`). The page footer — report id, date, "page X of Y" — comes
from the report's CSS (@page margin boxes), not from Chromium's own header and footer.

Chromium runs with a fresh profile in a temporary folder, no network services, a time limit, and
its whole process group is killed if it overruns. The HTML is self-contained, so printing needs no
fetch.

Determinism: two things in Chromium's PDF vary between prints of the same HTML, and both are
rewritten, keeping their length so the cross-reference offsets stay valid:
  * the print time (/CreationDate and /ModDate) — set to the report's date;
  * the ids of the tagged-PDF structure elements (`/ID (node00000018)`, referred to by table cells'
    `/Headers`): Chromium numbers them from the renderer's DOM node counter, which one more node
    created before the page (it happens when the machine is busy) shifts by one — renumbered in
    order of first appearance.
With that, the same HTML printed by the same Chromium build with the same fonts gives the same
bytes (checked with Chromium 156, also with four prints at a time on a loaded machine). A
different Chromium version or font set changes the layout and the /Creator string, so PDFs are
reproducible per machine set-up, not across set-ups; the HTML and XLSX reports are byte-identical
everywhere.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from benchmark.errors import InputError, Problem

# Flags needed on a headless server: no sandbox (containers), no GPU, and no background network
# services (without them Chromium stalls or fails here).
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-pdf-header-footer")
TIMEOUT = 120.0
_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:(\d{14})")
_NODE_ID = re.compile(rb"\(node(\d{8,})\)")
NEEDS = ("PDF reports (--format pdf) need Chromium; the tests that open reports in a browser or "
         "print them need Chromium, poppler-utils and a CJK font")


def chromium_binary() -> str:
    """The Chromium to print with: $BENCHMARK_CHROMIUM, else `chromium` on the PATH."""
    configured = os.environ.get("BENCHMARK_CHROMIUM")
    found = shutil.which(configured) if configured else shutil.which("chromium")
    if not found:
        what = f"BENCHMARK_CHROMIUM={configured!r} is not an executable" if configured else \
            "no 'chromium' on the PATH"
        raise InputError(Problem("pdf_renderer_missing", f"cannot print PDF reports: {what}; "
                                 f"{NEEDS}", file="--format pdf",
                                 hint="install Debian's chromium as root (make sysdeps, or "
                                      "apt-get install chromium), or set BENCHMARK_CHROMIUM to a "
                                      "Chromium binary; the other formats need nothing"))
    return found


def run_chromium(args: list[str], profile: Path,
                 timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """Run headless Chromium with the required flags and a fresh profile; kill its process group
    on timeout. `args` are the extra arguments (action and URL)."""
    cmd = [chromium_binary(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise InputError(Problem("pdf_timeout", f"Chromium did not finish within {timeout:g} s",
                                 hint="check that Chromium runs headless here")) from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def fix_dates(pdf: bytes, on: dt.date) -> bytes:
    """Set /CreationDate and /ModDate to `on` (midnight), same length, so offsets stay valid."""
    stamp = on.strftime("%Y%m%d").encode() + b"000000"
    return _DATE.sub(lambda m: b"/" + m.group(1) + b" (D:" + stamp, pdf)


def renumber_nodes(pdf: bytes) -> bytes:
    """Structure element ids `(node00000018)` renumbered 1, 2, 3 … in order of first appearance,
    each with as many digits as before (so the file keeps its length and offsets)."""
    numbers: dict[bytes, int] = {}

    def new(m: re.Match) -> bytes:
        k = numbers.setdefault(m.group(1), len(numbers) + 1)
        return b"(node" + str(k).zfill(len(m.group(1))).encode() + b")"

    return _NODE_ID.sub(new, pdf)


def stable_pdf(pdf: bytes, on: dt.date | None) -> bytes:
    """The PDF without what varies from one print to the next (see the module docstring)."""
    pdf = renumber_nodes(pdf)
    return fix_dates(pdf, on) if on else pdf


def html_to_pdf(html: str, on: dt.date | None = None, timeout: float = TIMEOUT) -> bytes:
    """Print self-contained HTML to PDF bytes (A4, as the report's CSS says)."""
    with tempfile.TemporaryDirectory(prefix="benchmark-pdf-") as tmp:
        page, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        done = run_chromium([f"--print-to-pdf={out}", page.as_uri()], Path(tmp) / "profile",
                            timeout)
        if not out.exists() or out.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise InputError(Problem("pdf_render_failed",
                                     f"Chromium wrote no PDF (exit status {done.returncode}): "
                                     + " | ".join(tail),
                                     hint="run the chromium command by hand to see why"))
        data = out.read_bytes()
    return stable_pdf(data, on)


def render_pdf(result: dict, lang: str = "zh", template_dir: str | None = None,
               html: str | None = None) -> bytes:
    """The evaluation's PDF: its HTML report printed (pass `html` when already rendered)."""
    if html is None:
        from benchmark.report.html import render_html

        html = render_html(result, lang, template_dir)
    return html_to_pdf(html, dt.date.fromisoformat(result["evaluation_date"]))
