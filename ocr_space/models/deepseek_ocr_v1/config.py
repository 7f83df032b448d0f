"""DeepSeek-OCR v1's configs: v1 on transformers' ``UnlimitedOcrConfig``, full size and tiny.

transformers' Unlimited-OCR classes are v1's architecture; what makes a
config v1's is full attention on every decoder layer (see the family's
docstring in :mod:`ocr_space.models.deepseek_ocr_v1.family`). Sizes are
stated for SAM's 16-px patches and scaled with the patch size
(:func:`scaled_px`), so a tiny model with 4-px patches keeps v1's token layout.
"""

from __future__ import annotations

from typing import Any

from ocr_space.models.deepseek_decoder import DEEPSEEK_OCR_DECODER, tiny_decoder

#: v1's decoder: the DeepSeek-OCR decoder with plain causal attention on every layer.
V1_DECODER: dict[str, Any] = dict(DEEPSEEK_OCR_DECODER, max_position_embeddings=8192)

#: v1's sizes are stated for SAM's 16-px patches; see :func:`scaled_px`.
OFFICIAL_PATCH_SIZE = 16


def scaled_px(official_px: int, patch_size: int) -> int:
    """A v1 pixel size for a SAM patch size: the same number of patches, so the same token layout.

    >>> scaled_px(1024, 16), scaled_px(1024, 4)
    (1024, 256)
    """
    return official_px * patch_size // OFFICIAL_PATCH_SIZE


def v1_config(text: dict | None = None, sam: dict | None = None, encoder: dict | None = None,
              image_token_id: int = 128815):
    """An ``UnlimitedOcrConfig`` with v1's full attention; ``text``/``sam``/``encoder`` override sizes.

    ``sliding_window`` keeps its default (the config validator rejects None);
    with every layer on full attention it is never used.

    >>> v1_config().text_config.layer_types[:2]
    ['full_attention', 'full_attention']
    """
    from transformers import UnlimitedOcrConfig

    text_config = dict(V1_DECODER, **(text or {}))
    text_config["layer_types"] = ["full_attention"] * text_config["num_hidden_layers"]
    return UnlimitedOcrConfig(
        vision_config={"sam_config": dict(sam or {}), "encoder_config": dict(encoder or {})},
        text_config=text_config,
        image_token_id=image_token_id,
    )


def full_config():
    """The published DeepSeek-OCR v1 architecture (less CLIP's unused patch embedding): 3,335,504,128 parameters."""
    return v1_config()


TINY_PATCH = 4


def tiny_config(vocab_size: int, bos_token_id: int, eos_token_id: int, pad_token_id: int, image_token_id: int):
    """v1's architecture shrunk for CPU tests, with v1's token layout.

    SAM patches of 4 px (instead of 16) with every view size divided by 4
    (:func:`~ocr_space.models.deepseek_ocr_v1.images.v1_processor`) give the same
    patch grids, hence the same token counts as the real model (Base: 256 px ->
    64x64 patches -> two stride-2 convs -> 16x16). CLIP's width must equal SAM's
    last downsample channel count (CLIP reads SAM's features as its patches).
    """
    return v1_config(
        text={
            **tiny_decoder(vocab_size, bos_token_id, eos_token_id, pad_token_id),
            # with 0.02 the frozen lm_head gives near-uniform logits that LoRA cannot sharpen (the final norm
            # fixes the hidden scale), so a few training steps could hardly lower the loss
            "initializer_range": 0.2,
        },
        sam={
            "hidden_size": 32,
            "output_channels": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "mlp_dim": 64,
            "image_size": scaled_px(1024, TINY_PATCH),
            "patch_size": TINY_PATCH,
            "window_size": 8,
            "global_attn_indexes": [1],
            # the class default (1e-10) makes SAM nearly constant, so images would not matter
            "initializer_range": 0.02,
            "downsample_channels": [32, 64],
        },
        encoder={
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "image_size": 64,
            "patch_size": 4,
        },
        image_token_id=image_token_id,
    )


def is_v1_native_config(config: dict) -> bool:
    """An ``unlimited_ocr`` config is v1 when every decoder layer uses full attention."""
    text = config.get("text_config") or {}
    layer_types = text.get("layer_types")
    return bool(layer_types) and all(kind == "full_attention" for kind in layer_types)
