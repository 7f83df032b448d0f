"""LoRA on the routed experts, computed from its two factors instead of a rebuilt weight.

PEFT adapts a fused 3-D expert tensor ``W`` (experts x out x in) by registering
a parametrization that rebuilds ``W + s * lhs @ rhs`` for all 64 experts on
every forward. On DeepSeek-OCR-2 that is 4.8 GB of rebuilt weights per forward
pass, kept alive for the backward, and a full-size weight gradient in the
backward, although only a rank-16 pair per expert trains. It is why 8 text
lines did not fit a T4's 15 GiB without gradient checkpointing, and during
generation with an adapter it rebuilds the same 4.8 GB for every new token.

Here the experts run ``x W^T + s * (x rhs^T) lhs^T`` per expert with the same
grouped matmul transformers uses for the base weights, so nothing the size of
``W`` is ever built. The math is identical (tests compare outputs and
gradients with PEFT's path), the parameters are PEFT's own (adapters save,
load, merge and push unchanged). PEFT's wrapper forward is bypassed only for
the experts (it would register the parametrization, and registering evaluates
it once); the experts forward reads the factors from the wrapper instead.

It plugs in through transformers' own extension point for expert kernels
(``ExpertsInterface``) and falls back to transformers' ``grouped_mm`` path
wherever it does not apply: no adapter, a merged or disabled adapter, several
adapters at once, or an expert layout it was not written for.
"""

from __future__ import annotations

import torch

from ocr_space.models.padded_experts import (
    PaddedRows,
    padded_grouped_linear,
    padded_layout_switched_on,
    pads_where_grouped_mm_loops,
)
from ocr_space.models.sized_experts import SIZED_EXPERTS

#: the name registered in transformers' ExpertsInterface
FACTORED_EXPERTS = "ocr_space_factored_lora"
_BASE_IMPLEMENTATION = "grouped_mm"


# eager even inside a compiled decoder layer (ocr_space.train.compile): on the H200, inductor gave the factors'
# gradient a column-major layout that torch._grouped_mm rejects ("Invalid strides/sizes ... [64, 16, 1792]")
@torch.compiler.disable
def factored_lora_experts_forward(self, hidden_states: torch.Tensor, top_k_index: torch.Tensor,
                                  top_k_weights: torch.Tensor) -> torch.Tensor:
    """transformers' grouped-matmul experts forward with each projection's LoRA kept factored."""
    from transformers.integrations.moe import grouped_mm_experts_forward

    wrappers = getattr(self, _WRAPPERS, {})
    factored = {name: wrapper for name, wrapper in wrappers.items() if _factorable(wrapper)}
    if not factored:
        return grouped_mm_experts_forward(self, hidden_states, top_k_index, top_k_weights)

    num_tokens, hidden_dim = hidden_states.shape
    num_top_k = top_k_index.size(-1)
    expert_ids, perm = torch.sort(top_k_index.reshape(-1))
    routed = hidden_states[perm // num_top_k]
    histogram_input = expert_ids.float() if hidden_states.device.type in ("cpu", "mps") else expert_ids.int()
    tokens_per_expert = torch.histc(histogram_input, bins=self.num_experts, min=0, max=self.num_experts - 1)
    # grouped by offsets (one kernel, or a host loop over experts), or padded (one batched matmul, no loop)
    padded = _padded_rows(self, routed, expert_ids, tokens_per_expert)
    groups = padded if padded is not None else torch.cumsum(tokens_per_expert, dim=0, dtype=torch.int32)
    projected = _project(self, "gate_up_proj", factored.get("gate_up_proj"), routed, groups)
    projected = _project(self, "down_proj", factored.get("down_proj"), self._apply_gate(projected), groups)
    weighted = projected * top_k_weights.reshape(-1)[perm].unsqueeze(-1)

    restored = torch.empty_like(perm)
    restored[perm] = torch.arange(perm.size(0), device=perm.device)
    # reshape + sum (not index_add_): deterministic on CUDA and accumulated in fp32, as transformers does
    summed = weighted[restored].view(num_tokens, num_top_k, hidden_dim).sum(dim=1)
    return summed.to(hidden_states.dtype)


#: attribute on an experts module: {parameter name: the PEFT ParamWrapper adapting it}
_WRAPPERS = "_ocr_space_lora_wrappers"
#: attribute on an experts module: False keeps the host loop where the padded layout would replace it
_PADDED = "_ocr_space_padded_experts"


def _factorable(wrapper) -> bool:
    """One active, unmerged, enabled adapter on a multi-expert tensor of an ordinary float dtype."""
    if wrapper.disable_adapters or wrapper.merged or wrapper.num_experts < 2:
        return False
    active = [name for name in wrapper.active_adapters if name in wrapper.lora_A]
    return len(active) == 1 and wrapper.get_param().dtype in (torch.float32, torch.float16, torch.bfloat16)


def _project(experts, name: str, wrapper, inputs: torch.Tensor, groups: torch.Tensor | PaddedRows) -> torch.Tensor:
    """One grouped projection ``inputs @ W_e^T`` per expert, plus its factored LoRA term when there is one.

    ``groups``: the experts' row offsets for a grouped matmul, or the padded layout that replaces its host loop.
    """
    from transformers.integrations.moe import _can_use_grouped_mm, _grouped_linear, _grouped_mm

    # without a factored wrapper this reads the parameter as it is: plain, merged, or rebuilt by PEFT
    weight = getattr(experts, name)
    if isinstance(groups, PaddedRows):
        base = padded_grouped_linear(inputs, weight, groups, experts.is_transposed)
    elif torch.is_grad_enabled() and not weight.requires_grad and not _can_use_grouped_mm(inputs, weight, groups):
        base = _FrozenGroupedLinear.apply(inputs, weight, groups, experts.is_transposed)
    else:
        base = _grouped_linear(inputs, weight, groups, is_transposed=experts.is_transposed)
    if wrapper is None:
        return base
    first, second, scaling = _grouped_factors(wrapper, experts.is_transposed)  # x @ first_e @ second_e
    if isinstance(groups, PaddedRows):
        low_rank = padded_grouped_linear(padded_grouped_linear(inputs, first, groups, True), second, groups, True)
    else:
        low_rank = _grouped_mm(_grouped_mm(inputs, first, groups), second, groups)
    return base + low_rank * scaling


def _padded_rows(experts, routed: torch.Tensor, sorted_expert_ids: torch.Tensor,
                 rows_per_expert: torch.Tensor) -> PaddedRows | None:
    """The padded layout where grouped matmul would loop on the host (fp16, a T4), else None."""
    if not getattr(experts, _PADDED, True) or not pads_where_grouped_mm_loops(routed.device, experts.down_proj.dtype):
        return None
    return PaddedRows.plan(sorted_expert_ids, rows_per_expert)


class _FrozenGroupedLinear(torch.autograd.Function):
    """``inputs @ W_e^T`` per expert for a frozen ``W``, whose backward computes the inputs' gradient only.

    Without a grouped-matmul kernel (a T4: capability below 8.0) transformers runs its own fallback, whose
    backward always returns the weight's gradient too: a zeroed tensor the size of all 64 experts' weights
    (~440 MB per MoE layer at full size) and a matmul per expert, which autograd then drops, since the base
    weights are frozen. Here the backward is one grouped matmul with the transposed weights (the fallback's
    loop, computing the inputs' gradient only). Used only where the fallback runs: with the native kernel
    autograd skips that gradient itself, and the measured GPU paths stay as they were.
    """

    @staticmethod
    def forward(ctx, inputs: torch.Tensor, weight: torch.Tensor, offsets: torch.Tensor,
                is_transposed: bool) -> torch.Tensor:  # noqa: D102
        from transformers.integrations.moe import _grouped_linear

        ctx.save_for_backward(weight, offsets)
        ctx.is_transposed = is_transposed
        return _grouped_linear(inputs, weight, offsets, is_transposed=is_transposed)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):  # noqa: D102
        from transformers.integrations.moe import _grouped_linear

        weight, offsets = ctx.saved_tensors
        grad_inputs = _grouped_linear(grad_output.contiguous(), weight, offsets, is_transposed=not ctx.is_transposed)
        return grad_inputs, None, None, None


def _grouped_factors(wrapper, is_transposed: bool):
    """``(first, second, scaling)``: per-expert (in x r) and (r x out) matrices in the compute dtype, contiguous.

    Without autograd (generation) they are cached on the wrapper until the
    adapter weights change: rebuilding them is 6 small kernels per projection
    and layer, for every generated token.
    """
    adapter = next(name for name in wrapper.active_adapters if name in wrapper.lora_A)
    weight_a, weight_b = wrapper.lora_A[adapter].weight, wrapper.lora_B[adapter].weight
    key = (adapter, is_transposed, wrapper.get_param().dtype, weight_a.data_ptr(), weight_a._version,
           weight_b.data_ptr(), weight_b._version)
    caching = not torch.is_grad_enabled()
    cached = getattr(wrapper, _FACTOR_CACHE, None)
    if caching and cached is not None and cached[0] == key:
        return cached[1]
    lhs, rhs, scaling = wrapper.get_delta_factors(adapter)  # delta_e = scaling * lhs_e @ rhs_e, in W's layout
    if is_transposed:  # W_e is (in, out): x @ lhs_e @ rhs_e
        first, second = lhs, rhs
    else:  # W_e is (out, in): x @ rhs_e^T @ lhs_e^T
        first, second = rhs.transpose(-2, -1), lhs.transpose(-2, -1)
    factors = (first.contiguous(), second.contiguous(), scaling)
    setattr(wrapper, _FACTOR_CACHE, (key, factors) if caching else None)
    return factors


_FACTOR_CACHE = "_ocr_space_factor_cache"


def _plain_layout(experts) -> bool:
    """The layout the factored forward is written for (DeepSeek's experts): fused gate+up, no biases."""
    return (getattr(experts, "has_gate", False) and getattr(experts, "is_concatenated", False)
            and not getattr(experts, "has_bias", True) and not getattr(experts, "has_post_expert_norm", True)
            and not getattr(experts, "_is_expert_parallel", True))


def _bypass_when_factorable(wrapper) -> None:
    """Skip PEFT's parametrization for this wrapper while the experts forward can use its factors."""
    peft_forward = wrapper.forward
    experts = wrapper.get_base_layer()

    def forward(x, *args, **kwargs):
        # only while the experts run the factored forward: switched back to grouped_mm, PEFT must rebuild again
        factored = getattr(experts.config, "_experts_implementation", None) == FACTORED_EXPERTS
        if factored and kwargs.get("adapter_names") is None and _factorable(wrapper):
            return wrapper.base_layer(x, *args, **kwargs)
        return peft_forward(x, *args, **kwargs)

    wrapper.forward = forward


def use_factored_expert_lora(model) -> bool:
    """Switch ``model`` (a transformers or PEFT model) to the factored experts; True if it now uses them.

    Call it after the adapters are attached. Only models on transformers'
    ``grouped_mm`` experts (or the sized choice between it and ``batched_mm``) are switched: that is the path this one extends,
    and an ``eager`` choice (no grouped matmul on this torch) is left alone.
    Models without LoRA on routed experts are untouched.
    """
    from peft.tuners.lora.layer import ParamWrapper
    from transformers.integrations.moe import ALL_EXPERTS_FUNCTIONS

    padded = padded_layout_switched_on()
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = getattr(base, "config", None)
    current = getattr(config, "_experts_implementation", None)
    if current not in (_BASE_IMPLEMENTATION, SIZED_EXPERTS, FACTORED_EXPERTS) or not hasattr(base, "set_experts_implementation"):
        return False
    wrappers = [module for module in model.modules() if isinstance(module, ParamWrapper)]
    by_experts: dict = {}
    for wrapper in wrappers:
        experts = wrapper.get_base_layer()
        if _plain_layout(experts) and wrapper.parameter_name in ("gate_up_proj", "down_proj"):
            by_experts.setdefault(experts, {})[wrapper.parameter_name] = wrapper
    if not by_experts:
        return False
    for experts, found in by_experts.items():
        for wrapper in found.values():
            if getattr(experts, _WRAPPERS, {}).get(wrapper.parameter_name) is not wrapper:
                _bypass_when_factorable(wrapper)
        setattr(experts, _WRAPPERS, found)
        setattr(experts, _PADDED, padded)
    ALL_EXPERTS_FUNCTIONS.register(FACTORED_EXPERTS, factored_lora_experts_forward)
    base.set_experts_implementation(FACTORED_EXPERTS)
    return base.config._experts_implementation == FACTORED_EXPERTS
