"""Write an evaluation as ``report.json`` (everything), ``report.csv`` (per sample) and ``report.html``.

The HTML page is self-contained (inline CSS and SVG, no scripts, no external
assets), so it can be mailed, attached to an issue or opened offline.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from markupsafe import Markup, escape

from ocr_space.evaluation.alignment import diff_segments
from ocr_space.evaluation.results import EvaluationReport

TEMPLATES = Path(__file__).parent / "templates"
HISTOGRAM_LABELS = ["0"] + [f"{i * 10}–{(i + 1) * 10}%" for i in range(10)] + [">100%"]
WORST_SAMPLES = 10


def write_report(report: EvaluationReport, out: str | Path) -> dict[str, Path]:
    """Write the three files into ``out`` (created if needed); returns their paths, also kept in ``report.files``.

    >>> write_report(report, "reports/r1")  # doctest: +SKIP
    {'json': PosixPath('reports/r1/report.json'), 'csv': ..., 'html': ...}
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"json": out / "report.json", "csv": out / "report.csv", "html": out / "report.html"}
    files["json"].write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    _write_csv(report, files["csv"])
    files["html"].write_text(render_html(report), encoding="utf-8")
    report.files = files
    return files


def _write_csv(report: EvaluationReport, path: Path) -> None:
    rows = report.sample_rows()
    with path.open("w", encoding="utf-8", newline="") as handle:
        fields = list(rows[0]) if rows else ["sample", "engine", "reference", "hypothesis"]
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def cer_histogram(cers: Sequence[float]) -> list[int]:
    """Counts per bin of :data:`HISTOGRAM_LABELS`: exactly 0, ten 10-point bins up to 100%, above 100%."""
    counts = [0] * len(HISTOGRAM_LABELS)
    for value in cers:
        if value == 0:
            counts[0] += 1
        elif value > 1:
            counts[-1] += 1
        else:
            counts[1 + min(int((value - 1e-12) * 10), 9)] += 1
    return counts


def histogram_svg(counts: Sequence[int], title: str, width: int = 420, height: int = 160) -> Markup:
    """An inline SVG bar chart of :func:`cer_histogram` counts."""
    top, bottom, left = 20, 34, 8
    bar_width = (width - 2 * left) / len(counts)
    peak = max(max(counts), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for index, (count, label) in enumerate(zip(counts, HISTOGRAM_LABELS, strict=True)):
        bar = (height - top - bottom) * count / peak
        x = left + index * bar_width
        y = height - bottom - bar
        parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar_width - 2:.1f}" height="{bar:.1f}" '
                     f'class="bar"><title>{escape(label)}: {count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar_width / 2:.1f}" y="{y - 3:.1f}" class="count">{count}</text>')
        parts.append(f'<text x="{x + bar_width / 2:.1f}" y="{height - bottom + 12 + (index % 2) * 11:.1f}" '
                     f'class="label">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def diff_html(reference: str, hypothesis: str) -> Markup:
    """Two lines, reference over hypothesis, with deleted, inserted and substituted characters marked.

    >>> str(diff_html("一二三", "一三"))  # doctest: +ELLIPSIS
    '<div class="diff"><div class="ref">一<del>二</del>三</div>...'
    """
    ref_parts, hyp_parts = [], []
    for segment in diff_segments(reference, hypothesis):
        ref_text, hyp_text = escape(segment.reference), escape(segment.hypothesis)
        if segment.kind == "equal":
            ref_parts.append(ref_text)
            hyp_parts.append(hyp_text)
        elif segment.kind == "replace":
            ref_parts.append(Markup('<mark class="sub">{}</mark>').format(segment.reference))
            hyp_parts.append(Markup('<mark class="sub">{}</mark>').format(segment.hypothesis))
        elif segment.kind == "delete":
            ref_parts.append(Markup("<del>{}</del>").format(segment.reference))
        else:
            hyp_parts.append(Markup("<ins>{}</ins>").format(segment.hypothesis))
    return Markup('<div class="diff"><div class="ref">{}</div><div class="hyp">{}</div></div>').format(
        Markup("").join(ref_parts), Markup("").join(hyp_parts))


#: Styles shared by the HTML report and the Compare tab's per-sample table.
DIFF_CSS = """
.diff { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; line-height: 1.6; }
.diff .ref::before { content: "ref "; color: #888; font-size: 0.8em; }
.diff .hyp::before { content: "hyp "; color: #888; font-size: 0.8em; }
.diff del { background: #fdd; color: #a00; }
.diff ins { background: #dfd; color: #060; text-decoration: underline; }
.diff mark.sub { background: #ffe08a; color: #000; }
"""


def samples_table_html(report: EvaluationReport, limit: int = 100) -> Markup:
    """The samples where engines err most (by their worst CER), each engine's reading as a diff; for the UI."""
    engines = report.available_engines
    order = sorted(range(len(report.references)),
                   key=lambda i: (-max(e.scores[i].cer for e in engines), i))[:limit]
    header = Markup("").join(Markup("<th>{}</th>").format(e.name) for e in engines)
    rows = []
    for index in order:
        cells = Markup("").join(
            Markup('<td>{}<div class="cer">CER {:.1%}</div></td>').format(
                diff_html(report.normalized_references[index], e.normalized_hypotheses[index]), e.scores[index].cer)
            for e in engines)
        rows.append(Markup("<tr><td>{}</td><td>{}</td>{}</tr>").format(index, report.references[index], cells))
    return Markup('<style>{}</style><table class="samples"><tr><th>#</th><th>reference</th>{}</tr>{}</table>').format(
        Markup(DIFF_CSS), header, Markup("").join(rows))


def render_html(report: EvaluationReport) -> str:
    """The report page as one HTML string."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    comparisons = {c.engine: c for c in report.comparisons}
    histograms = {e.name: histogram_svg(cer_histogram([s.cer for s in e.scores]), f"CER per line: {e.name}")
                  for e in report.available_engines}
    worst = {e.name: sorted(range(len(e.scores)), key=lambda i: (-e.scores[i].cer, i))[:WORST_SAMPLES]
             for e in report.available_engines}
    return environment.get_template("report.html.j2").render(
        report=report, comparisons=comparisons, histograms=histograms, worst=worst, diff_html=diff_html,
        diff_css=Markup(DIFF_CSS), engine_names=[e.name for e in report.available_engines])
