"""One autograd node per adapted Linear layer while training: fewer ops for the host to record and launch.

The default training step is bound by the host (bench/RESULTS.md, 2026-12-02 session 4: 0.33 s of host time
per step against 0.11 s of device work, 10,463 kernel launches). The largest single part, 43%, is the autograd
engine's backward. It walks one node per recorded op and launches each node's kernels. PEFT's LoRA Linear
records about seven nodes per layer under autocast: the base matmul, autocast's casts of the fp32 ``A`` and
``B``, the two adapter matmuls, the scale and the add. There are 252 such layers at full size.

:class:`LoraLinearFunction` does the same arithmetic as one node:

- forward: ``y = x W^T + b``, then ``y += s (x A^T) B^T`` as one ``addmm`` (scale and add in the matmul epilogue);
- backward: ``dh = s dy B``, ``dB = s dy^T h``, ``dA = dh^T x``, ``dx = dy W + dh A``.

The adapter weights stay fp32 parameters (the optimizer's master copies). They are cast to the compute dtype
once per forward, as autocast would, and their gradients come back in fp32, as autocast's cast backward would
give them.

The numbers are the same computation with the scale and the add folded into one matmul, so results agree with
PEFT's to rounding, not bit for bit (tests/models/test_fused_lora.py: loss curves on the tiny model).
:func:`fused_lora_linears` switches it on for the layers where it applies (one active adapter, no dropout, no
DoRA or other variant, not merged) while its block runs. Any other layer keeps PEFT's own forward.
"""

from __future__ import annotations

import types
from contextlib import contextmanager

import torch
from torch import nn


class LoraLinearFunction(torch.autograd.Function):
    """``x W^T + b + s (x A^T) B^T`` with frozen ``W``/``b`` and trainable ``A``/``B``, as one autograd node."""

    @staticmethod
    def forward(ctx, x, weight, bias, lora_a, lora_b, scale: float, compute_dtype):  # noqa: D102
        dtype = compute_dtype or x.dtype
        x_c = x.to(dtype)
        a_c, b_c = lora_a.to(dtype), lora_b.to(dtype)
        x2 = x_c.reshape(-1, x_c.shape[-1])
        h = x2 @ a_c.t()
        out = torch.nn.functional.linear(x2, weight.to(dtype), None if bias is None else bias.to(dtype))
        out = torch.addmm(out, h, b_c.t(), alpha=scale)
        ctx.save_for_backward(x2, h, weight, a_c, b_c)
        ctx.scale, ctx.x_shape, ctx.x_dtype = scale, x.shape, x.dtype
        ctx.a_dtype, ctx.b_dtype = lora_a.dtype, lora_b.dtype
        return out.reshape(*x.shape[:-1], out.shape[-1])

    @staticmethod
    def backward(ctx, grad_out):  # noqa: D102
        x2, h, weight, a_c, b_c = ctx.saved_tensors
        g = grad_out.reshape(-1, grad_out.shape[-1]).to(h.dtype)
        grad_h = (g @ b_c).mul_(ctx.scale)
        grad_b = (g.t() @ h).mul_(ctx.scale).to(ctx.b_dtype) if ctx.needs_input_grad[4] else None
        grad_a = (grad_h.t() @ x2).to(ctx.a_dtype) if ctx.needs_input_grad[3] else None
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.addmm(g @ weight.to(g.dtype), grad_h, a_c).reshape(ctx.x_shape).to(ctx.x_dtype)
        return grad_x, None, None, grad_a, grad_b, None, None


def _fusable_adapter(layer) -> str | None:
    """The one adapter ``layer`` (a PEFT LoRA Linear) can run fused, or None when PEFT's own forward must run."""
    if layer.disable_adapters or layer.merged or len(layer.active_adapters) != 1:
        return None
    name = layer.active_adapters[0]
    if name not in layer.lora_A or name in getattr(layer, "lora_variant", {}):
        return None
    if getattr(layer, "use_dora", {}).get(name) or getattr(layer, "lora_bias", {}).get(name):
        return None
    if not isinstance(layer.lora_dropout[name], nn.Identity):
        return None
    if not isinstance(layer.base_layer, nn.Linear) or getattr(layer, "fan_in_fan_out", False):
        return None
    if layer.base_layer.weight.requires_grad or (layer.base_layer.bias is not None
                                                 and layer.base_layer.bias.requires_grad):
        return None  # the function does not return base gradients
    return name


def _fused_forward(self, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
    name = _fusable_adapter(self) if not args and not kwargs else None
    if name is None:
        return self._unfused_forward(x, *args, **kwargs)
    compute_dtype = torch.get_autocast_dtype(x.device.type) if torch.is_autocast_enabled(x.device.type) else None
    base = self.base_layer
    with torch.autocast(x.device.type, enabled=False):  # the function casts itself, once per weight
        return LoraLinearFunction.apply(x, base.weight, base.bias, self.lora_A[name].weight, self.lora_B[name].weight,
                                        float(self.scaling[name]), compute_dtype)


@contextmanager
def fused_lora_linears(model):
    """While inside, every PEFT LoRA Linear of ``model`` runs as one autograd node where it can (module doc)."""
    from peft.tuners.lora import Linear as LoraLinear

    layers = [module for module in model.modules() if type(module) is LoraLinear]
    for layer in layers:
        layer._unfused_forward = layer.forward
        layer.forward = types.MethodType(_fused_forward, layer)
    try:
        yield len(layers)
    finally:
        for layer in layers:
            del layer.forward  # the instance attribute: the class's forward is back
            del layer._unfused_forward
