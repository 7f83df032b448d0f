"""Unsloth's fast path (CUDA only), used when it imports and supports the model; else plain PEFT.

Unsloth patches transformers for faster, leaner LoRA training of vision
models, but it is CUDA-only (its FastVisionModel refuses CPU), pins older
transformers/TRL, and may not know a given model. So it is strictly
optional: :func:`unsloth_support` says whether to try it and why not, the
run records which path ran (``status.json`` ``backend``: ``"unsloth"`` or
``"peft"``, with the reason in ``backend_note``), and a missing or failing
Unsloth never breaks a CPU run.
"""

from __future__ import annotations

import importlib
import logging

from ocr_space.models.family import ModelFamily

log = logging.getLogger("ocr_space.train")

#: families with an Unsloth fine-tuning recipe (its DeepSeek-OCR notebooks)
UNSLOTH_FAMILIES = frozenset({"deepseek-ocr-2"})


def unsloth_support(family: ModelFamily, device: str) -> tuple[bool, str]:
    """(usable, reason): CUDA present, family known to Unsloth, and ``import unsloth`` works.

    >>> from ocr_space.models.registry import get_family
    >>> unsloth_support(get_family("deepseek-ocr-2"), "cpu")
    (False, 'Unsloth needs a CUDA GPU; this run is on cpu')
    """
    if not device.startswith("cuda"):
        return False, f"Unsloth needs a CUDA GPU; this run is on {device}"
    if family.name not in UNSLOTH_FAMILIES:
        return False, f"Unsloth has no recipe for {family.title}"
    try:
        unsloth = importlib.import_module("unsloth")
    except Exception as exc:  # noqa: BLE001 - any import failure (missing, version clash) means "not usable"
        return False, f"import unsloth failed: {type(exc).__name__}: {str(exc)[:200]}"
    if not hasattr(unsloth, "FastVisionModel"):
        return False, "this Unsloth has no FastVisionModel"
    return True, f"unsloth {getattr(unsloth, '__version__', '?')}"


def load_with_unsloth(config, family: ModelFamily, dtype, gradient_checkpointing: str):
    """Base model + LoRA through Unsloth's FastVisionModel; returns the PEFT-wrapped model.

    The processor is loaded the same way as on the PEFT path, so collation is
    identical. ``gradient_checkpointing`` is the run plan's (``on``, ``decoder``
    or ``off``): Unsloth takes it at load time. Unsloth picks the Linear targets itself (its documented
    ``finetune_*`` switches: vision + language, attention + MLP); routed-expert
    LoRA (PEFT ``target_parameters``) exists only on the PEFT path.
    """
    from unsloth import FastVisionModel

    from ocr_space.hub_reads import hub_read_token

    model, _ = FastVisionModel.from_pretrained(
        config.model,
        token=hub_read_token(),
        load_in_4bit=config.load_in_4bit,
        dtype=dtype,
        use_gradient_checkpointing="unsloth" if gradient_checkpointing == "on" else False,
    )
    model = FastVisionModel.get_peft_model(
        model,
        finetune_vision_layers=True,
        finetune_language_layers=True,
        finetune_attention_modules=True,
        finetune_mlp_modules=True,
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        bias="none",
        random_state=config.seed,
        modules_to_save=list(config.train_modules) or None,
    )
    FastVisionModel.for_training(model)
    return model
