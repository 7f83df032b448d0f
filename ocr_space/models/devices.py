"""Choose the device and dtype a model runs in.

bf16 only where the GPU really has it (compute capability >= 8). On a T4
(capability 7.5) `torch.cuda.is_bf16_supported()` can answer True because
bf16 is emulated, and emulated bf16 is slow, so we decide by capability and
use fp16 there. CPUs get fp32: CPU fp16 matmuls are slow or missing.
"""

from __future__ import annotations

import torch

from ocr_space.errors import ConfigError

DTYPES = {"float32": torch.float32, "fp32": torch.float32, "float16": torch.float16, "fp16": torch.float16,
          "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}


def pick_device(requested: str | None = "auto") -> str:
    """`"auto"` -> `"cuda"` when a GPU is visible, else `"cpu"`; anything else is checked and returned."""
    if requested in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device={requested!r} was asked for, but no CUDA GPU is visible; use device='cpu'.")
    return requested


def cuda_capability(device: str = "cuda") -> tuple[int, int] | None:
    if not device.startswith("cuda") or not torch.cuda.is_available():
        return None
    return torch.cuda.get_device_capability(torch.device(device))


def pick_dtype(device: str, requested: str | torch.dtype | None = "auto") -> torch.dtype:
    """The dtype rule: explicit wins; auto = bf16 on capability >= 8, fp16 on older GPUs, fp32 on CPU.

    >>> pick_dtype("cpu")
    torch.float32
    """
    if isinstance(requested, torch.dtype):
        return requested
    if requested not in (None, "", "auto"):
        try:
            return DTYPES[requested]
        except KeyError:
            raise ConfigError(f"dtype={requested!r} is not one of auto, {', '.join(sorted(DTYPES))}.") from None
    capability = cuda_capability(device)
    if capability is None:
        return torch.float32
    return torch.bfloat16 if capability[0] >= 8 else torch.float16


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")
