"""The Fine-tune tab: start, watch, cancel and resume a LoRA training run.

The job runs in the process-wide runner's thread; this tab only starts it
and then reads the run folder (status.json, events.jsonl, metrics.json,
train.log) on a timer. So a reload, a second browser, or a run started from
the CLI in another process all show the same live state.
"""

from __future__ import annotations

import re
from pathlib import Path

import gradio as gr
import pandas as pd

from ocr_space.cli.train_flags import equivalent_command
from ocr_space.config import LIMITS
from ocr_space.train import PRESETS, RUNNER, RunDir, TrainConfig, preset
from ocr_space.train.recipe import CHECKPOINTING, PUSH_KINDS, TRACKERS
from ocr_space.train.run_dir import ACTIVE_STATES
from ocr_space.ui import run_actions
from ocr_space.ui.access import AccessDenied, Visitor, using_gpu, visitor
from ocr_space.ui.errors import shows_errors
from ocr_space.ui.form import Form, field_values
from ocr_space.ui.model_field import default_model, follow_model, mode_choices
from ocr_space.ui.pickers import dataset_picker, run_picker, visitor_datasets_keeping
from ocr_space.ui.strings import t
from ocr_space.workspace import PathNotAllowed, unique_run_name
from ocr_space.zerogpu import on_zero_gpu

#: the advanced settings shown in the form, in order (TrainConfig field names; labels are t("finetune.NAME"))
ADVANCED_FIELDS = ("steps", "learning_rate", "lora_r", "lora_alpha", "batch_size", "grad_accum", "warmup_steps",
                   "mode", "max_length", "save_steps", "eval_samples", "train_modules", "load_in_4bit",
                   "gradient_checkpointing", "seed")
#: push on finish, tracking and Hub-dataset rows, in their accordion after the advanced settings
FINISH_FIELDS = ("push_to", "push_private", "push_kind", "report_to", "source_split", "max_train_samples")
#: the mode dropdown's "no choice": the family's training mode
DEFAULT_MODE = ""


def form_config(values: dict) -> TrainConfig:
    """The TrainConfig the form describes: the preset, then every TrainConfig field the form shows, by name."""
    return preset(values.get("preset") or "quick", **field_values(TrainConfig, values))


def preset_values(preset_name: str) -> dict:
    """The advanced fields' values for a preset, by field name, as the form shows them."""
    config = preset(preset_name or "quick")
    return {name: ",".join(config.train_modules) if name == "train_modules" else getattr(config, name)
            for name in ADVANCED_FIELDS}


def launch_processes(values: dict) -> int:
    """How many training processes Start runs: every visible GPU when "use all GPUs" is ticked and there are
    several, else 1 (this process, as always)."""
    from ocr_space.train.launch import visible_gpus

    gpus = visible_gpus() if values.get("all_gpus") else 1
    return gpus if gpus > 1 else 1


def command_preview(**values) -> str:
    try:
        return equivalent_command(form_config(values), processes=launch_processes(values))
    except Exception as exc:  # noqa: BLE001 - a half-typed form is normal; show why instead of a command
        return f"# {exc}"


@shows_errors
def start_training(request: gr.Request = None, profile: gr.OAuthProfile | None = None,
                   oauth_token: gr.OAuthToken | None = None, **values):
    """Handler: check the visitor may train, validate the form and start a run; returns the run picker on it.

    With "use all GPUs" on a machine with several, the run is an ``accelerate launch`` subprocess (one
    process per GPU, :mod:`ocr_space.train.launch`); the tab follows its run folder like any other run.
    Push on finish uses the visitor's token (their login; locally the machine's own HF_TOKEN), held by the
    job in memory only (a launched run's processes get it as their Hub token).
    """
    if on_zero_gpu():
        raise gr.Error(t("notice.zero_gpu_training"), print_exception=False)
    person = visitor(request, profile, oauth_token)
    person.require_trainer()
    config, processes = visitor_config(person, form_config(values)), launch_processes(values)
    push_token = person.push_token(None) if config.push_to else None
    if processes > 1:
        from ocr_space.train.launch import launch_training

        run_dir = launch_training(config, processes, hub_token=person.hub_read_token()).run_dir
    else:
        with person.reading_hub():  # the run's thread keeps this context: its Hub reads carry the visitor's rights
            run_dir = RUNNER.start(config, push_token=push_token).run_dir
    gr.Info(t("finetune.started", run=run_dir))
    return _run_picker(person, str(run_dir))


def visitor_config(person: Visitor, config: TrainConfig) -> TrainConfig:
    """``config`` with the visitor's paths confined and their run folder chosen (a new one, never a taken one)."""
    if not person.public:
        return config
    if config.steps > LIMITS.max_steps:
        raise AccessDenied(t("access.too_many", what=t("access.limit.steps"), limit=LIMITS.max_steps,
                             count=config.steps))
    space = person.workspace
    model, data = space.reference(config.model), space.reference(str(config.data), owner_optional=True)
    if config.out:
        out = space.confine(Path(space.runs, config.out) if not Path(config.out).is_absolute() else config.out,
                            writable=True)
    else:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(str(data).rstrip("/")).name).strip("-") or "run"
        out = unique_run_name(space.runs, name)
    return config.replace(model=model, data=data, out=str(out))


@shows_errors
def cancel_training(run_dir: str, request: gr.Request = None, profile: gr.OAuthProfile | None = None) -> str:
    """Handler: ask the run to stop after its current step (also works for a run in another process)."""
    person = visitor(request, profile)
    person.require_signed_in("cancel")
    run_dir = str(person.workspace.confine(run_dir, writable=True)) if run_dir else run_dir
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
def resume_training(run_dir: str, request: gr.Request = None, profile: gr.OAuthProfile | None = None,
                    oauth_token: gr.OAuthToken | None = None):
    """Handler: continue the chosen run from its latest checkpoint (resuming is training: trainers only)."""
    person = visitor(request, profile, oauth_token)
    person.require_trainer()
    run_dir = str(person.workspace.confine(run_dir, writable=True)) if person.public else run_dir
    with person.reading_hub():
        job = RUNNER.resume(run_dir)
    gr.Info(t("finetune.started", run=job.run_dir))
    return _run_picker(person, str(job.run_dir))


def refresh(run_dir: str, request: gr.Request = None, profile: gr.OAuthProfile | None = None):
    """Timer handler: (progress, loss plot, before/after, adapter path, log tail) of the chosen run."""
    if not run_dir:
        return t("finetune.no_run"), _loss_frame([]), "", "", ""
    try:
        run = RunDir(visitor(request, profile).workspace.confine(run_dir, writable=True))
    except PathNotAllowed as exc:
        return str(exc), _loss_frame([]), "", "", ""
    status = run.read_status()
    events = run.read_events()
    adapter = _adapter_path(run, status)
    summary = metrics_markdown(run, status)
    if adapter:
        summary += "\n\n" + t("finetune.use_adapter", command=_recognize_command(run, adapter))
    return progress_markdown(run, status, events), _loss_frame(events), summary, adapter, run.log_tail(40)


def initial_run(request: gr.Request = None, profile: gr.OAuthProfile | None = None):
    """Page load: the visitor's running job (or their newest run), so a reload re-attaches; what they may do."""
    person = visitor(request, profile)
    job = RUNNER.current
    mine = job is not None and person.workspace.owns(job.run_dir)
    return (_run_picker(person, str(job.run_dir) if mine else None), person.role_note(),
            gr.update(interactive=person.may_train and not on_zero_gpu()), gr.update(interactive=person.may_train),
            gr.update(interactive=not person.public or person.signed_in))


def progress_markdown(run: RunDir, status: dict, events: list[dict]) -> str:
    if not status:
        return t("finetune.no_run")
    state = status.get("state", "?")
    if status.get("stale"):
        checkpoint = run.latest_checkpoint()
        state = t("finetune.stale", checkpoint=checkpoint.name if checkpoint else t("finetune.the_start"))
    step, max_steps = status.get("step") or 0, status.get("max_steps") or 0
    parts = [f"**{state}**", t("finetune.step", step=step, max_steps=max_steps)
             + (f" ({100 * step // max_steps}%)" if max_steps else "")]
    last = events[-1] if events else {}
    if status.get("state") == "training" and last.get("eta") is not None:
        parts.append(t("finetune.eta", eta=_duration(last["eta"])))
    if last.get("samples_per_s"):
        parts.append(t("finetune.speed", rate=f"{last['samples_per_s']:.2f}"))
    if last.get("gpu_mem") is not None:
        parts.append(t("finetune.gpu_memory", gib=f"{last['gpu_mem']:.1f}"))
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


def _run_picker(person: Visitor, selected: str | None):
    """The visitor's runs, newest first, labelled with their state (interrupted ones say so); ``selected``
    pre-picked."""
    return run_picker(person.workspace.runs, selected)


def _same(a, b) -> bool:
    return bool(b) and Path(a).resolve() == Path(b).resolve()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def page_load(request: gr.Request = None, profile: gr.OAuthProfile | None = None):
    """Page load: the visitor's datasets to pick from (newest first) and their interrupted runs, with Resume."""
    space = visitor(request, profile).workspace
    return dataset_picker(space.datasets), run_actions.interrupted_markdown(space.runs)


def interrupted_now(request: gr.Request = None, profile: gr.OAuthProfile | None = None) -> str:
    """After a Resume: the interrupted runs left."""
    return run_actions.interrupted_markdown(visitor(request, profile).workspace.runs)


def _run_action(product: str, push: bool):
    """A handler for one run action: merge or export (``push`` False: offered as files), or push the result.

    Merging, exporting and pushing need a signed-in visitor in public mode, on a run in their own folder; the
    merge loads the base model, so it waits for the one GPU like Recognize does.
    """
    action = "push" if push else "merge"

    def offer(run_dir: str, request: gr.Request = None, profile: gr.OAuthProfile | None = None):
        person = visitor(request, profile)
        person.require_signed_in(action)
        with using_gpu(action):
            return run_actions.merge_and_offer(_own_run(person, run_dir), product)

    def send(run_dir: str, repo: str, private: bool, request: gr.Request = None,
             profile: gr.OAuthProfile | None = None, oauth_token: gr.OAuthToken | None = None) -> str:
        person = visitor(request, profile, oauth_token)
        person.require_signed_in(action)
        token = person.push_token(None)
        with using_gpu(action):
            return run_actions.push_product(_own_run(person, run_dir), product, repo, private, token)

    handler = send if push else offer
    handler.__name__ = f"{'push' if push else 'make'}_{product.replace('-', '_')}"
    return shows_errors(handler)


def _own_run(person: Visitor, run_dir: str) -> str:
    return str(person.workspace.confine(run_dir, writable=True)) if run_dir and person.public else run_dir


def build() -> None:
    """Add the tab's components and events to the current Blocks."""
    with gr.Tab(t("finetune.tab"), id="finetune") as tab:
        gr.Markdown(t("finetune.intro"))
        role = gr.Markdown()
        form = Form("finetune", TrainConfig)
        with gr.Row():
            with gr.Column(scale=1):
                model = form.field("model", gr.Textbox, value=default_model())
                # the visitor's datasets, newest first (page load); a Hub dataset id can still be typed
                form.field("data", gr.Dropdown, choices=[], value=None, allow_custom_value=True)
                form.field("out", gr.Textbox)
                preset_name = form.field("preset", gr.Radio, choices=list(PRESETS), value="quick",
                                         info=t("finetune.preset_info"))
                with gr.Accordion(t("finetune.advanced"), open=False):
                    advanced = _advanced_fields(form, model.value)
                gpus = _visible_gpus()
                # one process per GPU; with one GPU (or none) the option is hidden and nothing changes
                form.field("all_gpus", gr.Checkbox, value=False, visible=gpus > 1,
                           label=t("finetune.all_gpus", gpus=gpus))
                with gr.Accordion(t("finetune.push"), open=False):
                    form.field("push_to", gr.Textbox, value="")
                    with gr.Row():
                        form.field("push_private", gr.Checkbox, value=True)
                        form.field("push_kind", gr.Radio, choices=list(PUSH_KINDS), value="adapter")
                    form.field("report_to", gr.Dropdown, choices=list(TRACKERS), value="none")
                    with gr.Row():
                        form.field("source_split", gr.Textbox, value="")
                        form.field("max_train_samples", gr.Number, value=0, precision=0)
                command = gr.Code(label=t("finetune.command"), language="shell", interactive=False)
                if on_zero_gpu():
                    gr.Markdown(t("notice.zero_gpu_training"), elem_id="finetune-zero-gpu")
                with gr.Row():
                    start = gr.Button(t("finetune.start"), variant="primary", interactive=not on_zero_gpu())
                    cancel = gr.Button(t("finetune.cancel"), variant="stop")
                    resume_button = gr.Button(t("finetune.resume"))
            with gr.Column(scale=2):
                interrupted = gr.Markdown(elem_id="finetune-interrupted")
                run_dir = gr.Dropdown(label=t("finetune.run"), choices=[], allow_custom_value=True)
                progress = gr.Markdown(t("finetune.no_run"))
                plot = gr.LinePlot(_loss_frame([]), x="step", y="loss", label=t("finetune.loss"), height=260)
                metrics = gr.Markdown()
                adapter = gr.Textbox(label=t("finetune.adapter"), interactive=False, buttons=["copy"])
                log_tail = gr.Textbox(label=t("finetune.log"), lines=10, max_lines=10, autoscroll=True,
                                      interactive=False)
                with gr.Accordion(t("runs.title"), open=False):
                    with gr.Row():
                        merge_button = gr.Button(t("runs.merge"))
                        export_button = gr.Button(t("runs.export_v1"))
                    files = gr.File(label=t("runs.files"), file_count="multiple", interactive=False)
                    with gr.Row():
                        product_repo = gr.Textbox(label=t("runs.repo"), scale=3)
                        product_private = gr.Checkbox(label=t("runs.private"), value=True, scale=1)
                    with gr.Row():
                        push_merged_button = gr.Button(t("runs.push_merged"))
                        push_v1_button = gr.Button(t("runs.push_v1"))
                    product_result = gr.Markdown(label=t("runs.result"))
        timer = gr.Timer(2.0)

        preset_name.change(lambda name: advanced.updates(preset_values(name)), inputs=preset_name,
                           outputs=advanced.components)
        model.change(lambda name, mode: follow_model(name, mode, DEFAULT_MODE), inputs=[model, form["mode"]],
                     outputs=form["mode"], show_progress="hidden")
        start.click(start_training, inputs_kwargs=form.inputs, outputs=run_dir, api_name="train_start")
        cancel.click(cancel_training, inputs=run_dir, outputs=progress, api_name="train_cancel")
        resume_button.click(resume_training, inputs=run_dir, outputs=run_dir, api_name="train_resume").then(
            interrupted_now, outputs=interrupted, show_progress="hidden")
        outputs = [progress, plot, metrics, adapter, log_tail]
        timer.tick(refresh, inputs=run_dir, outputs=outputs, show_progress="hidden", api_name="train_status")
        run_dir.change(refresh, inputs=run_dir, outputs=outputs, show_progress="hidden")
        # no triggers and no inputs = on page load: a reload or a second browser re-attaches to the job
        gr.on(triggers=None, fn=initial_run, inputs=None, outputs=[run_dir, role, start, resume_button, cancel])
        gr.on(triggers=None, fn=page_load, inputs=None, outputs=[form["data"], interrupted], api_name="train_page")
        # coming back from Build Dataset: the list is fresh and, if none was picked, the newest (just built) is
        tab.select(visitor_datasets_keeping, inputs=form["data"], outputs=form["data"], show_progress="hidden",
                   api_visibility="private")
        for button, product, name in ((merge_button, "merged", "run_merge"), (export_button, "merged-v1",
                                                                               "run_export_v1")):
            button.click(_run_action(product, push=False), inputs=run_dir, outputs=[product_result, files],
                         api_name=name, concurrency_id="gpu")
        for button, product, name in ((push_merged_button, "merged", "run_push_merged"),
                                      (push_v1_button, "merged-v1", "run_push_v1")):
            button.click(_run_action(product, push=True), inputs=[run_dir, product_repo, product_private],
                         outputs=product_result, api_name=name, concurrency_id="gpu")
        gr.on(triggers=None, fn=command_preview, inputs_kwargs=form.inputs, outputs=command)


def _visible_gpus() -> int:
    from ocr_space.train.launch import visible_gpus

    return visible_gpus()


def _advanced_fields(form: Form, model: str) -> Form:
    """The advanced settings (ADVANCED_FIELDS) into ``form``, pre-filled from the quick preset; returns them alone.

    No min/max on the inputs: TrainConfig.validate() rejects bad values naming the field.
    """
    values = preset_values("quick")
    advanced = Form(form.prefix, form.settings)
    for name in ADVANCED_FIELDS:
        if name == "mode":
            component = form.field(name, gr.Dropdown, choices=mode_choices(model, DEFAULT_MODE), value=values[name])
        elif name == "train_modules":
            component = form.field(name, gr.Textbox, value=values[name])
        elif name == "load_in_4bit":
            component = form.field(name, gr.Checkbox, value=values[name])
        elif name == "gradient_checkpointing":
            component = form.field(name, gr.Dropdown, choices=list(CHECKPOINTING), value=values[name])
        else:
            integer = isinstance(values[name], int)
            component = form.field(name, gr.Number, value=values[name], precision=0 if integer else None)
        advanced.add(name, component)
    return advanced
