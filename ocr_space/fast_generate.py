"""Fast greedy decoding: a static KV cache and a compiled, CUDA-graph-replayed decode step.

Plain ``generate`` grows its KV cache every token and launches each decoder
layer's kernels one by one from Python: at batch 1 a 12-layer MoE decoder spends
most of each step in the host (bench/RESULTS.md: 46 new tokens/s on an H100
where the weights read per token allow thousands). transformers' own static
cache (``cache_implementation="static"``) preallocates the cache at
prompt + ``max_new_tokens``, which makes every decode step the same shape, and
``compile_config`` then compiles that step with inductor in ``reduce-overhead``
mode: the whole step is captured once as a CUDA graph and replayed per token.
The image is still encoded once, in the (eager) prefill; only the one-token
steps are compiled.

Greedy tokens are the same as on the dynamic cache (the static cache masks the
unused slots; tests/test_fast_generate.py compares token for token on the tiny
model). Where it does not apply, :func:`decode_settings` says why and
generation runs as before:

- not on CUDA (compilation pays off only where launches dominate; on a CPU the
  arithmetic does),
- torch.compile or its GPU code generator (triton) missing,
- a 4-bit (bitsandbytes) model, whose kernels transformers does not compile,
- switched off with ``OCR_SPACE_FAST_DECODE=0``.

The first batch of each shape pays the compilation (tens of seconds on a
large GPU); later batches of that batch size and length replay it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

log = logging.getLogger("ocr_space.generate")

#: environment switch: "0" turns the fast path off everywhere (debugging, comparisons)
ENV_SWITCH = "OCR_SPACE_FAST_DECODE"


@dataclass(frozen=True)
class DecodeSettings:
    """Extra ``generate`` keyword arguments and why (empty = today's dynamic-cache path)."""

    kwargs: dict = field(default_factory=dict)
    note: str = ""

    @property
    def fast(self) -> bool:
        return bool(self.kwargs)


_reported: set[str] = set()


def decode_settings(model, device: str) -> DecodeSettings:
    """The static-cache compiled decode for ``model`` on ``device``, or none with the reason (logged once)."""
    reason = _unavailable(model, device)
    if reason:
        if reason not in _reported:
            _reported.add(reason)
            log.info("generation without the fast decode path: %s", reason)
        return DecodeSettings({}, reason)
    from transformers import CompileConfig

    # dynamic=False: one graph per (batch size, cache length); fullgraph=False lets an odd op fall back
    compile_config = CompileConfig(fullgraph=False, dynamic=False, backend="inductor", mode="reduce-overhead")
    return DecodeSettings({"cache_implementation": "static", "compile_config": compile_config},
                          "static KV cache, decode step compiled and replayed as a CUDA graph")


def _unavailable(model, device: str) -> str:
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "off", "no"):
        return f"{ENV_SWITCH}=0"
    if not str(device).startswith("cuda"):
        return f"on {device} (the compiled decode pays off on CUDA only)"
    try:
        import torch

        if not hasattr(torch, "compile"):
            return "this torch has no torch.compile"
        import triton  # noqa: F401 - inductor's GPU code generator
    except Exception as exc:  # noqa: BLE001 - a missing compiler is a reason, not an error
        return f"torch.compile cannot run here ({type(exc).__name__}: {str(exc)[:120]})"
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = getattr(base, "config", None)
    if getattr(config, "quantization_config", None) is not None or getattr(base, "hf_quantizer", None) is not None:
        return "a quantized (4-bit) model: transformers does not compile its kernels"
    if not getattr(base, "_can_compile_fullgraph", False):
        return f"{type(base).__name__} does not support a static cache"
    return ""
