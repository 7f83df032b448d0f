"""The Compare tab: engines on one dataset split -> verdict, summary, chart, diffs, confusions, reports."""

from __future__ import annotations

import tempfile

import gradio as gr
import pandas as pd

from ocr_space.evaluation.compare import compare
from ocr_space.evaluation.engines import classic_engine_status
from ocr_space.evaluation.normalize import WHITESPACE_MODES, Normalization
from ocr_space.evaluation.report import samples_table_html
from ocr_space.evaluation.results import EvaluationReport
from ocr_space.models.cache import MODELS
from ocr_space.models.registry import default_model
from ocr_space.ui.errors import shows_errors
from ocr_space.ui.strings import t

ENGINE_CHOICES = ["base", "tuned", "merged", "tesseract", "rapidocr"]
MODE_CHOICES = ["default", "tiles", "base", "small"]


def engine_specs(engines: list[str], model: str, adapter: str, merged: str) -> list[str]:
    """The ticked engines as compare() specs, in the order of ENGINE_CHOICES (base first: the baseline)."""
    model, adapter, merged = (model or "").strip(), (adapter or "").strip(), (merged or "").strip()
    specs = []
    for name in ENGINE_CHOICES:
        if name not in engines:
            continue
        if name == "tuned" and not adapter:
            raise gr.Error(t("compare.no_adapter"), print_exception=False)
        if name == "merged" and not merged:
            raise gr.Error(t("compare.no_merged"), print_exception=False)
        specs.append({"base": f"base={model}", "tuned": f"tuned={model}+{adapter}", "merged": f"merged={merged}",
                      "tesseract": "tesseract", "rapidocr": "rapidocr"}[name])
    return specs


def summary_frame(report: EvaluationReport) -> pd.DataFrame:
    """One row per engine: CER, its difference to the baseline with the 95% interval, and the rest."""
    comparisons = {c.engine: c for c in report.comparisons}
    rows = []
    for engine in report.engines:
        if not engine.available:
            rows.append({"engine": engine.name, "CER %": None, "Δ vs baseline (95% interval)": "",
                         "exact lines %": None, "WER %": None, "subs/del/ins": "", "lines/s": None,
                         "tokens/s": None, "status": f"unavailable: {engine.unavailable}"})
            continue
        s, c, speed = engine.summary, comparisons.get(engine.name), engine.throughput
        delta = (f"{100 * c.difference:+.2f} pts [{100 * c.low:+.2f}, {100 * c.high:+.2f}]" if c else "baseline")
        rows.append({"engine": engine.name, "CER %": round(100 * s.cer, 2), "Δ vs baseline (95% interval)": delta,
                     "exact lines %": round(100 * s.exact_line_accuracy, 1),
                     "WER %": round(100 * s.wer, 2) if s.wer is not None else None,
                     "subs/del/ins": f"{s.substitutions}/{s.deletions}/{s.insertions}",
                     "lines/s": round(speed["lines_per_second"] or 0, 2),
                     "tokens/s": round(speed["tokens_per_second"], 1) if speed["tokens_per_second"] else None,
                     "status": "significant" if c and c.significant else "ok"})
    return pd.DataFrame(rows)


@shows_errors
def run_compare(data: str, split: str, limit: float, model: str, adapter: str, merged: str, engines: list[str],
                nfkc: bool, fold_width: bool, fold_punctuation: bool, whitespace: str, batch_size: float,
                max_new_tokens: float, mode: str, progress=gr.Progress()):
    """Handler: run compare() and return (verdict, summary, chart, samples html, confusions, report files)."""
    if not (data or "").strip():
        raise gr.Error(t("compare.no_data"), print_exception=False)
    if not engines:
        raise gr.Error(t("compare.no_engines"), print_exception=False)
    specs = engine_specs(engines, model, adapter, merged)
    normalization = Normalization(nfkc=nfkc, fold_width=fold_width, fold_punctuation=fold_punctuation,
                                  whitespace=whitespace)
    out = tempfile.mkdtemp(prefix="ocr-space-compare-")  # Gradio serves downloads from the temp dir
    report = compare(data.strip(), specs, split=split, limit=int(limit) if limit else None, out=out,
                     normalization=normalization, batch_size=int(batch_size), max_new_tokens=int(max_new_tokens),
                     mode=None if mode == "default" else mode, loader=MODELS.get,
                     progress=lambda done, total, message: progress(done / max(total, 1), desc=message))
    verdict = "\n".join(f"- {c.verdict}" for c in report.comparisons) or t("compare.baseline_only")
    chart = pd.DataFrame([{"engine": e.name, "CER %": round(100 * e.summary.cer, 2)}
                          for e in report.available_engines])
    confusions = pd.DataFrame(report.confusion_rows)
    files = [str(path) for path in report.files.values()]
    chart_plot = gr.BarPlot(value=chart, sort=list(chart["engine"]))  # keep the engines' order, baseline first
    return verdict, summary_frame(report), chart_plot, str(samples_table_html(report)), confusions, files


def _availability_line() -> str:
    status = classic_engine_status()
    return t("compare.availability", status=" · ".join(
        f"**{name}**: {reason or t('compare.available')}" for name, reason in status.items()))


def build() -> None:
    """Add the tab's components and events to the current Blocks."""
    with gr.Tab(t("compare.tab"), id="compare"):
        gr.Markdown(t("compare.intro"))
        with gr.Row():
            with gr.Column():
                data = gr.Textbox(label=t("compare.data"))
                with gr.Row():
                    split = gr.Dropdown(label=t("compare.split"), choices=["test", "validation", "train"],
                                        value="test")
                    limit = gr.Number(label=t("compare.limit"), value=200, precision=0, minimum=0)
                model = gr.Textbox(label=t("compare.model"), value=default_model())
                adapter = gr.Textbox(label=t("compare.adapter"))
                merged = gr.Textbox(label=t("compare.merged"))
                engines = gr.CheckboxGroup(label=t("compare.engines"), choices=ENGINE_CHOICES,
                                           value=["base", "tuned"])
                gr.Markdown(_availability_line())
            with gr.Column():
                with gr.Group():
                    gr.Markdown(t("compare.normalization"))
                    nfkc = gr.Checkbox(label=t("compare.nfkc"), value=True)
                    fold_width = gr.Checkbox(label=t("compare.fold_width"), value=True)
                    fold_punctuation = gr.Checkbox(label=t("compare.fold_punctuation"), value=False)
                    whitespace = gr.Radio(label=t("compare.whitespace"), choices=list(WHITESPACE_MODES), value="cjk")
                with gr.Accordion(t("compare.model_settings"), open=False):
                    batch_size = gr.Slider(label=t("compare.batch_size"), minimum=1, maximum=64, value=8, step=1)
                    max_tokens = gr.Slider(label=t("compare.max_tokens"), minimum=8, maximum=4096, value=512, step=8)
                    mode = gr.Dropdown(label=t("compare.mode"), choices=MODE_CHOICES, value="default")
                run = gr.Button(t("compare.run"), variant="primary")
        verdict = gr.Markdown(label=t("compare.verdict"))
        summary = gr.Dataframe(label=t("compare.summary"), interactive=False)
        chart = gr.BarPlot(label=t("compare.chart"), x="engine", y="CER %")
        samples = gr.HTML(label=t("compare.samples"))
        confusions = gr.Dataframe(label=t("compare.confusions"), interactive=False)
        files = gr.File(label=t("compare.files"), file_count="multiple", interactive=False)
        run.click(run_compare,
                  inputs=[data, split, limit, model, adapter, merged, engines, nfkc, fold_width, fold_punctuation,
                          whitespace, batch_size, max_tokens, mode],
                  outputs=[verdict, summary, chart, samples, confusions, files], api_name="compare")
