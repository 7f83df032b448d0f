"""The routed experts' kernel chosen by how many rows are routed, instead of by generation phase.

transformers runs DeepSeek-OCR-2's 64 routed experts with one grouped matmul over the rows sorted by expert
(``grouped_mm``), and while ``generate`` decodes it switches to ``batched_mm``, which gathers a private copy of
the selected expert's weights for every routed row and runs a batched matmul over them. For one image that is
right: 6 rows, 6 small copies. For a batch it is not: at batch 32 each decode step routes 32 x 6 = 192 rows, and
the gather copies 192 expert weight slices (~6.9 MB each in bf16, gate/up and down) in every one of the 11 MoE
layers, ~1.3 GB written and read twice per layer, while all 64 experts' weights together are 440 MB. The H200
profile of one batch-32 ``generate`` (bench/RESULTS.md, session 5) had that gather as its top kernel: 154 of
520 ms of device time.

So the experts here pick by size: up to :data:`BATCHED_MAX_ROWS` routed rows take ``batched_mm``, more take
``grouped_mm``. Both are transformers' own kernels with the same math; ``generate`` leaves an implementation it
does not know alone, so the choice holds through decoding. A model is switched only from ``grouped_mm`` (the
default where grouped matmuls exist); LoRA on the experts keeps its own factored path
(:mod:`ocr_space.models.expert_lora`), which is grouped already.
"""

from __future__ import annotations

import torch

#: the name registered in transformers' ExpertsInterface
SIZED_EXPERTS = "ocr_space_sized"
#: routed rows (tokens x top-k) up to which each row gets its own copy of its expert's weights (batched_mm):
#: one image's decode step routes 6, a batch of 32 routes 192
BATCHED_MAX_ROWS = 16
_SWITCHABLE = "grouped_mm"


def sized_experts_forward(self, hidden_states: torch.Tensor, top_k_index: torch.Tensor,
                          top_k_weights: torch.Tensor) -> torch.Tensor:
    """``batched_mm`` for a few routed rows, ``grouped_mm`` for many (see the module doc)."""
    from transformers.integrations.moe import batched_mm_experts_forward, grouped_mm_experts_forward

    rows = hidden_states.shape[0] * top_k_index.shape[-1]
    limit = getattr(self, "_batched_max_rows", BATCHED_MAX_ROWS)
    forward = batched_mm_experts_forward if rows <= limit else grouped_mm_experts_forward
    return forward(self, hidden_states, top_k_index, top_k_weights)


def use_sized_experts(model, batched_max_rows: int = BATCHED_MAX_ROWS) -> bool:
    """Switch ``model``'s experts from ``grouped_mm`` to the sized choice; True if it now uses it.

    ``batched_max_rows`` is for measurements (0: always grouped, as transformers does outside decoding).
    Models on another implementation (``eager`` where grouped matmuls do not exist, the factored LoRA) are
    left alone.
    """
    from transformers.integrations.moe import ALL_EXPERTS_FUNCTIONS

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if not hasattr(base, "get_experts_implementation"):
        return False
    current = base.get_experts_implementation()
    if not any(value in (_SWITCHABLE, SIZED_EXPERTS) for value in current.values()):
        return False
    ALL_EXPERTS_FUNCTIONS.register(SIZED_EXPERTS, sized_experts_forward)
    for module in base.modules():
        if hasattr(module, "gate_up_proj") and hasattr(module, "num_experts"):
            module._batched_max_rows = batched_max_rows
    base.set_experts_implementation({key: SIZED_EXPERTS if value == _SWITCHABLE else value
                                     for key, value in current.items()})
    return SIZED_EXPERTS in base.get_experts_implementation().values()
