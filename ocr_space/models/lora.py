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

from contextlib import contextmanager
from dataclasses import dataclass

from ocr_space.models.family import ModelFamily


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


@contextmanager
def adapter_input_casts_skipped(model):
    """While inside, PEFT does not cast each adapted layer's input to the adapter dtype; for autocast training.

    PEFT keeps adapters in fp32 on a bf16/fp16 model and casts each input to
    fp32 before the adapter's matmul; autocast then casts it straight back to
    bf16 for that matmul. Under autocast that is two activation-sized copies
    per adapted layer per forward (and their backward) that change no number;
    at full size 252 adapted Linear layers make it ~1,000 extra kernel launches
    per step. Without autocast the cast is needed (fp32 adapter, bf16 input),
    so generation after training gets it back when the block ends.
    """
    from peft.tuners.lora import LoraLayer

    layers = [module for module in model.modules() if isinstance(module, LoraLayer)]
    before = [getattr(layer, "cast_input_dtype_enabled", True) for layer in layers]
    for layer in layers:
        layer.cast_input_dtype_enabled = False
    try:
        yield len(layers)
    finally:
        for layer, enabled in zip(layers, before, strict=True):
            layer.cast_input_dtype_enabled = enabled
