"""The Fine-tune tab: start, watch, cancel and resume a LoRA training run.

The job runs in the process-wide runner's thread; this tab only starts it
and then reads the run folder (status.json, events.jsonl, metrics.json,
train.log) on a timer. So a reload, a second browser, or a run started from
the CLI in another process all show the same live state.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pandas as pd

from ocr_space.config import runs_root
from ocr_space.models.registry import default_model
from ocr_space.train import RUNNER, PRESETS, RunDir, TrainConfig, list_runs, preset
from ocr_space.train.recipe import equivalent_command
from ocr_space.train.run_dir import ACTIVE_STATES
from ocr_space.ui.errors import shows_errors
from ocr_space.ui.strings import t

MODE_CHOICES = ["", "small", "base", "tiles"]
#: advanced settings shown in the form, in order (TrainConfig field names)
ADVANCED_FIELDS = ["steps", "learning_rate", "lora_r", "lora_alpha", "batch_size", "grad_accum", "warmup_steps",
                   "mode", "max_length", "save_steps", "eval_samples", "train_modules", "load_in_4bit",
                   "gradient_checkpointing", "seed"]


def form_config(model: str, data: str, out: str, preset_name: str, *advanced) -> TrainConfig:
    """The TrainConfig the form describes (the preset, then the advanced fields as shown)."""
    values = dict(zip(ADVANCED_FIELDS, advanced))
    values["train_modules"] = [name.strip() for name in str(values["train_modules"] or "").split(",") if name.strip()]
    for name in ("steps", "lora_r", "lora_alpha", "batch_size", "grad_accum", "warmup_steps", "max_length",
                 "save_steps", "eval_samples", "seed"):
        if values[name] is not None:
            values[name] = int(values[name])
    values["mode"] = values["mode"] or ""
    return preset(preset_name or "quick", model=(model or "").strip(), data=(data or "").strip(),
                  out=(out or "").strip(), **values)


def preset_values(preset_name: str) -> list:
    """The advanced fields' values for a preset, in ADVANCED_FIELDS order."""
    config = preset(preset_name or "quick")
    return [",".join(config.train_modules) if name == "train_modules" else getattr(config, name)
            for name in ADVANCED_FIELDS]


def command_preview(model, data, out, preset_name, *advanced) -> str:
    try:
        return equivalent_command(form_config(model, data, out, preset_name, *advanced))
    except Exception as exc:  # noqa: BLE001 - a half-typed form is normal; show why instead of a command
        return f"# {exc}"


@shows_errors
def start_training(model, data, out, preset_name, *advanced):
    """Handler: validate the form and start a run; returns the run picker pointed at it."""
    job = RUNNER.start(form_config(model, data, out, preset_name, *advanced))
    gr.Info(t("finetune.started", run=job.run_dir))
    return _run_picker(str(job.run_dir))


@shows_errors
def cancel_training(run_dir: str) -> str:
    """Handler: ask the run to stop after its current step (also works for a run in another process)."""
    job = RUNNER.current
    if job is not None and not job.done() and _same(job.run_dir, run_dir):
        job.cancel()
        return t("finetune.cancel_sent")
    run = RunDir(run_dir)
    status = run.read_status() if run_dir else {}
    if status.get("state") in ACTIVE_STATES and not status.get("stale"):
        run.cancel_file.touch()  # the other process's CancelCallback sees it at the next step
        return t("finetune.cancel_sent")
    return t("finetune.nothing_to_cancel")


@shows_errors
def resume_training(run_dir: str):
    """Handler: continue the chosen run from its latest checkpoint."""
    job = RUNNER.resume(run_dir)
    gr.Info(t("finetune.started", run=job.run_dir))
    return _run_picker(str(job.run_dir))


def refresh(run_dir: str):
    """Timer handler: (progress, loss plot, before/after, adapter path, log tail) of the chosen run."""
    if not run_dir:
        return t("finetune.no_run"), _loss_frame([]), "", "", ""
    run = RunDir(run_dir)
    status = run.read_status()
    events = run.read_events()
    adapter = _adapter_path(run, status)
    summary = metrics_markdown(run, status)
    if adapter:
        summary += "\n\n" + t("finetune.use_adapter", command=_recognize_command(run, adapter))
    return progress_markdown(run, status, events), _loss_frame(events), summary, adapter, run.log_tail(40)


def initial_run():
    """Page load: show the running job (or the newest run), so a reload re-attaches."""
    job = RUNNER.current
    return _run_picker(str(job.run_dir) if job is not None else None)


def progress_markdown(run: RunDir, status: dict, events: list[dict]) -> str:
    if not status:
        return t("finetune.no_run")
    state = status.get("state", "?")
    if status.get("stale"):
        checkpoint = run.latest_checkpoint()
        state = t("finetune.stale", checkpoint=checkpoint.name if checkpoint else "the start")
    step, max_steps = status.get("step") or 0, status.get("max_steps") or 0
    parts = [f"**{state}**", f"step {step}/{max_steps}" + (f" ({100 * step // max_steps}%)" if max_steps else "")]
    last = events[-1] if events else {}
    if status.get("state") == "training" and last.get("eta") is not None:
        parts.append(f"ETA {_duration(last['eta'])}")
    if last.get("samples_per_s"):
        parts.append(f"{last['samples_per_s']:.2f} samples/s")
    if last.get("gpu_mem") is not None:
        parts.append(f"GPU {last['gpu_mem']:.1f} GiB")
    if status.get("backend"):
        parts.append(f"path: {status['backend']}")
    text = " · ".join(parts)
    if status.get("message"):
        text += f"\n\n{status['message']}"
    return text


def metrics_markdown(run: RunDir, status: dict) -> str:
    metrics = run.read_metrics()
    if not metrics:
        return ""
    before, after, samples = metrics.get("cer_before"), metrics.get("cer_after"), metrics.get("eval_samples")
    if before is None:
        return t("finetune.no_test")
    if after is None:
        return t("finetune.cer_before_only", before=f"{before:.4f}", samples=samples)
    change = f"{(after - before) / before:+.0%}" if before else "n/a"
    return t("finetune.cer", before=f"{before:.4f}", after=f"{after:.4f}", change=change, samples=samples)


def _adapter_path(run: RunDir, status: dict) -> str:
    return str(run.adapter) if status.get("state") == "done" and (run.adapter / "adapter_config.json").is_file() \
        else ""


def _recognize_command(run: RunDir, adapter: str) -> str:
    import shlex

    try:
        model = TrainConfig.from_yaml(run.config_file).model
    except Exception:  # noqa: BLE001 - the hint is optional; a broken config.yaml shows up elsewhere
        model = "MODEL"
    return " ".join(shlex.quote(part) for part in ["python", "-m", "ocr_space", "recognize", "--model", model,
                                                     "--adapter", adapter, "IMAGE"])


def _loss_frame(events: list[dict]) -> pd.DataFrame:
    rows = [{"step": e["step"], "loss": e["loss"]} for e in events if e.get("loss") is not None]
    return pd.DataFrame(rows, columns=["step", "loss"])


def _run_picker(selected: str | None):
    runs = [str(run.path) for run in list_runs(runs_root())]
    if selected and selected not in runs:
        runs.insert(0, selected)
    return gr.update(choices=runs, value=selected or (runs[0] if runs else None))


def _same(a, b) -> bool:
    return bool(b) and Path(a).resolve() == Path(b).resolve()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def build() -> None:
    """Add the tab's components and events to the current Blocks."""
    defaults = TrainConfig()
    with gr.Tab(t("finetune.tab"), id="finetune"):
        gr.Markdown(t("finetune.intro"))
        with gr.Row():
            with gr.Column(scale=1):
                model = gr.Textbox(label=t("finetune.model"), value=default_model())
                data = gr.Textbox(label=t("finetune.data"))
                out = gr.Textbox(label=t("finetune.out"))
                preset_name = gr.Radio(label=t("finetune.preset"), choices=list(PRESETS), value="quick",
                                       info=t("finetune.preset_info"))
                with gr.Accordion(t("finetune.advanced"), open=False):
                    # no min/max on the inputs: TrainConfig.validate() rejects bad values naming the field
                    advanced = [
                        gr.Number(label="steps", value=defaults.steps, precision=0),
                        gr.Number(label="learning_rate", value=defaults.learning_rate),
                        gr.Number(label="lora_r", value=defaults.lora_r, precision=0),
                        gr.Number(label="lora_alpha", value=defaults.lora_alpha, precision=0),
                        gr.Number(label="batch_size", value=defaults.batch_size, precision=0),
                        gr.Number(label="grad_accum", value=defaults.grad_accum, precision=0),
                        gr.Number(label="warmup_steps", value=defaults.warmup_steps, precision=0),
                        gr.Dropdown(label=t("finetune.mode"), choices=MODE_CHOICES, value=defaults.mode),
                        gr.Number(label="max_length", value=defaults.max_length, precision=0),
                        gr.Number(label="save_steps", value=defaults.save_steps, precision=0),
                        gr.Number(label="eval_samples", value=defaults.eval_samples, precision=0),
                        gr.Textbox(label=t("finetune.train_modules"), value=""),
                        gr.Checkbox(label="load_in_4bit (QLoRA, CUDA only)", value=defaults.load_in_4bit),
                        gr.Dropdown(label="gradient_checkpointing", choices=["auto", "on", "decoder", "off"],
                                    value=defaults.gradient_checkpointing),
                        gr.Number(label="seed", value=defaults.seed, precision=0),
                    ]
                command = gr.Code(label=t("finetune.command"), language="shell", interactive=False)
                with gr.Row():
                    start = gr.Button(t("finetune.start"), variant="primary")
                    cancel = gr.Button(t("finetune.cancel"), variant="stop")
                    resume_button = gr.Button(t("finetune.resume"))
            with gr.Column(scale=2):
                run_dir = gr.Dropdown(label=t("finetune.run"), choices=[], allow_custom_value=True)
                progress = gr.Markdown(t("finetune.no_run"))
                plot = gr.LinePlot(_loss_frame([]), x="step", y="loss", label=t("finetune.loss"), height=260)
                metrics = gr.Markdown()
                adapter = gr.Textbox(label=t("finetune.adapter"), interactive=False, buttons=["copy"])
                log_tail = gr.Textbox(label=t("finetune.log"), lines=10, max_lines=10, autoscroll=True,
                                      interactive=False)
        form = [model, data, out, preset_name, *advanced]
        timer = gr.Timer(2.0)

        preset_name.change(preset_values, inputs=preset_name, outputs=advanced)
        start.click(start_training, inputs=form, outputs=run_dir, api_name="train_start")
        cancel.click(cancel_training, inputs=run_dir, outputs=progress, api_name="train_cancel")
        resume_button.click(resume_training, inputs=run_dir, outputs=run_dir, api_name="train_resume")
        outputs = [progress, plot, metrics, adapter, log_tail]
        timer.tick(refresh, inputs=run_dir, outputs=outputs, show_progress="hidden", api_name="train_status")
        run_dir.change(refresh, inputs=run_dir, outputs=outputs, show_progress="hidden")
        # no triggers and no inputs = on page load: a reload or a second browser re-attaches to the job
        gr.on(triggers=None, fn=initial_run, inputs=None, outputs=run_dir)
        gr.on(triggers=None, fn=command_preview, inputs=form, outputs=command)
