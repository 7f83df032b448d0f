"""DeepSeek-OCR-2 (`deepseek-community/DeepSeek-OCR-2`) on transformers' native classes.

SAM ViT-B -> a Qwen2-shaped encoder with learnable "causal flow" queries ->
linear projector -> the DeepSeek-V2 MoE decoder. The native processor lays out
local tiles (144 tokens each at 768 px), then the 1024-px global view (256
tokens), then one separator token. Its configs are in
:mod:`ocr_space.models.deepseek_ocr2.config`; this module fills in the
:class:`~ocr_space.models.family.ModelFamily`.
"""

from __future__ import annotations

from ocr_space.models.deepseek_decoder import LORA_EXPERT_PARAMETERS
from ocr_space.models.deepseek_ocr2.config import full_config, tiny_config, tiny_processor
from ocr_space.models.family import FREE_OCR_PROMPT, ModelFamily, ResolutionMode

#: Linear layers the reference recipe adapts: attention and MLP projections of the
#: decoder and of the Qwen2-shaped vision encoder; SAM's qkv/proj/lin1/lin2 are not.
LORA_LINEAR_PATTERN = (
    r".*(language_model|vision_encoder)\.layers\.\d+\."
    r"(self_attn\.(q|k|v|o)_proj|mlp\.(shared_experts\.)?(gate|up|down)_proj)"
)


def _tile_side(processor) -> int:
    return int(processor.image_processor.tile_size)


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

#: DeepSeek-OCR-2: tiles for pages by default, one 768-px view for training on text lines.
FAMILY = ModelFamily(
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
    ocr_prompt=FREE_OCR_PROMPT,
)
