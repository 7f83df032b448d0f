"""The types every model family fills in: :class:`ModelFamily` and its :class:`ResolutionMode`.

A family bundles what differs between OCR model generations: how to build
its full-size and tiny configs, its prompt, its resolution modes and its LoRA
targets. Everything else (loading, recognition, training, evaluation) is
written once against this interface. A family lives in its own folder
(``models/deepseek_ocr2/``, ``models/deepseek_ocr_v1/``) whose ``family.py``
builds one ``ModelFamily``; :mod:`ocr_space.models.registry` lists them. This
module is the bottom of ``models/``: it imports nothing of the families or the
registry, so both can import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocr_space.errors import ModelLoadError

#: The plain-OCR prompt of every DeepSeek-OCR generation (the model authors' "Free OCR" preset), which
#: fine-tuning trains on; :data:`ocr_space.recognize.PROMPTS` offers it as "ocr".
FREE_OCR_PROMPT = "<image>\nFree OCR."


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
    ocr_prompt: str = FREE_OCR_PROMPT
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

    def claims(self, config: dict) -> bool:
        """True when a checkpoint's config.json contents (model_type, then architectures) are this family's."""
        model_types = set(self.model_types)
        if config.get("model_type", "") in model_types or set(config.get("architectures") or []) & model_types:
            return self.claims_config is None or self.claims_config(config)
        return False
