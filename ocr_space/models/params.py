"""Parameter counts of the full-size architectures, on the meta device.

Building on ``meta`` allocates nothing and downloads nothing, so anyone can
check our configs against the published sizes in a second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ocr_space.models.lora import LoraSettings, count_parameters, lora_config
from ocr_space.models.registry import get_family


@dataclass(frozen=True)
class ParamCount:
    arch: str
    params: int
    lora_params: int
    lora_r: int
    lora_experts: bool

    def as_dict(self) -> dict:
        return asdict(self)


def count_architecture(arch: str, lora_r: int = 16, experts: bool = True) -> ParamCount:
    """Count the published architecture and the LoRA parameters PEFT would add at rank ``lora_r``.

    >>> count_architecture("deepseek-ocr-2").params
    3389119360
    """
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForImageTextToText

    family = get_family(arch)
    with torch.device("meta"):
        model = AutoModelForImageTextToText.from_config(family.full_config())
        params, _ = count_parameters(model)
        peft_model = get_peft_model(model, lora_config(family, LoraSettings(r=lora_r, alpha=lora_r, experts=experts)))
        _, lora_params = count_parameters(peft_model)
    return ParamCount(arch=arch, params=params, lora_params=lora_params, lora_r=lora_r, lora_experts=experts)
