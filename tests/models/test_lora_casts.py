"""Under autocast, skipping PEFT's input cast changes no number and removes copies."""

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from ocr_space.models.lora import LoraSettings, adapter_input_casts_skipped, lora_config


class CountCopies(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.copies = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.overloadpacket in (torch.ops.aten._to_copy, torch.ops.aten.copy_):
            self.copies += 1
        return func(*args, **(kwargs or {}))


def test_skipping_input_casts_under_autocast_is_exact_and_copies_less(tiny_model_dir, example_lines):
    from peft import get_peft_model
    from PIL import Image

    from ocr_space.models import load_model
    from ocr_space.train.collators import collator_for

    loaded = load_model(str(tiny_model_dir), device="cpu", dtype="bf16")
    model = get_peft_model(loaded.model, lora_config(loaded.family, LoraSettings(experts=False)))
    for name, param in model.named_parameters():
        if "lora_B" in name:
            param.data.normal_(0, 0.05)
    assert {p.dtype for n, p in model.named_parameters() if p.requires_grad} == {torch.float32}
    batch = collator_for(loaded.family, loaded.processor)([{"image": Image.open(example_lines[0]), "text": "ab"}])

    def step(m):
        m.zero_grad(set_to_none=True)
        counter = CountCopies()
        with torch.autocast("cpu", dtype=torch.bfloat16), counter:
            loss = m(**batch).loss
            loss.backward()
        return loss.detach(), {n: p.grad for n, p in m.named_parameters() if p.grad is not None}, counter.copies

    step(model)  # first-call caches (SAM's position indices, ocr_space.models.sam_rel_pos) out of the counts
    loss_cast, grads_cast, copies_cast = step(model)
    with adapter_input_casts_skipped(model) as layers:
        loss_skip, grads_skip, copies_skip = step(model)
    # outside the block the casts are back: generation without autocast needs them
    assert step(model)[2] == copies_cast
    assert layers > 0
    assert torch.equal(loss_skip, loss_cast)
    assert grads_skip.keys() == grads_cast.keys()
    for name in grads_cast:
        assert torch.equal(grads_skip[name], grads_cast[name]), name
    assert copies_skip <= copies_cast - 2 * layers, (copies_skip, copies_cast, layers)
