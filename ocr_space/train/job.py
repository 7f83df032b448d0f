"""One training run from start to adapter: load, measure, train, save, measure again.

Runs inside the runner's background thread (or directly); everything it
learns along the way goes into the run folder (:class:`RunDir`), so the UI and
the CLI only ever read files.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from ocr_space.errors import ConfigError
from ocr_space.models.adapter_mode import write_adapter_mode
from ocr_space.models.devices import dtype_name, pick_device, pick_dtype
from ocr_space.models.loading import LoadedModel
from ocr_space.models.lora import adapter_input_casts_skipped
from ocr_space.train.oom import TrainingOutOfMemory, is_out_of_memory, oom_message
from ocr_space.train.recipe import TrainConfig
from ocr_space.train.run_dir import RunDir

log = logging.getLogger("ocr_space.train")

METRICS_SPLIT = "test"


@dataclass
class TrainResult:
    """How a run ended. ``state`` is ``done`` or ``cancelled`` (failures raise)."""

    run_dir: Path
    state: str
    step: int
    max_steps: int
    adapter: Path | None
    metrics: dict | None
    backend: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["run_dir"] = str(self.run_dir)
        payload["adapter"] = str(self.adapter) if self.adapter else None
        return payload


@dataclass
class Precision:
    dtype: Any  # torch dtype of the base weights
    fp16: bool  # Trainer mixed precision flags
    bf16: bool

    @property
    def autocast(self) -> bool:
        """The Trainer runs the forward under autocast (fp16 or bf16 mixed precision)."""
        return self.fp16 or self.bf16


def resolve_precision(config: TrainConfig, device: str) -> Precision:
    """auto = bf16 on capability >= 8, fp16 on older GPUs (T4), fp32 on CPU; fp16/bf16 need CUDA."""
    import torch

    if config.precision == "auto":
        dtype = pick_dtype(device)
    elif config.precision == "fp32":
        dtype = torch.float32
    else:
        if not device.startswith("cuda"):
            raise ConfigError(f"precision: {config.precision} training needs a CUDA GPU; use auto or fp32 on {device}.")
        dtype = torch.float16 if config.precision == "fp16" else torch.bfloat16
    return Precision(dtype=dtype, fp16=dtype == torch.float16, bf16=dtype == torch.bfloat16)


def resolve_optimizer(config: TrainConfig, device: str) -> str:
    """auto = the reference's 8-bit AdamW where bitsandbytes runs (CUDA), plain AdamW elsewhere."""
    if config.optim != "auto":
        if "8bit" in config.optim and not (device.startswith("cuda") and _bitsandbytes_imports()):
            raise ConfigError(f"optim: {config.optim} needs a CUDA GPU and bitsandbytes; use adamw_torch.")
        return config.optim
    return "adamw_8bit" if device.startswith("cuda") and _bitsandbytes_imports() else "adamw_torch"


def resolve_checkpointing(config: TrainConfig, device: str) -> str:
    """``on``, ``decoder`` or ``off``: explicit settings win; auto = only where GPU memory is short.

    The budget is the card's memory times this process's allowed fraction
    (``torch.cuda.set_per_process_memory_fraction``), so a capped process on a
    big card decides like the small card it imitates.
    """
    if config.gradient_checkpointing != "auto":
        return config.gradient_checkpointing
    if not device.startswith("cuda"):
        return "off"
    import torch

    from ocr_space.train.recipe import CHECKPOINTING_BELOW_GIB

    index = torch.device(device).index or 0
    budget = torch.cuda.get_device_properties(index).total_memory * torch.cuda.get_per_process_memory_fraction(index)
    return AUTO_CHECKPOINTING_SHORT_OF_MEMORY if budget / 2**30 < CHECKPOINTING_BELOW_GIB else "off"


#: what "auto" picks under CHECKPOINTING_BELOW_GIB (bench/RESULTS.md compares "on" and "decoder" in 15 GiB)
AUTO_CHECKPOINTING_SHORT_OF_MEMORY = "on"


def _bitsandbytes_imports() -> bool:
    try:
        import bitsandbytes  # noqa: F401
    except Exception:  # noqa: BLE001 - a broken install is as good as none here
        return False
    return True


def run_training(config: TrainConfig, run: RunDir, cancel: threading.Event, resume: bool = False,
                 on_event: Callable[[dict], None] | None = None) -> TrainResult:
    """Train ``config`` into ``run`` (continuing its latest checkpoint when ``resume``); see module doc."""
    from ocr_space.train.data_source import open_training_data

    device = pick_device(config.device)
    precision = resolve_precision(config, device)
    optim = resolve_optimizer(config, device)
    probing = _probes_memory(config, device)
    if not probing:
        config = config.replace(gradient_checkpointing=resolve_checkpointing(config, device))
    data = open_training_data(config.data, config.max_train_samples)
    run.update_status(state="loading", message=f"loading {config.model}", device=device,
                      dtype=dtype_name(precision.dtype), optim=optim, train_rows=data.train.num_rows,
                      gradient_checkpointing=config.gradient_checkpointing)
    if device.startswith("cuda"):
        _free_ui_models()
    from transformers import set_seed

    # the LoRA layers are initialised here, before the Trainer seeds anything: without this a run's start
    # (and so its result) would depend on whatever used the global RNG before it in this process
    set_seed(config.seed)
    loaded, backend, note = _load_for_training(config, device, precision)
    if probing and backend != "peft":  # Unsloth sets up its own checkpointing; the probe would mis-measure it
        probing = False
        config = config.replace(gradient_checkpointing=resolve_checkpointing(config, device))
        run.update_status(gradient_checkpointing=config.gradient_checkpointing)
    run.update_status(backend=backend, backend_note=note)
    log.info("training path: %s (%s)", backend, note)
    mode = config.mode or loaded.family.training_mode or loaded.family.default_mode
    loaded.family.mode(mode)  # unknown mode -> a clear error before any work

    try:
        if probing:
            config = _fit_to_memory(config, run, loaded, data.train, mode, precision, device)
        return _measure_train_save(config, run, loaded, data, mode, precision, optim, cancel, resume, on_event,
                                   backend)
    except Exception as exc:
        if is_out_of_memory(exc):
            raise TrainingOutOfMemory(oom_message(config, mode)) from exc
        raise


def _probes_memory(config: TrainConfig, device: str) -> bool:
    """Probe on CUDA when asked, except for 'decoder' checkpointing and 4-bit loading (sized for small cards)."""
    return (config.fit_to_memory and device.startswith("cuda") and config.gradient_checkpointing != "decoder"
            and not config.load_in_4bit)


def _fit_to_memory(config: TrainConfig, run: RunDir, loaded: LoadedModel, train_rows, mode: str,
                   precision: Precision, device: str) -> TrainConfig:
    """The first settings on the memory ladder whose heaviest batch fits (see ocr_space.train.memory_fit)."""
    import torch

    from ocr_space.train.memory_fit import cuda_probe, fit_to_memory, heaviest_rows, ladder, optimizer_state_bytes

    run.update_status(state="probing", message="trying the heaviest batch to fit this GPU's memory")
    rows = heaviest_rows(train_rows, config.batch_size)
    collate = _training_collator(config, loaded, mode)  # the Trainer's own, so the probe measures what trains
    autocast = precision.dtype if precision.autocast else None
    index = torch.device(device).index or 0
    budget = torch.cuda.get_device_properties(index).total_memory * torch.cuda.get_per_process_memory_fraction(index)
    result = fit_to_memory(ladder(config.batch_size, config.grad_accum, config.gradient_checkpointing),
                           cuda_probe(loaded.model, collate, rows, device, autocast), budget,
                           reserve_bytes=optimizer_state_bytes(loaded.model))
    run.update_status(memory_probe=result.attempts)
    if result.plan is None:
        raise torch.cuda.OutOfMemoryError("even a micro-batch of 1 does not fit (memory probe)")
    plan = result.plan
    if (plan.batch_size, plan.grad_accum) != (config.batch_size, config.grad_accum):
        log.warning("batch %d x %d does not fit this GPU; training %s (same effective batch)", config.batch_size,
                    config.grad_accum, plan.describe())
    run.update_status(gradient_checkpointing=plan.gradient_checkpointing, batch_size=plan.batch_size,
                      grad_accum=plan.grad_accum, message=f"memory probe: {plan.describe()}")
    return config.replace(batch_size=plan.batch_size, grad_accum=plan.grad_accum,
                          gradient_checkpointing=plan.gradient_checkpointing)


def _measure_train_save(config: TrainConfig, run: RunDir, loaded: LoadedModel, data, mode: str,
                        precision: Precision, optim: str, cancel: threading.Event, resume: bool, on_event,
                        backend: str) -> TrainResult:
    evaluation = _Evaluation(config, data.test, mode)
    metrics = run.read_metrics() if resume else None  # a resumed run keeps its "before"
    if metrics is None:
        metrics = {"cer_before": None, "cer_after": None, "eval_samples": len(evaluation.rows),
                   "split": METRICS_SPLIT}
        if evaluation.rows:
            run.update_status(state="evaluating", message="measuring CER before training")
            # a fresh LoRA adapter is a no-op (B = 0), so this is the base model's CER
            metrics["cer_before"] = evaluation.measure(loaded)
        run.write_metrics(metrics)

    trainer, cancel_callback = _build_trainer(config, run, loaded, data.train, mode, precision, optim, cancel,
                                              on_event)
    checkpoint = run.latest_checkpoint() if resume else None
    if resume:
        done_steps = int(checkpoint.name.split("-")[1]) if checkpoint else 0
        run.drop_events_after(done_steps)
        log.info("resuming from %s", checkpoint or "the start (no checkpoint was written)")
    # under the Trainer's autocast PEFT's input casts are moot
    with adapter_input_casts_skipped(loaded.model) if precision.autocast else contextlib.nullcontext():
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    step, max_steps = trainer.state.global_step, trainer.state.max_steps

    if cancel_callback.stopped_at is not None and step < max_steps:
        kept = run.latest_checkpoint()
        message = f"Cancelled after step {step} of {max_steps}; checkpoint kept ({kept.name if kept else 'none'}), " \
                  "resume to continue."
        return TrainResult(run.path, "cancelled", step, max_steps, None, metrics, backend, message)

    run.update_status(state="saving", message="saving the adapter")
    loaded.model.save_pretrained(str(run.adapter))
    loaded.processor.save_pretrained(str(run.adapter))
    # the resolved mode, so reading with this adapter defaults to what it was trained on
    config.replace(mode=mode).to_yaml(run.adapter / "training_config.yaml")
    write_adapter_mode(run.adapter, loaded.family, loaded.processor, mode)
    if evaluation.rows:
        run.update_status(state="evaluating", message="measuring CER after training")
        metrics["cer_after"] = evaluation.measure(loaded)
        run.write_metrics(metrics)
    message = f"Finished {step} steps; adapter saved to {run.adapter}."
    if metrics.get("cer_after") is not None and metrics.get("cer_before") is not None:
        message += f" CER {metrics['cer_before']:.4f} -> {metrics['cer_after']:.4f} on {metrics['eval_samples']} " \
                   "test lines."
    return TrainResult(run.path, "done", step, max_steps, run.adapter, metrics, backend, message)


class _Evaluation:
    """The capped test rows and the CER hook; no rows = no evaluation."""

    def __init__(self, config: TrainConfig, test, mode: str):
        self.config = config
        self.mode = mode
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
                           batch_size=self.config.batch_size * 4)


def _load_for_training(config: TrainConfig, device: str, precision: Precision) -> tuple[LoadedModel, str, str]:
    """The model with fresh LoRA layers, on the Unsloth path when possible; returns (loaded, backend, note)."""
    from ocr_space.models.loading import load_model, read_checkpoint_config
    from ocr_space.models.registry import family_for_config
    from ocr_space.train.unsloth_path import load_with_unsloth, unsloth_support

    family = family_for_config(read_checkpoint_config(config.model)[0])
    note = "backend=peft was asked for"
    if config.backend != "peft":
        usable, note = unsloth_support(family, device)
        if usable:
            try:
                # Unsloth's own checkpointing is chosen at load time, before any memory probe could run
                model = load_with_unsloth(config.replace(gradient_checkpointing=resolve_checkpointing(config, device)),
                                          family, precision.dtype)
                processor = _processor(config.model)
                return (LoadedModel(model=model, processor=processor, family=family, source=config.model,
                                    adapter=None, device=device, dtype=precision.dtype), "unsloth", note)
            except Exception as exc:  # noqa: BLE001 - recorded, and an error when unsloth was required
                if config.backend == "unsloth":
                    raise ConfigError(f"backend: Unsloth failed to load {config.model}: {exc}") from exc
                note = f"Unsloth failed ({type(exc).__name__}: {str(exc)[:200]}); used PEFT"
                log.warning(note)
        elif config.backend == "unsloth":
            raise ConfigError(f"backend: unsloth is not usable here: {note}.")

    quantization = _four_bit_config(precision) if config.load_in_4bit else None
    if config.load_in_4bit and not device.startswith("cuda"):
        raise ConfigError("load_in_4bit: 4-bit (QLoRA) training needs a CUDA GPU; turn it off on CPU.")
    loaded = load_model(config.model, device=device, dtype=precision.dtype, quantization_config=quantization)
    loaded.model = _with_lora(loaded.model, config, loaded.family)
    return loaded, "peft", note


def _processor(model_reference: str):
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(model_reference)


def _four_bit_config(precision: Precision):
    if not _bitsandbytes_imports():
        raise ConfigError("load_in_4bit: needs the bitsandbytes package (pip install bitsandbytes).")
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=precision.dtype)


def _with_lora(model, config: TrainConfig, family):
    import torch
    from peft import get_peft_model, prepare_model_for_kbit_training

    from ocr_space.models.lora import LoraSettings, lora_config

    if config.load_in_4bit:
        model = prepare_model_for_kbit_training(model,
                                                use_gradient_checkpointing=config.gradient_checkpointing != "off")
    lora = lora_config(family, LoraSettings(r=config.lora_r, alpha=config.lora_alpha, dropout=config.lora_dropout,
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


def _build_trainer(config: TrainConfig, run: RunDir, loaded: LoadedModel, train_rows, mode: str, precision: Precision,
                   optim: str, cancel: threading.Event, on_event):
    from transformers import PrinterCallback, TrainingArguments

    from ocr_space.train.callbacks import CancelCallback, DecoderOnlyCheckpointing, EventLogCallback
    from ocr_space.train.checkpoints import AdapterCheckpointTrainer

    args = TrainingArguments(
        output_dir=str(run.checkpoints),
        max_steps=config.steps,
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        warmup_steps=config.warmup_steps,
        lr_scheduler_type=config.lr_scheduler,
        weight_decay=config.weight_decay,
        optim=optim,
        seed=config.seed,
        data_seed=config.seed,
        fp16=precision.fp16,
        bf16=precision.bf16,
        use_cpu=loaded.device == "cpu",
        activation_checkpointing=config.gradient_checkpointing != "off",
        activation_checkpointing_kwargs={"use_reentrant": False} if config.gradient_checkpointing != "off" else None,
        logging_steps=1,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        report_to=[],
        remove_unused_columns=False,
        label_names=["labels"],
        disable_tqdm=True,
        # collation (image decode, resize, tokenise) in worker processes overlaps the GPU step; on CPU the
        # workers would only compete with the step for the same cores
        dataloader_num_workers=2 if loaded.device.startswith("cuda") else 0,
        dataloader_pin_memory=loaded.device.startswith("cuda"),
    )
    cancel_callback = CancelCallback(run, cancel)
    trainer = AdapterCheckpointTrainer(
        model=loaded.model,
        args=args,
        train_dataset=train_rows,
        data_collator=_training_collator(config, loaded, mode),
        processing_class=loaded.processor,
        callbacks=[EventLogCallback(run, config.batch_size * config.grad_accum, on_event), cancel_callback]
        + ([DecoderOnlyCheckpointing()] if config.gradient_checkpointing == "decoder" else []),
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
