"""DeepSeek-OCR (v1, `deepseek-ai/DeepSeek-OCR`) on transformers' native Unlimited-OCR classes.

transformers has no class named for v1, but ``unlimited_ocr`` (>= 5.20) is
v1's architecture: SAM ViT-B -> CLIP-L fed with SAM's features -> CLIP and SAM
features concatenated (2048) -> linear projector -> the DeepSeek-V2 MoE decoder,
with a newline embedding after every row of image tokens and a separator after
the views. Its default config has 3,335,504,128 parameters, v1's published
3,336,106,240 minus CLIP's patch-embedding convolution (602,112), which v1
carries but never uses (CLIP takes SAM's features instead).

Two things make it v1 rather than Unlimited-OCR:

- **attention**: Unlimited-OCR's decoder defaults to "reference sliding
  attention" (generated tokens see all image/prompt tokens but only the last
  128 generated ones); v1 attends to everything, so our configs set
  ``layer_types = ["full_attention"] * layers``. That setting is also how a
  native folder is recognised as v1 (:func:`claims_config`); an
  ``unlimited_ocr`` checkpoint with sliding attention (``baidu/Unlimited-OCR``)
  is a different model that this family refuses with a clear message rather
  than run with the wrong attention.
- **inputs**: v1's prompt (``<image>\\nFree OCR.``) and resolution presets;
  the native processor's token layout already matches v1's (tiles row by row
  with a newline per row, then the global view with a newline per row, then
  one separator), with at most 9 tiles instead of Unlimited-OCR's 32.

Official v1 checkpoints (``model_type: deepseek_vl_v2``, architecture
``DeepseekOCRForCausalLM``) are converted to the native layout on load
(:mod:`ocr_space.models.deepseek_ocr_v1.convert`), into a cache folder.

LoRA: the reference recipe adapts q/k/v/o/gate/up/down of the decoder
(77,509,632 parameters at r=16, CLIP untouched). Natively the 64 routed experts
of each MoE layer are fused 3-D tensors, so Linear targets reach only attention,
the dense MLP and the shared experts (3,978,240); PEFT's ``target_parameters``
adds one rank-16 pair per expert on the fused gate+up tensor and one on down
(59,113,472), 63,091,712 in all, the same choice as for DeepSeek-OCR-2.
Separate gate and up pairs (the reference's 77,509,632) would need the experts
split out of transformers' fused tensors, i.e. custom expert modules instead of
transformers' own (and its fused expert kernels, merge and save paths). The
price: on [gate; up] the gate and up halves share one rank-16 input projection,
so the update is rank 16 rather than up to 32, with fewer parameters.
"""

from __future__ import annotations

from pathlib import Path

from ocr_space.errors import ModelLoadError
from ocr_space.models.deepseek_decoder import LORA_EXPERT_PARAMETERS
from ocr_space.models.deepseek_ocr_v1.config import (
    OFFICIAL_PATCH_SIZE,
    TINY_PATCH,
    full_config,
    is_v1_native_config,
    scaled_px,
    tiny_config,
)
from ocr_space.models.deepseek_ocr_v1.convert import cached_native_folder, is_official_v1_config
from ocr_space.models.family import FREE_OCR_PROMPT, ModelFamily, ResolutionMode

FAMILY_NAME = "deepseek-ocr"

#: Decoder attention, dense MLP and shared experts; not CLIP's q/k/v (the reference recipe leaves CLIP alone).
LORA_LINEAR_PATTERN = (
    r".*language_model\.layers\.\d+\."
    r"(self_attn\.(q|k|v|o)_proj|mlp\.(shared_experts\.)?(gate|up|down)_proj)"
)

UNLIMITED_OCR_TYPES = ("unlimited_ocr", "UnlimitedOcrForConditionalGeneration")


def tiny_processor(tokenizer):
    """The real Unlimited-OCR processor with v1's settings, sized for :func:`tiny_config`."""
    from ocr_space.models.deepseek_ocr_v1.images import register_pil_backend, v1_processor

    register_pil_backend()
    return v1_processor(tokenizer, patch_size=TINY_PATCH)


def _square(side: int) -> dict:
    return {"height": side, "width": side}


def _single_view(official_px: int):
    """One view of ``official_px`` (scaled to the processor's patch size), no tiles."""

    def kwargs(processor) -> dict:
        patch = getattr(processor, "patch_size", OFFICIAL_PATCH_SIZE)
        return {"crop_to_patches": False, "size": _square(scaled_px(official_px, patch)),
                "maximum_pad_value": scaled_px(640, patch)}

    return kwargs


def _gundam(processor) -> dict:
    patch = getattr(processor, "patch_size", OFFICIAL_PATCH_SIZE)
    return {"crop_to_patches": True, "size": _square(scaled_px(1024, patch)), "tile_size": scaled_px(640, patch),
            "min_patches": 2, "max_patches": 9}


#: v1's presets (base_size / image_size / crop_mode in the official code). Image tokens include one
#: newline per row and the separator: a view of s px gives (s/64) x (s/64 + 1) + 1.
RESOLUTION_MODES = {
    "tiny": ResolutionMode("tiny", "512 px, stretched to a square, no tiles: 64 vision tokens (73 with newlines).",
                           _single_view(512)),
    "small": ResolutionMode("small", "640 px, stretched to a square, no tiles: 100 vision tokens (111); "
                            "enough for single text lines.", _single_view(640)),
    "base": ResolutionMode("base", "1024 px, padded to keep the aspect ratio, no tiles: 256 vision tokens (273).",
                           _single_view(1024)),
    "large": ResolutionMode("large", "1280 px, padded, no tiles: 400 vision tokens (421).", _single_view(1280)),
    "gundam": ResolutionMode("gundam", "1024-px global view plus 2..9 aspect-matched 640-px tiles (100 vision "
                             "tokens each) for images larger than 640 px; v1's default for documents.", _gundam),
}


def claims_config(config: dict) -> bool:
    """True for official v1 checkpoints and native v1 folders; a clear error for look-alikes we do not support."""
    if is_official_v1_config(config):
        return True
    model_type = config.get("model_type", "")
    architectures = set(config.get("architectures") or [])
    if model_type in UNLIMITED_OCR_TYPES or architectures & set(UNLIMITED_OCR_TYPES):
        if is_v1_native_config(config):
            return True
        raise ModelLoadError(
            "This is an Unlimited-OCR checkpoint (its decoder uses reference sliding attention), a different model "
            "from DeepSeek-OCR v1 that ocr-space does not support. For DeepSeek-OCR v1 use "
            "deepseek-ai/DeepSeek-OCR (converted automatically) or a folder written by "
            "`python -m ocr_space convert --from-v1`."
        )
    raise ModelLoadError(
        f"model_type {model_type!r} with architectures {sorted(architectures)} is not DeepSeek-OCR v1 (its "
        "checkpoints name DeepseekOCRForCausalLM); DeepSeek-VL2 chat models are not supported."
    )


def prepare_checkpoint(folder: Path, config: dict) -> Path:
    """Official v1 layout -> a converted native folder (cached); native folders load as they are."""
    from ocr_space.models.deepseek_ocr_v1.images import register_pil_backend

    register_pil_backend()
    if is_official_v1_config(config):
        return cached_native_folder(folder)
    return folder


#: DeepSeek-OCR v1: Gundam (global view + tiles) by default, one 640-px view for training on text lines.
FAMILY = ModelFamily(
    name=FAMILY_NAME,
    title="DeepSeek-OCR",
    default_repo="deepseek-ai/DeepSeek-OCR",
    model_types=UNLIMITED_OCR_TYPES + ("deepseek_vl_v2", "DeepseekOCRForCausalLM"),
    full_config=full_config,
    tiny_config=tiny_config,
    tiny_processor=tiny_processor,
    lora_linear_pattern=LORA_LINEAR_PATTERN,
    lora_expert_parameters=LORA_EXPERT_PARAMETERS,
    resolution_modes=RESOLUTION_MODES,
    default_mode="gundam",
    training_mode="small",
    ocr_prompt=FREE_OCR_PROMPT,
    prepare_checkpoint=prepare_checkpoint,
    claims_config=claims_config,
)
