"""DeepSeek-OCR-2's configs: the published architecture, and a tiny one of the same shape for CPU tests.

SAM ViT-B -> a Qwen2-shaped encoder with learnable "causal flow" queries ->
linear projector -> the DeepSeek-V2 MoE decoder
(:mod:`ocr_space.models.deepseek_decoder`), on transformers' native
``DeepseekOcr2*`` classes.
"""

from __future__ import annotations

from ocr_space.models.deepseek_decoder import DEEPSEEK_OCR_DECODER, tiny_decoder


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
