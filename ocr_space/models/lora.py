"""LoRA targets and the PEFT config built from them.

The reference recipe (Unsloth) adapts q/k/v/o/gate/up/down. In transformers
5.x the routed MoE experts are fused 3-D tensors, not Linear layers, so a
plain ``target_modules=["q_proj", ...]`` misses every routed expert (and a bare
name list also catches vision layers nobody meant to adapt). We therefore
name Linear targets with an explicit regex per family and reach the experts
through PEFT's ``target_parameters``, which gives each expert its own rank-r
pair on the fused gate_up tensor and on down.
"""

from __future__ import annotations

from dataclasses import dataclass

from ocr_space.models.registry import ModelFamily


@dataclass(frozen=True)
class LoraSettings:
    r: int = 16
    alpha: int = 16
    dropout: float = 0.0
    #: adapt the routed experts too (the reference's reach); PEFT requires dropout 0 there
    experts: bool = True


def lora_config(family: ModelFamily, settings: LoraSettings = LoraSettings()):
    """A PEFT ``LoraConfig`` with the family's reference targets.

    >>> from ocr_space.models.registry import get_family
    >>> lora_config(get_family("deepseek-ocr-2")).r
    16
    """
    from peft import LoraConfig

    target_parameters = list(family.lora_expert_parameters) if settings.experts else None
    if target_parameters and settings.dropout:
        from ocr_space.errors import ConfigError

        raise ConfigError("lora dropout must be 0 when routed experts are adapted (PEFT's limitation); "
                          "set dropout=0 or experts=False.")
    return LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=family.lora_linear_pattern,
        target_parameters=target_parameters,
        bias="none",
    )


def count_parameters(model) -> tuple[int, int]:
    """(all parameters, trainable parameters), counted without touching data (meta-safe)."""
    total = trainable = 0
    for param in model.parameters():
        total += param.numel()
        if param.requires_grad:
            trainable += param.numel()
    return total, trainable
