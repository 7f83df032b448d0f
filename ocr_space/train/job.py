"""One training run from start to adapter: plan, load, measure, train, save, measure again.

Runs inside the runner's background thread (or directly); everything it
learns along the way goes into the run folder (:class:`RunDir`), so the UI and
the CLI only ever read files. What the run does is decided once, up front, in a
:class:`~ocr_space.train.plan.TrainPlan`; this module carries the plan out and
never decides again (the memory probe's answer comes back as a new plan).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ocr_space.errors import ConfigError
from ocr_space.models.adapter_mode import write_adapter_mode
from ocr_space.models.loading import LoadedModel
from ocr_space.models.lora import adapter_input_casts_skipped
from ocr_space.out_of_memory import is_out_of_memory
from ocr_space.train.compile import compile_for_training
from ocr_space.train.oom import TrainingOutOfMemory, oom_message
from ocr_space.train.plan import Precision, TrainPlan, resolve_plan
from ocr_space.train.recipe import TrainConfig
from ocr_space.train.run_dir import RunDir

log = logging.getLogger("ocr_space.train")

METRICS_SPLIT = "test"
#: on a GPU the loss is logged at most this often (callbacks.LogPacing); on CPU every step
LOG_INTERVAL_S = 1.0


@dataclass
class TrainResult:
    """How a run ended. ``state`` is ``done`` or ``cancelled`` (failures raise)."""

    run_dir: Path
    state: str
    step: int
    max_steps: int
    adapter: Path | None
    metrics: dict | None
    message: str
    #: push-on-finish's outcome (``push_on_finish.push_finished_run``), None when no push was asked for
    push: dict | None = None

    def as_dict(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["run_dir"] = str(self.run_dir)
        payload["adapter"] = str(self.adapter) if self.adapter else None
        return payload


@dataclass(frozen=True)
class RunContext:
    """What a run works with besides its plan: the config as given, its folder, and the caller's hooks."""

    config: TrainConfig
    run: RunDir
    cancel: threading.Event
    resume: bool = False
    on_event: Callable[[dict], None] | None = None


def run_training(config: TrainConfig, run: RunDir, cancel: threading.Event, resume: bool = False,
                 on_event: Callable[[dict], None] | None = None) -> TrainResult:
    """Train ``config`` into ``run`` (continuing its latest checkpoint when ``resume``); see module doc."""
    from transformers import set_seed

    from ocr_space.train.data_source import open_training_data

    context = RunContext(config, run, cancel, resume, on_event)
    plan = resolve_plan(config)
    data = open_training_data(config.data, config.max_train_samples, config.source_split, config.eval_samples)
    run.update_status(state="loading", message=f"loading {config.model}", train_rows=data.train.num_rows,
                      plan=plan.as_dict())
    if plan.device.startswith("cuda"):
        _free_ui_models()
    # the LoRA layers are initialised here, before the Trainer seeds anything: without this a run's start
    # (and so its result) would depend on whatever used the global RNG before it in this process
    set_seed(config.seed)
    loaded = _load_for_training(context, plan)
    compiled = compile_for_training(loaded.model, plan.compile, plan.compile_note)
    run.update_status(plan=plan.as_dict(), compile=compiled.as_dict())
    if plan.warmup_note(config):
        log.info(plan.warmup_note(config))

    try:
        if plan.probe_memory:
            plan = _fit_to_memory(context, plan, loaded, data.train)
        return _measure_train_save(context, plan, loaded, data)
    except Exception as exc:
        if is_out_of_memory(exc):
            raise TrainingOutOfMemory(oom_message(config, plan.mode, plan.memory)) from exc
        raise


def _fit_to_memory(context: RunContext, plan: TrainPlan, loaded: LoadedModel, train_rows) -> TrainPlan:
    """The plan with the first settings on the memory ladder whose heaviest batch fits (ocr_space.train.memory_fit)."""
    import torch

    from ocr_space.train.data_parallel import agree_on_fit
    from ocr_space.train.memory_fit import cuda_probe, fit_to_memory, heaviest_rows, ladder, optimizer_state_bytes

    config, run = context.config, context.run
    run.update_status(state="probing", message="trying the heaviest batch to fit this GPU's memory")
    batch_size, grad_accum = plan.process_batch(config)
    rows = heaviest_rows(train_rows, batch_size)
    collate = _training_collator(config, loaded, plan.mode)  # the Trainer's own, so the probe measures what trains
    autocast = plan.precision.dtype if plan.precision.autocast else None
    rungs = ladder(batch_size, grad_accum, config.gradient_checkpointing)
    result = fit_to_memory(rungs, cuda_probe(loaded.model, collate, rows, plan.device, autocast, plan.vision_graph,
                                                      plan.decoder_graph),
                           plan.gpu_budget_bytes, reserve_bytes=optimizer_state_bytes(loaded.model))
    # every GPU probed its own memory; with several processes they all take the rung the tightest one needs
    plan = plan.with_memory(agree_on_fit(rungs, result))
    run.update_status(plan=plan.as_dict())
    if plan.memory is None:
        raise torch.cuda.OutOfMemoryError("even a micro-batch of 1 does not fit (memory probe)")
    memory = plan.memory
    if (memory.batch_size, memory.grad_accum) != (batch_size, grad_accum):
        log.warning("batch %d x %d does not fit this GPU; training %s (same effective batch)", batch_size,
                    grad_accum, memory.describe())
    run.update_status(message=f"memory probe: {memory.describe()}")
    return plan


def _measure_train_save(context: RunContext, plan: TrainPlan, loaded: LoadedModel, data) -> TrainResult:
    config, run = context.config, context.run
    evaluation = _Evaluation(config, data.test, plan)
    metrics = run.read_metrics() if context.resume else None  # a resumed run keeps its "before"
    if metrics is None:
        metrics = {"cer_before": None, "cer_after": None, "eval_samples": len(evaluation.rows),
                   "split": METRICS_SPLIT}
        if evaluation.rows:
            run.update_status(state="evaluating", message="measuring CER before training")
            # a fresh LoRA adapter is a no-op (B = 0), so this is the base model's CER
            metrics["cer_before"] = evaluation.measure(loaded)
        run.write_metrics(metrics)

    trainer, cancel_callback = _build_trainer(context, plan, loaded, data.train)
    checkpoint = run.latest_checkpoint() if context.resume else None
    if context.resume:
        run.drop_events_after(run.latest_checkpoint_step())
        log.info("resuming from %s", checkpoint or "the start (no checkpoint was written)")
    from ocr_space.models.decoder_graph import training_decoder_graphs
    from ocr_space.models.fused_lora import fused_lora_linears
    from ocr_space.models.vision_graph import training_vision_graphs

    # under the Trainer's autocast PEFT's input casts are moot
    with (adapter_input_casts_skipped(loaded.model) if plan.precision.autocast else contextlib.nullcontext(),
          fused_lora_linears(loaded.model) if config.fused_lora else contextlib.nullcontext(),
          training_vision_graphs(loaded.model) if plan.graphs_vision else contextlib.nullcontext() as vision,
          training_decoder_graphs(loaded.model) if plan.graphs_decoder else contextlib.nullcontext() as decoder):
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        graphs = {name: dispatcher.state.as_dict() for name, dispatcher in (("vision", vision), ("decoder", decoder))
                  if dispatcher is not None}
    if graphs:
        run.update_status(cuda_graphs=graphs)
    step, max_steps = trainer.state.global_step, trainer.state.max_steps

    if cancel_callback.stopped_at is not None and step < max_steps:
        kept = run.latest_checkpoint()
        message = f"Cancelled after step {step} of {max_steps}; checkpoint kept ({kept.name if kept else 'none'}), " \
                  "resume to continue."
        return TrainResult(run.path, "cancelled", step, max_steps, None, metrics, message)

    run.update_status(state="saving", message="saving the adapter")
    _save_adapter(context, plan, loaded, trainer)
    if evaluation.rows and plan.strategy == "fsdp":
        # the trained weights are sharded across the GPUs: generation would need them gathered on each one
        metrics["cer_after_note"] = "not measured under FSDP; run `eval` with the saved adapter"
        run.write_metrics(metrics)
    elif evaluation.rows:
        run.update_status(state="evaluating", message="measuring CER after training")
        metrics["cer_after"] = evaluation.measure(loaded)
        run.write_metrics(metrics)
    message = f"Finished {step} steps; adapter saved to {run.adapter}."
    if metrics.get("cer_after") is not None and metrics.get("cer_before") is not None:
        message += f" CER {metrics['cer_before']:.4f} -> {metrics['cer_after']:.4f} on {metrics['eval_samples']} " \
                   "test lines."
    return TrainResult(run.path, "done", step, max_steps, run.adapter, metrics, message)


def _save_adapter(context: RunContext, plan: TrainPlan, loaded: LoadedModel, trainer) -> None:
    """The adapter, processor and config into ``run/adapter``, written once (by process 0 of a launch).

    Under FSDP every process holds a shard, so all of them take part in the Trainer's save, which gathers
    the full adapter before process 0 writes it.
    """
    from ocr_space.distributed import barrier, is_main_process

    adapter = context.run.adapter
    if plan.strategy == "fsdp":
        trainer.save_model(str(adapter))
    elif is_main_process():
        loaded.model.save_pretrained(str(adapter))
    if is_main_process():
        loaded.processor.save_pretrained(str(adapter))
        # the resolved mode, so reading with this adapter defaults to what it was trained on
        context.config.replace(mode=plan.mode).to_yaml(adapter / "training_config.yaml")
        write_adapter_mode(adapter, loaded.family, loaded.processor, plan.mode)
    barrier()  # the others return (and may read the adapter) only once it is complete


class _Evaluation:
    """The capped test rows and the CER hook; no rows = no evaluation."""

    def __init__(self, config: TrainConfig, test, plan: TrainPlan):
        self.config = config
        self.mode = plan.mode
        self.batch_size = plan.memory.batch_size * 4
        self.rows = []
        if test is not None and config.eval_samples:
            for row in test:
                if str(row["text"]).strip():
                    self.rows.append(row)
                if len(self.rows) >= config.eval_samples:
                    break

    def measure(self, loaded: LoadedModel) -> float:
        from ocr_space.train.evaluation_hook import measure_cer

        images = [row["image"] for row in self.rows]
        texts = [row["text"] for row in self.rows]
        return measure_cer(loaded, images, texts, mode=self.mode, max_new_tokens=self.config.eval_max_new_tokens,
                           batch_size=self.batch_size)


def _load_for_training(context: RunContext, plan: TrainPlan) -> LoadedModel:
    """The base model (4-bit where asked) with fresh LoRA layers."""
    from ocr_space.models.loading import load_model

    config = context.config
    quantization = _four_bit_config(plan.precision) if config.load_in_4bit else None
    loaded = load_model(config.model, device=plan.device, dtype=plan.precision.dtype, quantization_config=quantization)
    loaded.model = _with_lora(loaded.model, config, plan)
    return loaded


def _four_bit_config(precision: Precision):
    """NF4 base weights computing in the plan's dtype (the plan checked CUDA and bitsandbytes)."""
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=precision.dtype)


def _with_lora(model, config: TrainConfig, plan: TrainPlan):
    import torch
    from peft import get_peft_model

    from ocr_space.models.lora import LoraSettings, lora_config

    # A 4-bit model gets no ``prepare_model_for_kbit_training``: PEFT's helper casts every weight bitsandbytes
    # left unquantized to fp32, and in DeepSeek-OCR-2 that is most of the model (bitsandbytes quantizes
    # nn.Linear only; the routed experts, 2.42 B of 3.39 B parameters, are fused 3-D tensors, as are the
    # embeddings and the LM head). On the H200 that made a 4-bit run reserve 20.5 GiB against 12.3 GiB for
    # plain bf16 (bench/RESULTS.md, 2026-12-02 session 4). Frozen weights stay in the compute dtype, as on every
    # path; get_peft_model freezes them, what trains is made fp32 below, and the Trainer switches on
    # (non-reentrant) checkpointing from the plan.
    lora = lora_config(plan.family, LoraSettings(r=config.lora_r, alpha=config.lora_alpha, dropout=config.lora_dropout,
                                            experts=config.lora_experts))
    lora.modules_to_save = list(config.train_modules) or None
    try:
        model = get_peft_model(model, lora)
    except ValueError as exc:  # e.g. a train_modules name that matches nothing
        raise ConfigError(f"train_modules / LoRA targets do not fit this model: {exc}") from exc
    if config.factored_experts:
        from ocr_space.models.expert_lora import use_factored_expert_lora

        use_factored_expert_lora(model)
    for param in model.parameters():
        # fp16 mixed precision keeps fp32 master copies of what trains (GradScaler refuses fp16 gradients)
        if param.requires_grad and param.dtype != torch.float32:
            param.data = param.data.float()
    model.config.use_cache = False
    return model


def _build_trainer(context: RunContext, plan: TrainPlan, loaded: LoadedModel, train_rows):
    from transformers import PrinterCallback, TrainingArguments

    from ocr_space.train import tracking
    from ocr_space.train.callbacks import CancelCallback, DecoderOnlyCheckpointing, EventLogCallback, LogPacing
    from ocr_space.train.data_parallel import trainer_arguments
    from ocr_space.train.lean_steps import LeanStepTrainer

    config, run, memory = context.config, context.run, plan.memory
    checkpointing = memory.gradient_checkpointing != "off"
    args = TrainingArguments(
        **trainer_arguments(plan.strategy),
        output_dir=str(run.checkpoints),
        max_steps=config.steps,
        per_device_train_batch_size=memory.batch_size,
        gradient_accumulation_steps=memory.grad_accum,
        learning_rate=config.learning_rate,
        warmup_steps=plan.warmup_steps,
        lr_scheduler_type=config.lr_scheduler,
        weight_decay=config.weight_decay,
        optim=plan.optim,
        seed=config.seed,
        data_seed=config.seed,
        fp16=plan.precision.fp16,
        bf16=plan.precision.bf16,
        use_cpu=loaded.device == "cpu",
        activation_checkpointing=checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if checkpointing else None,
        # logged by LogPacing: every step on CPU, about once a second on a GPU, where a log per step would make the
        # host wait for every step to finish (the loss is read off the GPU) instead of preparing the next one
        logging_strategy="no",
        logging_nan_inf_filter=False,  # its per-step check reads the loss too; a NaN loss is logged as NaN
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        **tracking.trainer_arguments(plan.report_to, run),
        remove_unused_columns=False,
        label_names=["labels"],
        disable_tqdm=True,
        # collation (image decode, resize, tokenise) in worker processes overlaps the GPU step; on CPU the
        # workers would only compete with the step for the same cores
        dataloader_num_workers=2 if loaded.device.startswith("cuda") else 0,
        dataloader_pin_memory=loaded.device.startswith("cuda"),
    )
    cancel_callback = CancelCallback(run, context.cancel)
    trainer = LeanStepTrainer(
        model=loaded.model,
        args=args,
        train_dataset=train_rows,
        data_collator=_training_collator(config, loaded, plan.mode),
        processing_class=loaded.processor,
        callbacks=[EventLogCallback(run, plan.samples_per_step, context.on_event), cancel_callback,
                   LogPacing(LOG_INTERVAL_S if loaded.device.startswith("cuda") else 0.0)]
        + ([DecoderOnlyCheckpointing()] if memory.gradient_checkpointing == "decoder" else [])
        + tracking.callbacks(plan.report_to, run),
    )
    trainer.remove_callback(PrinterCallback)  # it prints raw log dicts to stdout, where the CLI keeps its JSON
    return trainer, cancel_callback


def _training_collator(config: TrainConfig, loaded: LoadedModel, mode: str):
    """What the Trainer batches with: the family's collator, logits for the answer tokens only."""
    from ocr_space.train.collators import collator_for

    return collator_for(loaded.family, loaded.processor, mode=mode, max_length=config.max_length,
                        answer_logits_only=True)


def _free_ui_models() -> None:
    """A T4 holds one 3B model, not a second one plus training: drop the UI's cached models first."""
    from ocr_space.models.cache import MODELS

    MODELS.clear()
