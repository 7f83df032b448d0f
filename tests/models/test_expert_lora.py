"""Factored expert LoRA: the same numbers as PEFT's rebuilt weights, without the rebuild."""

import pytest
import torch

from ocr_space.models import load_model
from ocr_space.models.expert_lora import FACTORED_EXPERTS, use_factored_expert_lora
from ocr_space.models.lora import LoraSettings, lora_config
from ocr_space.testing import loss_and_gradients


def _peft_model(model_dir, family="deepseek-ocr-2", seed=0):
    from peft import get_peft_model

    loaded = load_model(str(model_dir), device="cpu", dtype="fp32")
    model = get_peft_model(loaded.model, lora_config(loaded.family, LoraSettings(r=16, alpha=32)))
    torch.manual_seed(seed)
    for name, param in model.named_parameters():
        if "lora_B" in name:  # B starts at zero: give it values so the adapter changes the output
            param.data.normal_(0, 0.05)
    return model, loaded


def _inputs(loaded, image):
    from ocr_space.train.collators import collator_for

    mode = loaded.family.training_mode or loaded.family.default_mode
    collate = collator_for(loaded.family, loaded.processor, mode=mode)
    return collate([{"image": image, "text": "abc 123"}, {"image": image, "text": "x"}])


@pytest.fixture
def adapted(tiny_model_dir, example_lines):
    """(PEFT model with non-zero expert LoRA, one training batch) on the tiny DeepSeek-OCR-2."""
    from PIL import Image

    model, loaded = _peft_model(tiny_model_dir)
    return model, _inputs(loaded, Image.open(example_lines[0]))


@pytest.mark.parametrize("family_fixture", ["tiny_model_dir", "tiny_v1_dir"])
def test_factored_experts_match_peft_outputs_and_gradients(request, family_fixture, example_lines):
    from PIL import Image

    model, loaded = _peft_model(request.getfixturevalue(family_fixture))
    batch = _inputs(loaded, Image.open(example_lines[0]))

    assert model.get_base_model().config._experts_implementation == "grouped_mm"
    logits_peft, loss_peft, grads_peft = loss_and_gradients(model, batch)
    assert use_factored_expert_lora(model)
    assert model.get_base_model().config._experts_implementation == FACTORED_EXPERTS
    logits_ours, loss_ours, grads_ours = loss_and_gradients(model, batch)

    expert_grads = [name for name in grads_peft if "experts" in name and "shared" not in name]
    assert expert_grads, "the routed experts should carry LoRA weights"
    torch.testing.assert_close(logits_ours, logits_peft, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(loss_ours, loss_peft, rtol=1e-5, atol=1e-6)
    assert grads_ours.keys() == grads_peft.keys()
    for name in grads_peft:
        torch.testing.assert_close(grads_ours[name], grads_peft[name], rtol=1e-4, atol=1e-6, msg=name)


def test_factored_experts_never_rebuild_the_expert_weights(adapted, monkeypatch):
    """The point of the change: PEFT's W + s*lhs@rhs rebuild must not run during a factored forward."""
    from peft.tuners.lora import layer

    model, batch = adapted
    rebuilds = []
    original = layer._LoraFactorsProxy.forward
    monkeypatch.setattr(layer._LoraFactorsProxy, "forward", lambda self, W: rebuilds.append(1) or original(self, W))

    model(**batch)
    assert rebuilds, "PEFT's own path rebuilds the expert weights (otherwise this test proves nothing)"
    rebuilds.clear()
    use_factored_expert_lora(model)
    model(**batch)
    assert rebuilds == []


def test_merged_or_disabled_adapters_use_the_plain_weights(adapted):
    model, batch = adapted
    use_factored_expert_lora(model)
    with torch.no_grad():
        with_adapter = model(**batch).logits
        with model.disable_adapter():
            disabled = model(**batch).logits
        merged = model.merge_and_unload()
        merged_logits = merged(**batch).logits
    assert not torch.allclose(with_adapter, disabled, atol=1e-4), "the adapter should change the output"
    torch.testing.assert_close(merged_logits, with_adapter, rtol=1e-4, atol=1e-5)


def test_models_without_grouped_mm_are_left_alone(tiny_model_dir):
    loaded = load_model(str(tiny_model_dir), device="cpu", dtype="fp32")
    loaded.model.set_experts_implementation("eager")
    assert not use_factored_expert_lora(loaded.model)
    assert loaded.model.config._experts_implementation == "eager"


def test_generation_caches_the_factors_and_notices_changed_weights(adapted):
    model, batch = adapted
    use_factored_expert_lora(model)
    with torch.no_grad():
        first = model(**batch).logits
        again = model(**batch).logits  # served from the cache
        for name, param in model.named_parameters():
            if "experts" in name and "lora_B" in name and "shared" not in name:
                param.add_(0.1)  # an in-place update (an optimizer step) must invalidate the cache
        changed = model(**batch).logits
    torch.testing.assert_close(again, first)
    assert not torch.allclose(changed, first, atol=1e-4)
    model.get_base_model().set_experts_implementation("grouped_mm")  # PEFT's own path on the new weights
    with torch.no_grad():
        torch.testing.assert_close(model(**batch).logits, changed, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("native", [True, False], ids=["grouped-mm", "fallback"])
def test_frozen_expert_weights_get_no_gradient_computed(adapted, monkeypatch, native):
    """Under transformers' grouped-matmul fallback (a T4's path, forced here) the base experts' backward
    computes the inputs' gradient only, and every gradient equals the plain path's; the native kernel's path
    is left as it was."""
    import transformers.integrations.moe as moe

    import ocr_space.models.expert_lora as expert_lora

    model, batch = adapted
    if not native:
        monkeypatch.setattr(moe, "_can_use_grouped_mm", lambda *args: False)
    assert use_factored_expert_lora(model)
    frozen_calls = []
    real_apply = expert_lora._FrozenGroupedLinear.apply
    monkeypatch.setattr(expert_lora._FrozenGroupedLinear, "apply",
                        lambda *args: frozen_calls.append(1) or real_apply(*args))
    _, loss_frozen, grads_frozen = loss_and_gradients(model, batch)
    assert bool(frozen_calls) is not native  # only the fallback takes it
    monkeypatch.setattr(expert_lora._FrozenGroupedLinear, "apply",
                        lambda inputs, weight, offsets, transposed: moe._grouped_linear(
                            inputs, weight, offsets, is_transposed=transposed))
    _, loss_plain, grads_plain = loss_and_gradients(model, batch)
    assert torch.equal(loss_frozen, loss_plain)
    assert grads_frozen.keys() == grads_plain.keys()
    for name in grads_plain:
        torch.testing.assert_close(grads_frozen[name], grads_plain[name], rtol=1e-5, atol=1e-6, msg=name)
