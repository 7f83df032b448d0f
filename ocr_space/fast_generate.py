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
46 -> 253 new tokens/s. Batches of 32 gained only ~10% while transformers ran the decode steps' experts as
``batched_mm``; with the experts picked by size (:mod:`ocr_space.models.sized_experts`) they go from ~1,300 to
~2,900-3,100 new tokens/s, after 14-24 s of compilation per batch shape. That pays back only on long jobs, so a
batch takes the fast path when its job has at least :data:`FAST_DECODE_MIN_BATCHED_PAGES` pages and the batch
is full (a last, smaller batch would be one more shape to compile). Greedy tokens are the same
as on the dynamic cache (the static cache masks the unused slots;
tests/test_fast_generate.py compares token for token on the tiny model).
Where it does not apply, :func:`decode_settings` says why and generation runs
as before:

- not on CUDA (compilation pays off only where launches dominate; on a CPU the
  arithmetic does),
- torch.compile or its GPU code generator (triton) missing,
- a 4-bit (bitsandbytes) model, whose kernels transformers does not compile,
- batches of more than one image in a job of fewer pages than that, or a batch that is not full (see above),
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


def decode_settings(model, device: str, batch_size: int = 1, pages_in_job: int = 0) -> DecodeSettings:
    """The static-cache compiled decode for ``model`` on ``device``, or none with the reason (logged once).

    ``pages_in_job``: how many pages the whole job reads in full batches of ``batch_size`` (0: unknown or
    this batch is not full).
    """
    reason = _unavailable(model, device) or _not_worth_it(batch_size, pages_in_job)
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


#: the smallest job (pages) whose full batches take the fast path. Measured on the H200 (bench/RESULTS.md,
#: session 6, 32 new tokens per line): batch 32 read 41 lines/s on the dynamic cache and 91-98 on the static one
#: after 14-24 s of compilation per batch shape, so compilation pays back after ~1,000-1,500 lines
FAST_DECODE_MIN_BATCHED_PAGES = 1024


def _not_worth_it(batch_size: int, pages_in_job: int) -> str:
    if batch_size > 1 and pages_in_job < FAST_DECODE_MIN_BATCHED_PAGES:
        return (f"batches in jobs of fewer than {FAST_DECODE_MIN_BATCHED_PAGES} pages, or not full (compiling "
                "the decode for a batch shape takes 14-24 s, which only long jobs pay back)")
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
