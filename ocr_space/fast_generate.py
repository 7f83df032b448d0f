"""Which decode a ``generate`` call takes: the graphed greedy loop, its step compiled or not, or plain ``generate``.

Plain ``generate`` grows its KV cache every token and launches each decoder layer's kernels one by one from
Python: at batch 1 the host, not the GPU, sets the pace (bench/RESULTS.md: 46 new tokens/s on an H100). On
CUDA every call here therefore runs :func:`ocr_space.graphed_decode.graphed_greedy_search`: a static KV cache
and the one-token step captured once as a CUDA graph (a fraction of a second) and replayed per token, the
image still encoded once in the prefill. For long jobs the step is first compiled by inductor, which fuses
its ~870 kernels per token into far fewer, at a price of 13-17 s per batch shape.

Measured in one run on the H200 (bench/RESULTS.md, session 8; 32 new tokens per line, full size):

=====================  ==================  ===================  ==========================
decode                 batch 1, tokens/s   batch 32, tokens/s   first call of a shape
=====================  ==================  ===================  ==========================
transformers compiled  266.8               2,826.7              17-21 s (the former default)
graphed                260.8               2,971.6              0.1-0.9 s
graphed, compiled      341.3               3,406.8              13-17 s
=====================  ==================  ===================  ==========================

So the compilation pays back after ~14,000 new tokens one image at a time (~0.9 ms saved per token) and only
after ~400,000 in batches of 32 (43 us per token): jobs of at least :data:`COMPILE_MIN_PAGES` pages (by batch
size) compile their full batches' step; a single page read in the UI starts at once. On ZeroGPU, which lends
the GPU per call, the step is captured per call and never compiled. Greedy tokens are the same
as ``generate``'s (tests/test_graphed_decode.py). Where the loop does not apply, :func:`decode_settings` says
why and generation runs as before: not on CUDA (graphs exist there only; on a CPU the arithmetic is the cost),
a 4-bit (bitsandbytes) model (not measured here), a model without a static cache, or ``OCR_SPACE_FAST_DECODE=0``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

log = logging.getLogger("ocr_space.generate")

#: environment switch: "0" turns the fast path off; "graphed" never compiles the step, "compiled" always does
#: (measurements, debugging); unset or "1": by the job's size
ENV_SWITCH = "OCR_SPACE_FAST_DECODE"
#: the smallest job (pages) whose full batches compile the decode step before capturing it, by batch size
#: (one image at a time / batches); see the module doc for the measurements behind them
COMPILE_MIN_PAGES = {"one": 256, "batched": 8192}


@dataclass(frozen=True)
class DecodeSettings:
    """Extra ``generate`` keyword arguments and why (empty = plain ``generate``)."""

    kwargs: dict = field(default_factory=dict)
    note: str = ""

    @property
    def fast(self) -> bool:
        return bool(self.kwargs)


_reported: set[str] = set()


def decode_settings(model, device: str, batch_size: int = 1, pages_in_job: int = 0) -> DecodeSettings:
    """The graphed decode for ``model`` on ``device``, or none with the reason (logged once).

    ``pages_in_job``: how many pages the whole job reads in full batches of ``batch_size`` (0: unknown or
    this batch is not full); long jobs compile the step.
    """
    from ocr_space.graphed_decode import graphed_greedy_search

    choice = chosen_method()
    reason = _unavailable(model, device, choice)
    if reason:
        _report(f"generation without the fast decode path: {reason}")
        return DecodeSettings({}, reason)
    kwargs = {"custom_generate": graphed_greedy_search}
    note = "static KV cache, decode step captured once and replayed as a CUDA graph"
    if choice == "compiled" or (choice == "auto" and _long_enough(batch_size, pages_in_job)):
        missing = compiler_missing()
        if missing:
            _report(f"decode step not compiled: {missing}")
            return DecodeSettings(kwargs, f"{note} (not compiled: {missing})")
        kwargs["compile_step"] = True
        note = "static KV cache, decode step compiled, captured and replayed as a CUDA graph"
    return DecodeSettings(kwargs, note)


def chosen_method() -> str:
    """``OCR_SPACE_FAST_DECODE``: "off" ("0", "false", "no"), "graphed", "compiled", else "auto"."""
    value = os.environ.get(ENV_SWITCH, "1").strip().lower()
    if value in ("0", "false", "off", "no"):
        return "off"
    return value if value in ("graphed", "compiled") else "auto"


def compiler_missing() -> str:
    """Why torch.compile cannot build GPU code here, or ""."""
    try:
        import torch

        if not hasattr(torch, "compile"):
            return "this torch has no torch.compile"
        import triton  # noqa: F401 - inductor's GPU code generator
    except Exception as exc:  # noqa: BLE001 - a missing compiler is a reason, not an error
        return f"torch.compile cannot run here ({type(exc).__name__}: {str(exc)[:120]})"
    return ""


def _long_enough(batch_size: int, pages_in_job: int) -> bool:
    from ocr_space.zerogpu import on_zero_gpu

    if on_zero_gpu():  # the GPU is lent per call: a compiled step would not outlive the call that paid for it
        return False
    return pages_in_job >= COMPILE_MIN_PAGES["one" if batch_size == 1 else "batched"]


def _report(message: str) -> None:
    if message not in _reported:
        _reported.add(message)
        log.info(message)


def _unavailable(model, device: str, choice: str) -> str:
    if choice == "off":
        return f"{ENV_SWITCH}=0"
    if not str(device).startswith("cuda"):
        return f"on {device} (CUDA graphs exist on CUDA only; on a CPU the arithmetic, not the launches, is the cost)"
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = getattr(base, "config", None)
    if getattr(config, "quantization_config", None) is not None or getattr(base, "hf_quantizer", None) is not None:
        return "a quantized (4-bit) model: its bitsandbytes kernels are not captured or compiled here"
    if not getattr(base, "_can_compile_fullgraph", False):
        return f"{type(base).__name__} does not support a static cache"
    return ""
