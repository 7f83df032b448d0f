"""DeepSeek-OCR-2 (`deepseek-community/DeepSeek-OCR-2`) on transformers' native classes.

SAM ViT-B -> a Qwen2-shaped encoder with learnable "causal flow" queries ->
linear projector -> the DeepSeek-V2 MoE decoder. The native processor lays out
local tiles (144 tokens each at 768 px), then the 1024-px global view (256
tokens), then one separator token.
"""

from __future__ import annotations

from typing import Any

from ocr_space.models.registry import ModelFamily, ResolutionMode, register

#: The decoder shared by both DeepSeek-OCR generations (see shared DESIGN.md §1).
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

#: Linear layers the reference recipe adapts: attention and MLP projections of the
#: decoder and of the Qwen2-shaped vision encoder; SAM's qkv/proj/lin1/lin2 are not.
LORA_LINEAR_PATTERN = (
    r".*(language_model|vision_encoder)\.layers\.\d+\."
    r"(self_attn\.(q|k|v|o)_proj|mlp\.(shared_experts\.)?(gate|up|down)_proj)"
)
#: Routed experts are fused 3-D tensors in transformers 5.x; PEFT adapts them per expert.
LORA_EXPERT_PARAMETERS = ("mlp.experts.gate_up_proj", "mlp.experts.down_proj")


def full_config():
    """The published DeepSeek-OCR-2 architecture: 3,389,119,360 parameters."""
    from transformers import DeepseekOcr2Config

    return DeepseekOcr2Config(
        vision_config={
            "encoder_config": {
                "hidden_size": 896,
                "intermediate_size": 4864,
                "num_hidden_layers": 24,
                "num_attention_heads": 14,
                "num_key_value_heads": 2,
            }
        },
        text_config=dict(DEEPSEEK_OCR_DECODER),
    )


def tiny_decoder(vocab_size: int, bos_token_id: int, eos_token_id: int, pad_token_id: int) -> dict[str, Any]:
    """The DeepSeek-OCR decoder (both generations) shrunk to 2 layers of width 64: one dense, one MoE of 4 experts."""
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


TINY_IMAGE_SIZE = 192
TINY_INIT_STD = 0.125  # 1 / sqrt(64), the tiny hidden size


def tiny_config(vocab_size: int, bos_token_id: int, eos_token_id: int, pad_token_id: int, image_token_id: int):
    """Same architecture, shrunk so a forward pass takes milliseconds on CPU.

    The encoder's learnable queries give 144 tokens per view when SAM yields
    <= 144 patches: a 192-px view with SAM patch 4 gives 48x48 -> two stride-2
    convs -> 12x12 = 144, and the processor counts ceil(192/4/4)^2 = 144 too.
    The encoder width must equal SAM's last downsample channel count.

    Weights start at std 1/sqrt(hidden) = 0.125 instead of the class default
    0.02: at width 64, 0.02 leaves attention logits near zero, so every query
    averages the whole image, gradients to q/k vanish, and no CPU-sized
    training run learns where a character is. (At the full width of 1280,
    0.02 is already about 1/sqrt(hidden).)
    """
    from transformers import DeepseekOcr2Config

    return DeepseekOcr2Config(
        vision_config={
            "sam_config": {
                "hidden_size": 32,
                "output_channels": 32,
                "num_hidden_layers": 2,
                "num_attention_heads": 2,
                "image_size": TINY_IMAGE_SIZE,
                "patch_size": 4,
                "window_size": 8,
                "global_attn_indexes": [1],
                # the class default (1e-10) makes SAM nearly constant, so images would not matter
                "initializer_range": 0.02,
                "downsample_channels": [32, 64],
            },
            "encoder_config": {
                "hidden_size": 64,
                "intermediate_size": 128,
                "num_hidden_layers": 2,
                "num_attention_heads": 4,
                "num_key_value_heads": 2,
                "initializer_range": TINY_INIT_STD,
            },
        },
        text_config=tiny_decoder(vocab_size, bos_token_id, eos_token_id, pad_token_id),
        image_token_id=image_token_id,
    )


def tiny_processor(tokenizer):
    """The real DeepSeek-OCR-2 processor classes, sized for :func:`tiny_config`."""
    from transformers import DeepseekOcr2Processor
    from transformers.models.deepseek_ocr2 import DeepseekOcr2ImageProcessorPil

    image_processor = DeepseekOcr2ImageProcessorPil(
        size={"height": TINY_IMAGE_SIZE, "width": TINY_IMAGE_SIZE},
        tile_size=TINY_IMAGE_SIZE,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )
    return DeepseekOcr2Processor(image_processor=image_processor, tokenizer=tokenizer, patch_size=4, downsample_ratio=4)


def _tile_side(processor) -> int:
    return int(processor.image_processor.tile_size)


def _global_side(processor) -> int:
    return int(processor.image_processor.size["height"])


# A tile_size larger than any image means "never tile": the processor only tiles
# images whose longer side exceeds tile_size, and counts 0 local tokens otherwise.
_NEVER_TILE = 1 << 20

RESOLUTION_MODES = {
    "tiles": ResolutionMode(
        "tiles",
        "Global view (1024 px, 256 tokens) plus up to 6 tiles of 768 px (144 tokens each) for large images; "
        "the processor's default, best for pages.",
        lambda processor: {},
    ),
    "base": ResolutionMode(
        "base",
        "Global view only at 1024 px (256 tokens); no tiles.",
        lambda processor: {"crop_to_patches": True, "tile_size": _NEVER_TILE},
    ),
    "small": ResolutionMode(
        "small",
        "Global view only at 768 px (144 tokens); fastest, enough for single text lines.",
        lambda processor: {
            "crop_to_patches": False,
            "size": {"height": _tile_side(processor), "width": _tile_side(processor)},
        },
    ),
}

FAMILY = register(
    ModelFamily(
        name="deepseek-ocr-2",
        title="DeepSeek-OCR-2",
        default_repo="deepseek-community/DeepSeek-OCR-2",
        model_types=("deepseek_ocr2", "DeepseekOcr2ForConditionalGeneration"),
        full_config=full_config,
        tiny_config=tiny_config,
        tiny_processor=tiny_processor,
        lora_linear_pattern=LORA_LINEAR_PATTERN,
        lora_expert_parameters=LORA_EXPERT_PARAMETERS,
        resolution_modes=RESOLUTION_MODES,
        default_mode="tiles",
        training_mode="small",
        ocr_prompt="<image>\nFree OCR.",
    )
)
