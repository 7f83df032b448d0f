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

Where it pays (measured on the H200, bench/RESULTS.md): one image at a time,
46 -> 253 new tokens/s; batches of 32 gain only ~10% for ~14 s of compilation
per batch shape, so batches keep the dynamic cache. Greedy tokens are the same
as on the dynamic cache (the static cache masks the unused slots;
tests/test_fast_generate.py compares token for token on the tiny model).
Where it does not apply, :func:`decode_settings` says why and generation runs
as before:

- not on CUDA (compilation pays off only where launches dominate; on a CPU the
  arithmetic does),
- torch.compile or its GPU code generator (triton) missing,
- a 4-bit (bitsandbytes) model, whose kernels transformers does not compile,
- batches of more than one image (see above),
- switched off with ``OCR_SPACE_FAST_DECODE=0``.

The first call of each length (``max_new_tokens``) pays the compilation
(24 s on the H200); later calls of that length replay it.
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


def decode_settings(model, device: str, batch_size: int = 1) -> DecodeSettings:
    """The static-cache compiled decode for ``model`` on ``device``, or none with the reason (logged once)."""
    reason = _unavailable(model, device) or _not_worth_it(batch_size)
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


#: the largest batch the fast path is used for. Measured on the H200 (bench/RESULTS.md, 2026-12-02, 32 new
#: tokens per line): batch 1 went from 46 to 253 new tokens/s after a 24 s first call; batch 32 only from
#: 1,262 to 1,382 after 14 s of compilation for each batch shape (and a last, smaller batch is another shape),
#: so batched evaluation and Compare keep the dynamic cache
FAST_DECODE_MAX_BATCH = 1


def _not_worth_it(batch_size: int) -> str:
    if batch_size > FAST_DECODE_MAX_BATCH:
        return (f"batches of more than {FAST_DECODE_MAX_BATCH} (measured +10% at batch 32 against ~14 s of "
                "compilation per batch shape)")
    return ""


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
