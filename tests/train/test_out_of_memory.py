"""One out-of-memory classifier for the package: torch's OOM type and the RuntimeErrors some kernels raise."""

import pytest
import torch

from ocr_space.data.splits import DatasetError
from ocr_space.out_of_memory import is_out_of_memory
from ocr_space.train.memory_fit import MemoryPlan
from ocr_space.train.oom import oom_message
from ocr_space.train.recipe import TrainConfig


@pytest.mark.parametrize("exc", [
    torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
    RuntimeError("CUDA error: out of memory"),
    RuntimeError("[enforce fail at alloc_cpu.cpp] DefaultCPUAllocator: not enough memory: OUT OF MEMORY"),
])
def test_out_of_memory_is_recognised_in_every_form(exc):
    assert is_out_of_memory(exc)


@pytest.mark.parametrize("exc", [
    RuntimeError("CUDA error: device-side assert triggered"),
    ValueError("out of memory"),  # only RuntimeErrors carry it as text
    DatasetError("dataset not found"),
    KeyboardInterrupt(),
])
def test_other_errors_are_not_out_of_memory(exc):
    assert not is_out_of_memory(exc)


def test_the_ui_shows_its_gpu_hint_for_either_form():
    from ocr_space.ui.errors import user_message

    for exc in (torch.cuda.OutOfMemoryError("CUDA out of memory"), RuntimeError("CUDA error: out of memory")):
        assert user_message(exc).startswith("The GPU ran out of memory.")


def test_the_training_oom_message_names_the_plans_memory_settings_once_decided():
    config = TrainConfig(model="m", data="d", batch_size=8, grad_accum=1)
    before = oom_message(config, "small")
    after = oom_message(config, "small", MemoryPlan(2, 4, "on"))
    assert "batch_size (now 8; raise grad_accum, now 1" in before
    assert "gradient_checkpointing to on (now auto)" in before
    assert "batch_size (now 2; raise grad_accum, now 4" in after and "gradient_checkpointing" not in after
