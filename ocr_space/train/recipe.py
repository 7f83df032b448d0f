"""What a training run does, as one validated dataclass, with the reference recipe as defaults.

Defaults are Unsloth's free-Colab recipe for DeepSeek-OCR (shared DESIGN.md
§2): LoRA r=16, alpha=16, dropout 0; batch 2 x grad-accum 4; warmup 5; 60
steps; lr 2e-4, linear schedule; weight decay 0.001; seed 3407; 8-bit AdamW
where bitsandbytes runs (CUDA), plain AdamW elsewhere. A config is checked
once, before any job starts, and every bad value is reported with its field
name; the rest of the code trusts it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ocr_space.errors import ConfigError

SCHEDULERS = ("linear", "cosine", "constant", "constant_with_warmup")
OPTIMIZERS = ("auto", "adamw_torch", "adamw_torch_fused", "adamw_8bit", "paged_adamw_8bit", "adafactor", "sgd")
PRECISIONS = ("auto", "fp32", "fp16", "bf16")
CHECKPOINTING = ("auto", "on", "decoder", "off")
#: experiment trackers the Trainer can report to; "none" (the default) keeps only the run folder's own files
TRACKERS = ("none", "tensorboard", "trackio")
#: what push-on-finish uploads: the LoRA adapter, or the base with the adapter merged in (16-bit)
PUSH_KINDS = ("adapter", "merged")
#: how several processes (torchrun / accelerate launch) share a run: ocr_space.train.data_parallel
STRATEGIES = ("ddp", "fsdp")
EFFECTIVE_BATCH = ("keep", "scale")
COMPILE = ("auto", "on", "off")
#: when the memory probe is off (fit_to_memory false, 4-bit): below this much GPU memory "auto" checkpoints
#: activations; above, the default micro-batch fits without (8 pages peak at 47 GiB in bf16; bench/RESULTS.md)
CHECKPOINTING_BELOW_GIB = 40.0


@dataclass
class TrainConfig:
    """Everything a run needs; ``config.yaml`` in the run folder is this, dumped.

    Each field's ``metadata["help"]`` is its one description: the CLI's
    ``--help`` and the UI's info text both read it.

    >>> config = TrainConfig(model="/tmp/tiny", data="datasets/lines", steps=60)
    >>> config.validate().batch_size
    8
    """

    model: str = field(default="", metadata={"help": "base model: Hub repo id or local folder"})
    data: str = field(default="", metadata={
        "help": "dataset folder ({prefix}_{train,validation,test}.parquet) or Hub dataset id with image/text columns"})
    out: str = field(default="", metadata={
        "help": "run folder; empty = a new folder under $OCR_SPACE_RUNS (or ./runs)"})
    steps: int = field(default=60, metadata={"help": "optimizer steps to train"})
    learning_rate: float = field(default=2e-4, metadata={"help": "peak learning rate of the LoRA weights"})
    # the reference recipe's 2 x grad-accum 4 = 8 samples per optimizer step, as one micro-batch: the same
    # gradient in one pass instead of four (the reference accumulated only to fit a T4)
    batch_size: int = field(default=8, metadata={
        "help": "samples per forward pass (micro-batch); on a GPU too small for it, lower it and raise grad_accum "
                "(the memory probe does so by itself)"})
    grad_accum: int = field(default=1, metadata={
        "help": "micro-batches per optimizer step (batch_size x grad_accum = samples per step)"})
    warmup_steps: int = field(default=5, metadata={
        "help": "steps over which the learning rate rises from 0 (at most steps: a shorter run warms up over all "
                "of its steps)"})
    lr_scheduler: str = field(default="linear", metadata={
        "help": "learning-rate schedule after warmup: " + ", ".join(SCHEDULERS)})
    weight_decay: float = field(default=0.001, metadata={"help": "AdamW weight decay, in [0, 1)"})
    seed: int = field(default=3407, metadata={"help": "random seed of the LoRA init, data order and dropout"})
    optim: str = field(default="auto", metadata={
        "help": "optimizer: " + ", ".join(OPTIMIZERS) + "; auto = adamw_torch_fused on CUDA (the reference's adamw_8bit "
                "synchronizes the GPU after every parameter: 28% slower steps on the H200), else adamw_torch"})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank"})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA alpha (the update is scaled by alpha / r)"})
    lora_dropout: float = field(default=0.0, metadata={
        "help": "dropout on the LoRA input; must be 0 while lora_experts is on"})
    lora_experts: bool = field(default=True, metadata={
        "help": "adapt the routed MoE experts too (the reference's reach); needs lora_dropout 0"})
    factored_experts: bool = field(default=True, metadata={
        "help": "compute the routed experts' LoRA from its factors instead of PEFT's rebuilt expert weights: the "
                "same numbers, without 4.8 GB of rebuilt weights per forward at full size"})
    fused_lora: bool = field(default=False, metadata={
        "help": "run each adapted Linear layer as one autograd node (ocr_space.models.fused_lora): fewer ops for "
                "a host-bound step; off until a GPU run measures it"})
    vision_graph: bool = field(default=True, metadata={
        "help": "on CUDA, replay the image encoder's forward and backward as CUDA graphs "
                "(ocr_space.models.vision_graph): one launch instead of thousands per step; not with 4-bit "
                "weights, full gradient checkpointing or several processes"})
    decoder_graph: bool = field(default=True, metadata={
        "help": "on CUDA, replay the text decoder's forward and backward as CUDA graphs, one per length bucket "
                "of 64 tokens (ocr_space.models.decoder_graph); same conditions as vision_graph"})
    train_modules: list[str] = field(default_factory=list, metadata={
        "help": "modules trained in full and saved with the adapter (PEFT modules_to_save), e.g. lm_head"})
    mode: str = field(default="", metadata={
        "help": "resolution mode; empty = the family's training mode (DeepSeek-OCR-2: small, no tiles)"})
    max_length: int = field(default=2048, metadata={
        "help": "longest sample in tokens (image + prompt + answer); longer answers are cut"})
    max_train_samples: int = field(default=0, metadata={"help": "use at most this many training rows (0 = all)"})
    source_split: str = field(default="", metadata={
        "help": "for a Hub dataset: the split and rows to train on, e.g. train[:1000] (empty = train, cut to "
                "max_train_samples); only these rows and the eval_samples test rows are downloaded"})
    gradient_checkpointing: str = field(default="auto", metadata={
        "help": "recompute activations in the backward pass to save memory: on (every layer), decoder (the "
                "language model's layers only), off; auto on CUDA = off unless the memory probe finds that the "
                "heaviest batch does not fit; without the probe, on where this process has under "
                f"{CHECKPOINTING_BELOW_GIB:g} GiB of GPU memory"})
    fit_to_memory: bool = field(default=True, metadata={
        "help": "on CUDA, run the heaviest batch once before training and, if it does not fit, switch "
                "checkpointing on (when auto) and then halve batch_size / double grad_accum until it does"})
    load_in_4bit: bool = field(default=False, metadata={
        "help": "QLoRA: 4-bit NF4 base weights (CUDA + bitsandbytes only)"})
    precision: str = field(default="auto", metadata={
        "help": "weights and mixed precision: " + ", ".join(PRECISIONS) + "; auto = bf16 on GPUs with compute "
                "capability >= 8, fp16 on older GPUs (T4), fp32 on CPU"})
    device: str = field(default="auto", metadata={"help": "auto, cpu or cuda[:N]"})
    save_steps: int = field(default=20, metadata={
        "help": "write a resumable checkpoint (adapter + optimizer + scheduler + RNG) every this many steps"})
    save_total_limit: int = field(default=2, metadata={"help": "keep at most this many checkpoints"})
    eval_samples: int = field(default=50, metadata={
        "help": "before/after CER on at most this many test rows (0 = no evaluation)"})
    eval_max_new_tokens: int = field(default=256, metadata={
        "help": "longest transcription generated when measuring CER"})
    push_to: str = field(default="", metadata={
        "help": "when training ends, push to this Hub repo (USER/NAME, or NAME for your own namespace; empty = no "
                "push) with the signed-in user's token (HF_TOKEN on the command line); a failed push keeps the "
                "local adapter"})
    push_private: bool = field(default=True, metadata={"help": "create the pushed repo as private"})
    push_kind: str = field(default="adapter", metadata={
        "help": "what to push: adapter (the LoRA files) or merged (the base with the adapter merged in, 16-bit)"})
    report_to: str = field(default="none", metadata={
        "help": "experiment tracking: " + ", ".join(TRACKERS) + "; tensorboard writes its event files into the run "
                "folder (tensorboard --logdir RUNS_ROOT shows every run), trackio logs to project ocr-space (needs "
                "pip install trackio)"})
    strategy: str = field(default="ddp", metadata={
        "help": "with several processes (torchrun / accelerate launch, one per GPU): ddp = a whole model on every "
                "GPU, gradients averaged (fastest); fsdp = base weights sharded across the GPUs (less memory per "
                "card, more traffic; CUDA only). Ignored in one process"})
    effective_batch: str = field(default="keep", metadata={
        "help": "with N processes: keep = batch_size x grad_accum samples per optimizer step in all, each "
                "process taking 1/N (the same training as on one GPU); scale = every process takes batch_size x "
                "grad_accum (N times more samples per step)"})
    compile: str = field(default="auto", metadata={
        "help": "regional torch.compile of the repeated layers: on, off; auto = off until a "
                "GPU run shows it pays (bench/RESULTS.md, 2026-12-02: warm-up over 200 s on the H200)"})

    def validate(self) -> TrainConfig:
        """Check every field; raise :class:`ConfigError` naming the first bad one. Returns self."""
        _require(bool(str(self.model).strip()), "model", "give a Hub repo id or a local model folder")
        _require(bool(str(self.data).strip()), "data", "give a dataset folder or a Hub dataset id")
        for name in ("steps", "batch_size", "grad_accum", "lora_r", "lora_alpha", "max_length", "save_steps",
                     "save_total_limit", "eval_max_new_tokens"):
            _require_int(self, name, minimum=1)
        for name in ("warmup_steps", "max_train_samples", "eval_samples", "seed"):
            _require_int(self, name, minimum=0)
        for name in ("learning_rate", "weight_decay", "lora_dropout"):
            value = getattr(self, name)
            _require(isinstance(value, (int, float)) and not isinstance(value, bool), name, "must be a number")
        _require(0 < self.learning_rate <= 1, "learning_rate", f"must be in (0, 1]; got {self.learning_rate}")
        _require(0 <= self.weight_decay < 1, "weight_decay", f"must be in [0, 1); got {self.weight_decay}")
        _require(0 <= self.lora_dropout < 1, "lora_dropout", f"must be in [0, 1); got {self.lora_dropout}")
        _require(not (self.lora_experts and self.lora_dropout), "lora_dropout",
                 "must be 0 while lora_experts is on (PEFT cannot apply dropout to the fused expert tensors); "
                 "set lora_dropout=0 or lora_experts=false")
        _require_choice(self, "lr_scheduler", SCHEDULERS)
        _require_choice(self, "optim", OPTIMIZERS)
        _require_choice(self, "precision", PRECISIONS)
        _require_choice(self, "report_to", TRACKERS)
        _require_choice(self, "push_kind", PUSH_KINDS)
        _require(isinstance(self.source_split, str), "source_split", "must be text such as train[:1000], or empty")
        _require(isinstance(self.push_to, str), "push_to", "must be a Hub repo id such as you/my-ocr-lora, or empty")
        _require_choice(self, "strategy", STRATEGIES)
        _require_choice(self, "effective_batch", EFFECTIVE_BATCH)
        if isinstance(self.compile, bool):  # YAML reads a bare on/off as true/false
            self.compile = "on" if self.compile else "off"
        _require_choice(self, "compile", COMPILE)
        _require(isinstance(self.train_modules, (list, tuple)) and all(isinstance(m, str) and m.strip()
                                                                        for m in self.train_modules),
                 "train_modules", "must be a list of module names such as ['lm_head']")
        if isinstance(self.gradient_checkpointing, bool):  # YAML true/false and older configs
            self.gradient_checkpointing = "on" if self.gradient_checkpointing else "off"
        _require_choice(self, "gradient_checkpointing", CHECKPOINTING)
        for name in ("lora_experts", "load_in_4bit", "factored_experts", "fused_lora", "vision_graph", "decoder_graph",
                     "fit_to_memory", "push_private"):
            _require(isinstance(getattr(self, name), bool), name, "must be true or false")
        _require(isinstance(self.device, str) and bool(self.device), "device", "must be auto, cpu or cuda[:N]")
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def replace(self, **changes) -> TrainConfig:
        """A copy with ``changes``; unknown names are a :class:`ConfigError`."""
        _reject_unknown(changes)
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a mapping (a YAML file, the UI); unknown keys are an error, not silently dropped."""
        if not isinstance(values, dict):
            raise ConfigError("a training config must be a mapping of field: value.")
        values = without_retired_settings(values)
        _reject_unknown(values)
        return cls(**values)

    @classmethod
    def from_yaml(cls, path: str | Path) -> TrainConfig:
        return cls.from_dict(read_yaml_settings(path))

    def to_yaml(self, path: str | Path) -> Path:
        import yaml

        path = Path(path)
        path.write_text(yaml.safe_dump(self.as_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8")
        return path


def read_yaml_settings(path: str | Path) -> dict[str, Any]:
    """The settings a YAML file gives (only those it names), checked for unknown keys."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(values, dict):
        raise ConfigError(f"{path} must hold a mapping of field: value.")
    values = without_retired_settings(values)
    _reject_unknown(values)
    return values


#: settings earlier versions wrote into config.yaml: (the values that meant today's behaviour, why it went)
RETIRED_SETTINGS: dict[str, tuple[tuple[Any, ...], str]] = {
    "backend": (("auto", "peft"), "the Unsloth training path was removed: on the H200 it trained 0.70x as fast as "
                "the default path on the same work, after a 129 s compilation (bench/RESULTS.md, 2026-12-02 "
                "session 4); every run trains with transformers + PEFT"),
}


def without_retired_settings(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` without settings this version no longer has, so that a run folder written by an earlier
    version still resumes; a retired setting whose value asked for something that is gone is an error."""
    kept = dict(values)
    for name, (harmless, why) in RETIRED_SETTINGS.items():
        if name in kept and kept.pop(name) not in harmless:
            raise ConfigError(f"{name}: {why}. Remove {name} from the settings.")
    return kept


#: Named starting points. Quick is the reference recipe as is; Thorough trains five times
#: longer with a bigger adapter and a longer warmup, and measures on more test rows.
PRESETS: dict[str, dict[str, Any]] = {
    "quick": {"steps": 60},
    # for GPUs with 40 GB or more: 32 samples per optimizer step keep a big card busy (bench/RESULTS.md)
    "fast": {"steps": 60, "batch_size": 32},
    "thorough": {"steps": 300, "warmup_steps": 20, "lora_r": 32, "lora_alpha": 32, "save_steps": 50,
                 "eval_samples": 200},
}


def preset(name: str, **overrides) -> TrainConfig:
    """A config from a preset (``quick`` or ``thorough``) with ``overrides`` applied.

    >>> preset("thorough", model="m", data="d").steps
    300
    """
    key = (name or "quick").strip().lower()
    if key not in PRESETS:
        raise ConfigError(f"preset must be one of {', '.join(PRESETS)}; got {name!r}.")
    return TrainConfig().replace(**{**PRESETS[key], **overrides})


def _field_names() -> set[str]:
    return {f.name for f in fields(TrainConfig)}


def _reject_unknown(values: dict) -> None:
    unknown = sorted(set(values) - _field_names())
    if unknown:
        raise ConfigError(f"unknown training setting(s): {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(_field_names()))}.")


def _require(ok: bool, name: str, why: str) -> None:
    if not ok:
        raise ConfigError(f"{name}: {why}.")


def _require_int(config: TrainConfig, name: str, minimum: int) -> None:
    value = getattr(config, name)
    _require(isinstance(value, int) and not isinstance(value, bool), name, f"must be a whole number; got {value!r}")
    _require(value >= minimum, name, f"must be at least {minimum}; got {value}")


def _require_choice(config: TrainConfig, name: str, choices: tuple[str, ...]) -> None:
    value = getattr(config, name)
    _require(value in choices, name, f"must be one of {', '.join(choices)}; got {value!r}")
