"""QLoRA preparation keeps the frozen weights in the compute dtype.

bitsandbytes quantizes nn.Linear layers only; in DeepSeek-OCR-2 the routed experts, the embeddings and the LM
head stay unquantized, and PEFT's ``prepare_model_for_kbit_training`` would cast all of them to fp32 (on the
H200 a 4-bit run then reserved more memory than a plain bf16 one). 4-bit loading itself needs CUDA, so this
drives the LoRA step of a ``load_in_4bit`` run on the tiny model loaded in bf16: what bitsandbytes would
have left unquantized must come out of it still in bf16, and only the LoRA weights train, in fp32.
"""

from __future__ import annotations

from types import SimpleNamespace

import torch

from ocr_space.models.loading import load_model
from ocr_space.models.registry import get_family
from ocr_space.train import job
from ocr_space.train.recipe import TrainConfig


def test_four_bit_lora_leaves_frozen_weights_in_the_compute_dtype(tiny_model_dir):
    loaded = load_model(str(tiny_model_dir), device="cpu", dtype="bf16")
    plan = SimpleNamespace(family=get_family("deepseek-ocr-2"),
                           memory=SimpleNamespace(gradient_checkpointing="on"))
    model = job._with_lora(loaded.model, TrainConfig(load_in_4bit=True), plan)

    frozen = {name: p.dtype for name, p in model.named_parameters() if not p.requires_grad}
    trained = {name: p.dtype for name, p in model.named_parameters() if p.requires_grad}
    assert trained and all("lora_" in name for name in trained)
    assert set(trained.values()) == {torch.float32}
    assert any(".experts." in name for name in frozen), "the routed experts are part of the tiny model"
    upcast = [name for name, dtype in frozen.items() if dtype != torch.bfloat16]
    assert not upcast, f"frozen weights cast away from bf16: {upcast[:5]}"
