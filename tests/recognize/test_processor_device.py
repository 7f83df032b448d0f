"""Image preparation moves to the GPU only where the torchvision image processor can take it there."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
from transformers.image_processing_backends import PilBackend, TorchvisionBackend

from ocr_space.recognize import processor_device_kwargs


class _TorchvisionProcessor(TorchvisionBackend):
    pass


class _PilProcessor(PilBackend):
    pass


@pytest.mark.parametrize(("backend", "device", "expected"), [
    (_TorchvisionProcessor, "cuda", {"device": "cuda"}),
    (_TorchvisionProcessor, "cuda:1", {"device": "cuda:1"}),
    (_TorchvisionProcessor, "cpu", {}),
    (_PilProcessor, "cuda", {}),
])
def test_processor_runs_on_the_gpu_only_with_torchvision(tiny_loaded, backend, device, expected):
    processor = SimpleNamespace(image_processor=object.__new__(backend))  # no __init__: torchvision may be absent
    loaded = dataclasses.replace(tiny_loaded, processor=processor, device=device)
    assert processor_device_kwargs(loaded) == expected


def test_the_tiny_model_on_cpu_prepares_images_as_before(tiny_loaded):
    assert processor_device_kwargs(tiny_loaded) == {}
