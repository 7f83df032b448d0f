"""The routed experts in an (experts x capacity) block: the grouped matmul's numbers without its host loop."""

from __future__ import annotations

import pytest
import torch

import ocr_space.models.expert_lora as expert_lora
from ocr_space.models.padded_experts import (
    CAPACITY_STEP,
    ENV_SWITCH,
    MAX_PADDING,
    PaddedRows,
    grouped_experts_native,
    padded_grouped_linear,
    padded_layout_switched_on,
    pads_where_grouped_mm_loops,
)
from ocr_space.testing import loss_and_gradients

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="the padded layout replaces a CUDA host loop")


def _sorted_ids(counts: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Expert ids sorted (as the experts forward sorts them) for the given rows per expert, and the counts."""
    ids = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    return ids, torch.tensor(counts, dtype=torch.float32)  # histc's dtype on CPU


def test_each_row_sits_in_its_experts_block_and_comes_back():
    counts = [13, 0, 15, 11, 9, 12]
    ids, per_expert = _sorted_ids(counts)
    rows = torch.randn(ids.numel(), 4)
    padded = PaddedRows.plan(ids, per_expert)
    assert padded is not None
    assert padded.capacity % CAPACITY_STEP == 0 and padded.capacity >= max(counts)
    block = padded.pad(rows)
    assert block.shape == (len(counts), padded.capacity, 4)
    start = 0
    for expert, count in enumerate(counts):
        assert torch.equal(block[expert, :count], rows[start:start + count])
        assert not block[expert, count:].any()  # padding is zeros
        start += count
    assert torch.equal(padded.unpad(block), rows)


def test_uneven_routing_and_a_few_rows_keep_the_host_loop():
    assert PaddedRows.plan(*_sorted_ids([40] + [1] * 63)) is None  # one expert takes most rows
    assert PaddedRows.plan(*_sorted_ids([1] * 6 + [0] * 58)) is None  # one decode step: 6 rows over 64 experts
    even = PaddedRows.plan(*_sorted_ids([16] * 64))
    assert even is not None and even.capacity == 16
    rows = 64 * 16
    assert 64 * even.capacity <= MAX_PADDING * rows


@pytest.mark.parametrize("is_transposed", [False, True], ids=["(experts, out, in)", "(experts, in, out)"])
def test_the_batched_matmul_is_each_experts_own_matmul(is_transposed):
    counts = [2, 0, 7, 4]
    ids, per_expert = _sorted_ids(counts)
    rows = torch.randn(ids.numel(), 5, requires_grad=True)
    weight = torch.randn(4, 5, 3) if is_transposed else torch.randn(4, 3, 5)
    padded = PaddedRows.plan(ids, per_expert)

    out = padded_grouped_linear(rows, weight, padded, is_transposed)
    expected = torch.cat([rows[ids == e] @ (weight[e] if is_transposed else weight[e].T) for e in range(4)])
    torch.testing.assert_close(out, expected)
    (grad_padded,) = torch.autograd.grad(out.square().sum(), rows)
    (grad_loop,) = torch.autograd.grad(expected.square().sum(), rows)
    torch.testing.assert_close(grad_padded, grad_loop)

    weight.requires_grad_(True)  # a LoRA factor: its gradient too, from the routed rows kept for the backward
    grads_padded = torch.autograd.grad(padded_grouped_linear(rows, weight, padded, is_transposed).square().sum(),
                                       (rows, weight))
    expected = torch.cat([rows[ids == e] @ (weight[e] if is_transposed else weight[e].T) for e in range(4)])
    grads_loop = torch.autograd.grad(expected.square().sum(), (rows, weight))
    for padded_grad, loop_grad in zip(grads_padded, grads_loop, strict=True):
        torch.testing.assert_close(padded_grad, loop_grad)


def test_the_backward_keeps_the_routed_rows_not_a_padded_block():
    ids, per_expert = _sorted_ids([5, 0, 1, 6])
    padded = PaddedRows.plan(ids, per_expert)
    rows = torch.randn(ids.numel(), 3, requires_grad=True)
    frozen, factor = torch.randn(4, 2, 3), torch.randn(4, 3, 2, requires_grad=True)
    sizes = []

    def pack(tensor):
        sizes.append(tuple(tensor.shape))
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        padded_grouped_linear(rows, frozen, padded, False)
        padded_grouped_linear(rows, factor, padded, True)
    assert sizes == [(4, 2, 3), (12, 3), (4, 3, 2)]  # the frozen weight alone; the rows and the factor


def test_the_layout_replaces_the_loop_only_where_grouped_matmul_loops(monkeypatch):
    assert not pads_where_grouped_mm_loops(torch.device("cpu"), torch.float16)  # torch has a CPU kernel
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))  # an H200
    assert grouped_experts_native("cuda", torch.bfloat16)
    assert not pads_where_grouped_mm_loops(torch.device("cuda"), torch.bfloat16)
    assert pads_where_grouped_mm_loops(torch.device("cuda"), torch.float16)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 5))  # a T4
    assert pads_where_grouped_mm_loops(torch.device("cuda"), torch.bfloat16)
    assert pads_where_grouped_mm_loops(torch.device("cuda"), torch.float16)


@pytest.mark.parametrize("value,on", [("", True), ("1", True), ("0", False), ("off", False), ("No", False)])
def test_the_switch(monkeypatch, value, on):
    monkeypatch.setenv(ENV_SWITCH, value)
    assert padded_layout_switched_on() is on


# ------------------------------------------------------------------ the experts forward on a tiny model

@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    """The module's own tiny DeepSeek-OCR-2, so the GPU run needs no conftest."""
    from ocr_space.testing import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-ocr2-padded"))


def _adapted(tiny_dir, device: str, dtype: str):
    """A PEFT model with a non-zero LoRA on the routed experts (factored), and one training batch."""
    from pathlib import Path

    from peft import get_peft_model
    from PIL import Image

    from ocr_space.models import load_model
    from ocr_space.models.lora import LoraSettings, lora_config
    from ocr_space.train.collators import collator_for

    loaded = load_model(str(tiny_dir), device=device, dtype=dtype)
    model = get_peft_model(loaded.model, lora_config(loaded.family, LoraSettings(r=16, alpha=32)))
    torch.manual_seed(0)
    for name, param in model.named_parameters():
        if "lora_B" in name:  # B starts at zero: give it values so the adapter changes the output
            param.data.normal_(0, 0.05)
    assert expert_lora.use_factored_expert_lora(model)
    image = Image.open(sorted((Path(__file__).resolve().parents[2] / "examples" / "lines").glob("*.png"))[0])
    collate = collator_for(loaded.family, loaded.processor, mode=loaded.family.training_mode)
    batch = collate([{"image": image, "text": "abc 123"}, {"image": image, "text": "x"}])
    batch = {key: value.to(device) for key, value in batch.items()}
    batch["pixel_values"] = batch["pixel_values"].to(loaded.dtype)
    return model, batch


@pytest.fixture
def padded_calls(monkeypatch):
    """Records each MoE layer that took the padded layout."""
    calls = []
    real_pad = PaddedRows.pad
    monkeypatch.setattr(PaddedRows, "pad", lambda self, rows: calls.append(self.capacity) or real_pad(self, rows))
    return calls


def test_padded_experts_train_with_the_grouped_numbers(tiny_dir, padded_calls, monkeypatch):
    model, batch = _adapted(tiny_dir, "cpu", "fp32")
    logits, loss, grads = loss_and_gradients(model, batch)  # CPU: torch's grouped matmul
    assert not padded_calls

    monkeypatch.setattr(expert_lora, "pads_where_grouped_mm_loops", lambda device, dtype: True)  # a T4, forced
    logits_padded, loss_padded, grads_padded = loss_and_gradients(model, batch)
    assert padded_calls, "every MoE layer should have taken the padded layout"
    torch.testing.assert_close(logits_padded, logits, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(loss_padded, loss, rtol=1e-6, atol=1e-6)
    expert_factors = [name for name in grads if "experts" in name and "shared" not in name]
    assert expert_factors and grads_padded.keys() == grads.keys()
    for name in grads:
        torch.testing.assert_close(grads_padded[name], grads[name], rtol=1e-5, atol=1e-6, msg=name)


def test_the_switch_keeps_the_host_loop(tiny_dir, padded_calls, monkeypatch):
    monkeypatch.setattr(expert_lora, "pads_where_grouped_mm_loops", lambda device, dtype: True)
    monkeypatch.setenv(ENV_SWITCH, "0")
    model, batch = _adapted(tiny_dir, "cpu", "fp32")  # the switch is read when the experts are set up
    loss_and_gradients(model, batch)
    assert not padded_calls


@cuda
def test_fp16_on_the_gpu_takes_the_padded_layout_with_the_loops_numbers(tiny_dir, padded_calls, monkeypatch):
    """On the GPU in fp16 the layout is chosen by itself and agrees with the host loop it replaces."""
    model, batch = _adapted(tiny_dir, "cuda", "fp16")
    with torch.autocast("cuda", dtype=torch.float16):
        logits, loss, grads = loss_and_gradients(model, batch)
    assert padded_calls
    for module in model.modules():
        if hasattr(module, expert_lora._PADDED):
            setattr(module, expert_lora._PADDED, False)  # what OCR_SPACE_PADDED_EXPERTS=0 sets up
    padded_calls.clear()
    with torch.autocast("cuda", dtype=torch.float16):
        logits_loop, loss_loop, grads_loop = loss_and_gradients(model, batch)
    assert not padded_calls
    torch.testing.assert_close(logits, logits_loop, rtol=2e-2, atol=2e-2)
    torch.testing.assert_close(loss, loss_loop, rtol=1e-2, atol=1e-2)
    for name in grads_loop:
        torch.testing.assert_close(grads[name].float(), grads_loop[name].float(), rtol=5e-2, atol=5e-3, msg=name)


@cuda
def test_bf16_on_a_native_gpu_keeps_the_grouped_kernel(tiny_dir, padded_calls):
    if not grouped_experts_native("cuda", torch.bfloat16):
        pytest.skip("this GPU has no native bf16 grouped matmul")
    model, batch = _adapted(tiny_dir, "cuda", "bf16")
    loss_and_gradients(model, batch)
    assert not padded_calls
