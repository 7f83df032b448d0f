import pytest
import torch

from ocr_space.errors import ConfigError
from ocr_space.models import devices


def test_cpu_gets_fp32():
    assert devices.pick_dtype("cpu") == torch.float32


def test_t4_gets_fp16_even_when_torch_claims_bf16(monkeypatch):
    monkeypatch.setattr(devices, "cuda_capability", lambda device: (7, 5))
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert devices.pick_dtype("cuda") == torch.float16


def test_ampere_and_newer_get_bf16(monkeypatch):
    monkeypatch.setattr(devices, "cuda_capability", lambda device: (8, 0))
    assert devices.pick_dtype("cuda") == torch.bfloat16


def test_explicit_dtype_wins():
    assert devices.pick_dtype("cpu", "bf16") == torch.bfloat16


def test_unknown_dtype_names_the_choices():
    with pytest.raises(ConfigError, match="float8"):
        devices.pick_dtype("cpu", "float8")


def test_cuda_without_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        devices.pick_device("cuda")
    assert devices.pick_device("auto") == "cpu"
