"""Regional ``torch.compile`` of the repeated layers for training: fewer, fused kernel launches per step.

At the default micro-batch of 8 text lines the training step is bound by the
host, not the GPU (bench/RESULTS.md: ~10,000 kernel launches per step, the GPU
busy 0.12 s of 0.40 s): every adapted Linear layer is a base matmul, two
adapter matmuls, a scale, an add and autocast's casts, each its own launch
from Python, forward and backward. Compiling each repeated block (the SAM
layers, the 24 vision-encoder layers, the 12 decoder layers) with inductor
fuses the elementwise work around the matmuls and runs each block's forward and
backward from one generated wrapper instead of hundreds of Python dispatches.

Regional, not whole-model: identical layers share one compiled graph (the
parameters are graph inputs), so the warm-up compiles a handful of graphs
instead of tracing a 3B-parameter model, and anything outside the layers
(image preprocessing, the vision-to-text splice, the loss) stays eager and
free to change shape. Gradient checkpointing wraps the compiled layer from
outside (``GradientCheckpointingLayer.__call__``), so it keeps working.

The numbers are the same computation in a different order of floating-point
operations (fusion); tests/train/test_train_compile.py checks on CPU that the
traced graphs give the eager loss curve (``aot_eager`` backend).

Status (H200, 2026-12-02): opt-in (``compile: on``). ``auto`` stays off until
a GPU run shows it pays: the first attempt failed in the factored experts'
backward (inductor gave a LoRA factor's gradient a layout ``torch._grouped_mm``
rejects; those experts now run eagerly inside the compiled layer), the second
spent over 200 s in warm-up without finishing ten steps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger("ocr_space.train")

#: the compiler backend; tests swap in "aot_eager" (same graphs, eager kernels) to compare numbers exactly
BACKEND = "inductor"
#: layer instances differ in small attributes (SAM window sizes, dense vs MoE decoder layers), each a graph;
#: torch's default limit of 8 recompiles per code object would silently leave the rest eager
RECOMPILE_LIMIT = 64
#: why "auto" does not compile (yet): measured on the H200 on 2026-12-02 (bench/RESULTS.md, "Speed II")
AUTO_OFF_REASON = ("auto leaves compilation off: on the H200 the compiled layers' warm-up ran past 200 s without "
                   "finishing 10 steps of 8 lines, and inductor broke the factored experts' backward until they "
                   "were kept eager; not a measured win yet (compile: on to try it)")


@dataclass(frozen=True)
class CompileDecision:
    """Whether the layers were compiled, how many, and why (recorded in status.json as ``compile``)."""

    applied: bool
    layers: int
    note: str

    def as_dict(self) -> dict:
        return {"applied": self.applied, "layers": self.layers, "note": self.note}


def compile_decision(setting: str, device: str) -> tuple[bool, str]:
    """(compile?, why) for the ``compile`` setting on this device."""
    if setting == "off":
        return False, "compile: off was asked for"
    if setting == "auto":
        return False, AUTO_OFF_REASON
    try:
        import torch

        if not hasattr(torch, "compile"):
            return False, "this torch has no torch.compile"
        if device.startswith("cuda"):
            import triton  # noqa: F401 - inductor's GPU code generator
    except Exception as exc:  # noqa: BLE001 - a missing or broken compiler is a reason, not a failure
        return False, f"torch.compile cannot run here ({type(exc).__name__}: {str(exc)[:120]})"
    return True, f"regional torch.compile ({BACKEND}) over the repeated layers"


def repeated_layers(model) -> list:
    """The model's repeated blocks: every transformers ``GradientCheckpointingLayer`` (outermost ones only)."""
    from transformers.modeling_layers import GradientCheckpointingLayer

    found, inside = [], set()
    for name, module in model.named_modules():
        if any(name.startswith(prefix) for prefix in inside):
            continue
        if isinstance(module, GradientCheckpointingLayer):
            found.append(module)
            inside.add(name + ".")
    return found


def compile_for_training(model, wanted: bool, note: str) -> CompileDecision:
    """Compile ``model``'s repeated layers in place when the plan (:func:`compile_decision`) asked for it.

    Call it after the LoRA layers are attached (they are compiled with their
    layer). The compilation itself happens at the first forward of each layer
    shape (the first training steps, or the memory probe).
    """
    if not wanted:
        log.info("no compilation: %s", note)
        return CompileDecision(False, 0, note)
    import torch

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if getattr(base, "is_loaded_in_4bit", False) or getattr(base.config, "quantization_config", None):
        note = "4-bit (bitsandbytes) layers are not compiled"
        log.info("no compilation: %s", note)
        return CompileDecision(False, 0, note)
    layers = repeated_layers(model)
    if not layers:
        return CompileDecision(False, 0, "no repeated transformer layers found to compile")
    dynamo = torch._dynamo.config
    for name, limit in (("recompile_limit", RECOMPILE_LIMIT), ("accumulated_recompile_limit", 4 * RECOMPILE_LIMIT)):
        if hasattr(dynamo, name):  # the names of torch >= 2.6; older ones keep their defaults
            setattr(dynamo, name, max(getattr(dynamo, name), limit))
    for layer in layers:
        # dynamic=None: the first shape is compiled static, a second sequence length marks it dynamic once
        layer.compile(backend=BACKEND)
    log.info("compiled %d repeated layers (%s)", len(layers), BACKEND)
    return CompileDecision(True, len(layers), note)
