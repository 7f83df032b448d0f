"""The fused LoRA Linear: the same gradients as its formula, and PEFT's training numbers on the tiny model."""

from __future__ import annotations

import pytest
import torch
from peft import LoraConfig, get_peft_model

from ocr_space.models.fused_lora import LoraLinearFunction, fused_lora_linears
from ocr_space.train import RunDir, TrainConfig, train


def test_the_function_has_the_gradients_of_its_formula():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, dtype=torch.float64, requires_grad=True)
    weight, bias = torch.randn(4, 5, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    lora_a = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
    lora_b = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, a, b: LoraLinearFunction.apply(x, weight, bias, a, b, 0.5, None), (x, lora_a, lora_b))
    fused = LoraLinearFunction.apply(x, weight, bias, lora_a, lora_b, 0.5, None)
    assert torch.allclose(fused, x @ weight.t() + bias + 0.5 * (x @ lora_a.t()) @ lora_b.t())


def _tiny_lora(seed: int = 0, dropout: float = 0.0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["0", "2"], lora_dropout=dropout))
    for name, param in model.named_parameters():
        if "lora_B" in name:
            param.data.normal_(0, 0.1)
    return model


def test_outputs_and_adapter_gradients_match_peft_under_bf16_autocast():
    x = torch.randn(6, 8)
    results = []
    for fused in (False, True):
        model = _tiny_lora()
        with torch.autocast("cpu", dtype=torch.bfloat16), (fused_lora_linears(model) if fused else _nothing()):
            out = model(x)
        out.float().square().sum().backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
        assert all(g.dtype == torch.float32 for g in grads.values())  # fp32 masters get fp32 gradients
        results.append((out.float(), grads))
    (out_peft, grads_peft), (out_fused, grads_fused) = results
    assert torch.allclose(out_fused, out_peft, rtol=2e-2, atol=2e-2)
    for name, grad in grads_peft.items():
        assert torch.allclose(grads_fused[name], grad, rtol=5e-2, atol=5e-2), name


def test_layers_it_cannot_fuse_keep_peft_and_the_block_restores_every_layer():
    model = _tiny_lora(dropout=0.1)  # dropout: PEFT's own forward
    x = torch.randn(4, 8)
    model.eval()
    expected = model(x)
    with fused_lora_linears(model) as count:
        assert count == 2
        assert torch.equal(model(x), expected)
    assert all("forward" not in vars(module) for module in model.modules())


def _nothing():
    from contextlib import nullcontext

    return nullcontext()


def _losses(model_dir, data_dir, out, fused: bool) -> list[float]:
    config = TrainConfig(model=str(model_dir), data=str(data_dir), out=str(out), steps=3, batch_size=2,
                         grad_accum=1, warmup_steps=0, save_steps=50, eval_samples=0, gradient_checkpointing="off",
                         fused_lora=fused)
    train(config)
    return [event["loss"] for event in RunDir(out).read_events()]


def test_fused_layers_train_the_same_loss_curve(reader_model_dir, small_dataset, tmp_path, monkeypatch):
    calls = []
    original = LoraLinearFunction.apply
    monkeypatch.setattr(LoraLinearFunction, "apply", lambda *args: calls.append(1) or original(*args))
    peft_losses = _losses(reader_model_dir, small_dataset, tmp_path / "peft", fused=False)
    assert not calls
    fused_losses = _losses(reader_model_dir, small_dataset, tmp_path / "fused", fused=True)
    assert len(calls) >= 3 * 10, "the adapted layers ran fused in every step"
    assert len(peft_losses) == len(fused_losses) == 3
    assert fused_losses == pytest.approx(peft_losses, rel=1e-5, abs=1e-6)
