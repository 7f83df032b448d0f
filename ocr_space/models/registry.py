"""The model families ocr-space knows, and how to tell which one a checkpoint is.

A family bundles what differs between OCR model generations: how to build
its full-size and tiny configs, its prompt, its resolution modes and its LoRA
targets. Everything else (loading, recognition, training, evaluation) is
written once against this interface. Adding a generation = one module that
calls :func:`register`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ocr_space.errors import ModelLoadError


@dataclass(frozen=True)
class ResolutionMode:
    """A named way of turning an image into vision tokens.

    ``processor_kwargs`` are passed to the processor call; ``description`` is
    shown to users who pick a mode.
    """

    name: str
    description: str
    processor_kwargs: Callable[[Any], dict]  # processor -> kwargs


@dataclass(frozen=True)
class ModelFamily:
    name: str
    title: str
    default_repo: str
    model_types: tuple[str, ...]
    #: builds the published full-size config (used on the meta device for sizes and benchmarks)
    full_config: Callable[[], Any]
    #: (vocab_size, special token ids) -> tiny config of the same architecture
    tiny_config: Callable[..., Any]
    #: tokenizer -> processor configured for the tiny config
    tiny_processor: Callable[[Any], Any]
    #: regex over module names for Linear LoRA targets (the reference recipe's q/k/v/o/gate/up/down)
    lora_linear_pattern: str
    #: fused 3-D expert parameters that get per-expert LoRA through PEFT's target_parameters
    lora_expert_parameters: tuple[str, ...]
    resolution_modes: dict[str, ResolutionMode] = field(default_factory=dict)
    default_mode: str = ""
    #: the mode fine-tuning uses unless told otherwise (text lines need no tiles; tiles multiply the tokens)
    training_mode: str = ""
    ocr_prompt: str = "<image>\nFree OCR."
    #: optional hook: (checkpoint folder, config dict) -> folder in the native layout
    prepare_checkpoint: Callable[[Path, dict], Path] | None = None
    #: optional finer test for a model_type that other models share: config dict -> True if it is
    #: this family's; may raise ModelLoadError to explain a near miss (a sibling model we do not support)
    claims_config: Callable[[dict], bool] | None = None

    def mode(self, name: str | None) -> ResolutionMode:
        name = name or self.default_mode
        if name not in self.resolution_modes:
            raise ModelLoadError(
                f"Unknown resolution mode {name!r} for {self.title}; choose one of {', '.join(self.resolution_modes)}."
            )
        return self.resolution_modes[name]


_FAMILIES: dict[str, ModelFamily] = {}
DEFAULT_FAMILY = "deepseek-ocr-2"


def register(family: ModelFamily) -> ModelFamily:
    _FAMILIES[family.name] = family
    return family


def _ensure_loaded() -> None:
    # Family modules register themselves on import; importing here keeps the
    # registry complete however ocr_space.models is entered.
    from ocr_space.models import deepseek_ocr2  # noqa: F401
    from ocr_space.models import deepseek_ocr  # noqa: F401


def families() -> dict[str, ModelFamily]:
    _ensure_loaded()
    return dict(_FAMILIES)


def get_family(name: str) -> ModelFamily:
    _ensure_loaded()
    try:
        return _FAMILIES[name]
    except KeyError:
        raise ModelLoadError(f"Unknown model family {name!r}; known: {', '.join(_FAMILIES)}.") from None


def family_for_config(config: dict) -> ModelFamily:
    """Find the family from a checkpoint's config.json contents (model_type, then architectures)."""
    _ensure_loaded()
    model_type = config.get("model_type", "")
    architectures = set(config.get("architectures") or [])
    for family in _FAMILIES.values():
        if model_type in family.model_types or architectures & set(family.model_types):
            if family.claims_config is None or family.claims_config(config):
                return family
    raise ModelLoadError(
        f"This checkpoint's model_type {model_type!r} is not a supported OCR family; "
        f"supported: {', '.join(f.title for f in _FAMILIES.values())}."
    )
