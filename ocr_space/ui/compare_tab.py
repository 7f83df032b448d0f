"""The Compare tab: engines on one dataset split -> verdict, summary, chart, diffs, confusions, reports."""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr
import pandas as pd

from ocr_space.config import LIMITS, persistent_root, reports_root
from ocr_space.evaluation.compare import compare
from ocr_space.evaluation.engines import classic_engine_status
from ocr_space.evaluation.normalize import WHITESPACE_MODES, Normalization
from ocr_space.evaluation.report import samples_table_html
from ocr_space.evaluation.results import EvaluationReport
from ocr_space.models.cache import MODELS
from ocr_space.ui.access import AccessDenied, using_gpu, visitor
from ocr_space.ui.downloads import downloadable
from ocr_space.ui.errors import shows_errors
from ocr_space.ui.form import Form, field_values
from ocr_space.ui.model_field import default_model, follow_model, mode_choices
from ocr_space.ui.pickers import visitor_datasets, visitor_datasets_keeping
from ocr_space.ui.strings import t, text
from ocr_space.workspace import unique_run_name
from ocr_space.zerogpu import gpu_seconds, on_gpu

ENGINE_CHOICES = ["base", "tuned", "merged", "tesseract", "rapidocr"]
#: the mode dropdown's "no choice": the family's default mode
DEFAULT_MODE = "default"


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
            rows.append(_columns(engine=engine.name, cer=None, delta="", exact=None, wer=None, edits="",
                                 lines_per_s=None, tokens_per_s=None,
                                 status=t("compare.unavailable", reason=engine.unavailable)))
            continue
        s, c, speed = engine.summary, comparisons.get(engine.name), engine.throughput
        delta = (f"{100 * c.difference:+.2f} pts [{100 * c.low:+.2f}, {100 * c.high:+.2f}]" if c
                 else t("compare.baseline"))
        rows.append(_columns(engine=engine.name, cer=round(100 * s.cer, 2), delta=delta,
                             exact=round(100 * s.exact_line_accuracy, 1),
                             wer=round(100 * s.wer, 2) if s.wer is not None else None,
                             edits=f"{s.substitutions}/{s.deletions}/{s.insertions}",
                             lines_per_s=round(speed["lines_per_second"] or 0, 2),
                             tokens_per_s=round(speed["tokens_per_second"], 1) if speed["tokens_per_second"] else None,
                             status=t("compare.significant") if c and c.significant else t("compare.ok")))
    return pd.DataFrame(rows)


def _columns(**values) -> dict:
    """A summary row with its column headers from the strings table (``compare.column.NAME``)."""
    return {t(f"compare.column.{name}"): value for name, value in values.items()}


def _compare_seconds(*special, **values) -> int:
    """The ZeroGPU lease of a comparison: its lines in batches, once per model engine ticked."""
    models = len([name for name in values.get("engines") or [] if name in ("base", "tuned", "merged")]) or 1
    return models * gpu_seconds(values.get("mode"), lines=int(values.get("limit") or 200),
                                batch_size=int(values.get("batch_size") or 8))


@shows_errors
@on_gpu(_compare_seconds)  # ZeroGPU only; else a no-op
def run_compare(progress=gr.Progress(), request: gr.Request = None, profile: gr.OAuthProfile | None = None,
                oauth_token: gr.OAuthToken | None = None, **values):
    """Handler: run compare() on the form's values (by setting name) and return (verdict, summary, chart, samples
    html, confusions, report files)."""
    data = (values["data"] or "").strip()
    if not data:
        raise gr.Error(t("compare.no_data"), print_exception=False)
    if not values["engines"]:
        raise gr.Error(t("compare.no_engines"), print_exception=False)
    person = visitor(request, profile, oauth_token)
    space = person.workspace
    data = space.reference(data, owner_optional=True)
    specs = engine_specs(values["engines"], space.reference(values["model"]), space.reference(values["adapter"]),
                         space.reference(values["merged"]))
    limit = int(values["limit"]) if values["limit"] else None
    if person.public and (limit is None or limit > LIMITS.max_compare_lines):
        raise AccessDenied(t("access.too_many", what=t("access.limit.compare"), limit=LIMITS.max_compare_lines,
                             count=limit or t("compare.all_lines")))
    normalization = Normalization(**field_values(Normalization, values))
    # reports go to the visitor's own folder in public mode (downloads are temp copies), to persistent storage
    # when there is some (they survive a restart), else the temp dir
    if person.public:
        out = unique_run_name(space.reports, "compare")
    elif persistent_root() is not None:
        out = unique_run_name(reports_root(), "compare")
    else:
        out = Path(tempfile.mkdtemp(prefix="ocr-space-compare-"))
    mode = values["mode"]
    with person.reading_hub(), using_gpu("compare", progress):
        report = compare(data, specs, split=values["split"], limit=limit,
                         out=out, normalization=normalization, batch_size=int(values["batch_size"]),
                         max_new_tokens=int(values["max_new_tokens"]), mode=None if mode == DEFAULT_MODE else mode,
                         loader=MODELS.get,
                         progress=lambda done, total, message: progress(done / max(total, 1), desc=message))
    verdict = "\n".join(f"- {c.verdict}" for c in report.comparisons) or t("compare.baseline_only")
    if report.settings.get("mode_note"):  # which resolution every model read in, and why
        verdict += "\n\n" + report.settings["mode_note"]
    chart = pd.DataFrame([_columns(engine=e.name, cer=round(100 * e.summary.cer, 2))
                          for e in report.available_engines])
    confusions = pd.DataFrame(report.confusion_rows)
    files = downloadable(list(report.files.values()))
    # keep the engines' order, baseline first
    engine, cer = t("compare.column.engine"), t("compare.column.cer")  # the request's language, like the frame's
    chart_plot = gr.BarPlot(value=chart, x=engine, y=cer, sort=list(chart[engine]))
    return verdict, summary_frame(report), chart_plot, str(samples_table_html(report)), confusions, files


def _availability_line() -> str:
    status = classic_engine_status()
    return t("compare.availability", status=" · ".join(
        f"**{name}**: {reason or t('compare.available')}" for name, reason in status.items()))


def build() -> None:
    """Add the tab's components and events to the current Blocks."""
    with gr.Tab(t("compare.tab"), id="compare") as tab:
        gr.Markdown(t("compare.intro"))
        # keyed by compare()'s and Normalization's names; the order is the API's ("/compare") parameter order
        form = Form("compare", Normalization)
        defaults = Normalization()
        with gr.Row():
            with gr.Column():
                # the visitor's datasets, newest first (page load); a Hub dataset id can still be typed
                data = form.field("data", gr.Dropdown, choices=[], value=None,
                                  allow_custom_value=True)
                with gr.Row():
                    form.field("split", gr.Dropdown, choices=["test", "validation", "train"], value="test")
                    form.field("limit", gr.Number, value=200, precision=0, minimum=0)
                model = form.field("model", gr.Textbox, value=default_model())
                form.field("adapter", gr.Textbox)
                form.field("merged", gr.Textbox)
                form.field("engines", gr.CheckboxGroup, choices=ENGINE_CHOICES, value=["base", "tuned"])
                gr.Markdown(_availability_line())
            with gr.Column():
                with gr.Group():
                    gr.Markdown(t("compare.normalization"))
                    form.field("nfkc", gr.Checkbox, value=defaults.nfkc)
                    form.field("fold_width", gr.Checkbox, value=defaults.fold_width)
                    form.field("fold_punctuation", gr.Checkbox, value=defaults.fold_punctuation)
                    form.field("whitespace", gr.Radio, choices=list(WHITESPACE_MODES), value=defaults.whitespace)
                with gr.Accordion(t("compare.model_settings"), open=False):
                    form.field("batch_size", gr.Slider, minimum=1, maximum=64, value=8, step=1)
                    form.field("max_new_tokens", gr.Slider, minimum=8, maximum=4096, value=512, step=8)
                    mode = form.field("mode", gr.Dropdown, choices=mode_choices(model.value, DEFAULT_MODE),
                                      value=DEFAULT_MODE)
                run = gr.Button(t("compare.run"), variant="primary")
        verdict = gr.Markdown(label=t("compare.verdict"))
        summary = gr.Dataframe(label=t("compare.summary"), interactive=False)
        # the axes are data columns, named per request by run_compare (the frame's headers are in its language)
        chart = gr.BarPlot(label=t("compare.chart"), x=text("compare.column.engine"), y=text("compare.column.cer"))
        samples = gr.HTML(label=t("compare.samples"))
        confusions = gr.Dataframe(label=t("compare.confusions"), interactive=False)
        files = gr.File(label=t("compare.files"), file_count="multiple", interactive=False)
        model.change(lambda name, current: follow_model(name, current, DEFAULT_MODE), inputs=[model, mode],
                     outputs=mode, show_progress="hidden")
        gr.on(triggers=None, fn=visitor_datasets, inputs=None, outputs=data, api_visibility="private")
        tab.select(visitor_datasets_keeping, inputs=data, outputs=data, show_progress="hidden",
                   api_visibility="private")
        run.click(run_compare, inputs_kwargs=form.inputs, outputs=[verdict, summary, chart, samples, confusions, files],
                  api_name="compare", concurrency_id="gpu")
