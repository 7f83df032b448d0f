"""The DeepSeek-V2 MoE decoder both DeepSeek-OCR generations share, at full size and tiny.

DeepSeek-OCR (v1) and DeepSeek-OCR-2 differ in their vision side; the
language model behind the projector is the same 12-layer DeepSeek-V2 MoE
decoder of width 1280 (one dense layer, then 11 layers of 64 routed experts,
6 active, plus 2 shared experts; 129,280-token vocabulary). v1 only limits
its positions to 8,192 and uses plain causal attention on every layer
(:mod:`ocr_space.models.deepseek_ocr_v1.config`).
"""

from __future__ import annotations

from typing import Any

#: The decoder's published sizes, as transformers' DeepSeek-OCR text configs spell them.
DEEPSEEK_OCR_DECODER: dict[str, Any] = {
    "vocab_size": 129280,
    "hidden_size": 1280,
    "intermediate_size": 6848,
    "num_hidden_layers": 12,
    "num_attention_heads": 10,
    "num_key_value_heads": 10,
    "n_routed_experts": 64,
    "moe_intermediate_size": 896,
    "n_shared_experts": 2,
    "num_experts_per_tok": 6,
    "mlp_layer_types": ["dense"] + ["sparse"] * 11,
    "max_position_embeddings": 32768,
    "bos_token_id": 0,
    "eos_token_id": 1,
}

#: Routed experts are fused 3-D tensors in transformers 5.x; PEFT adapts them per expert.
LORA_EXPERT_PARAMETERS = ("mlp.experts.gate_up_proj", "mlp.experts.down_proj")


def tiny_decoder(vocab_size: int, bos_token_id: int, eos_token_id: int, pad_token_id: int) -> dict[str, Any]:
    """The DeepSeek-OCR decoder (both generations) shrunk to 2 layers of width 64: one dense, one MoE of 4 experts.

    >>> tiny_decoder(100, 0, 1, 2)["mlp_layer_types"]
    ['dense', 'sparse']
    """
    return {
        "vocab_size": vocab_size,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "n_routed_experts": 4,
        "n_shared_experts": 1,
        "num_experts_per_tok": 2,
        "moe_intermediate_size": 32,
        "mlp_layer_types": ["dense", "sparse"],
        "max_position_embeddings": 2048,
        "bos_token_id": bos_token_id,
        "eos_token_id": eos_token_id,
        "pad_token_id": pad_token_id,
    }
