"""The experts' kernel picked by routed rows: the same numbers as transformers' kernels, the right one picked."""

from __future__ import annotations

import pytest
import torch

from ocr_space.models import load_model
from ocr_space.models.sized_experts import SIZED_EXPERTS, use_sized_experts


def _experts(model):
    return next(m for m in model.modules() if hasattr(m, "gate_up_proj") and hasattr(m, "num_experts"))


@pytest.fixture
def loaded(tiny_model_dir):
    return load_model(str(tiny_model_dir), device="cpu", dtype="fp32")


@pytest.mark.parametrize("tokens", [1, 3, 40])
def test_each_size_takes_its_kernel_and_gets_the_grouped_result(loaded, tokens, monkeypatch):
    import transformers.integrations.moe as moe

    experts = _experts(loaded.model)
    torch.manual_seed(tokens)
    hidden = torch.randn(tokens, experts.gate_up_proj.shape[-1])
    top_k = 2
    scores = torch.randn(tokens, experts.num_experts).softmax(-1)
    weights, index = scores.topk(top_k, dim=-1)
    expected = moe.grouped_mm_experts_forward(experts, hidden, index, weights)

    assert use_sized_experts(loaded.model, batched_max_rows=8)
    assert loaded.model.get_experts_implementation()["text_config"] == SIZED_EXPERTS
    picked = []
    for name in ("batched_mm_experts_forward", "grouped_mm_experts_forward"):
        original = getattr(moe, name)
        monkeypatch.setattr(moe, name, lambda *args, _name=name, _run=original: picked.append(_name) or _run(*args))
    output = experts(hidden, index, weights)
    assert picked == ["batched_mm_experts_forward" if tokens * top_k <= 8 else "grouped_mm_experts_forward"]
    torch.testing.assert_close(output, expected)


def test_greedy_generation_reads_the_same_tokens(loaded, example_lines, monkeypatch):
    from ocr_space.recognize import recognize_batch

    monkeypatch.setattr(loaded.model.generation_config, "min_new_tokens", 10)  # random weights: no early EOS
    today = recognize_batch(loaded, example_lines[:3], max_new_tokens=10, batch_size=3, mode="small")
    for limit in (0, 16):  # always grouped; batched for the one-token steps (3 x 2 rows) and grouped for the prefill
        use_sized_experts(loaded.model, batched_max_rows=limit)
        sized = recognize_batch(loaded, example_lines[:3], max_new_tokens=10, batch_size=3, mode="small")
        assert [r.text for r in sized] == [r.text for r in today]


def test_lora_on_the_experts_still_takes_its_factored_path(loaded):
    from peft import get_peft_model

    from ocr_space.models.expert_lora import FACTORED_EXPERTS, use_factored_expert_lora
    from ocr_space.models.lora import LoraSettings, lora_config

    assert use_sized_experts(loaded.model)
    model = get_peft_model(loaded.model, lora_config(loaded.family, LoraSettings(r=4, alpha=8)))
    assert use_factored_expert_lora(model)
    assert model.get_base_model().config._experts_implementation == FACTORED_EXPERTS
    assert not use_sized_experts(model)  # the factored path is grouped already: left alone


def test_models_without_grouped_matmuls_are_left_alone(tiny_model_dir):
    loaded = load_model(str(tiny_model_dir), device="cpu", dtype="fp32")
    loaded.model.set_experts_implementation("eager")
    assert not use_sized_experts(loaded.model)
    assert set(loaded.model.get_experts_implementation().values()) == {"eager"}
