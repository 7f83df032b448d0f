"""DeepSeek-OCR v1 as a family: sizes, detection, and v1's token layout from the processor."""

import json

import pytest
from PIL import Image

from ocr_space.cli import main
from ocr_space.errors import ModelLoadError
from ocr_space.models import family_for_config, get_family
from ocr_space.models.deepseek_ocr_v1.images import v1_processor
from ocr_space.models.params import count_architecture
from ocr_space.testing import IMAGE, build_tiny_tokenizer

V1 = get_family("deepseek-ocr")


def test_params_command_prints_v1_sizes_and_lora_with_one_adapter_per_fused_expert(capsys):
    assert main(["params", "--arch", "deepseek-ocr"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["params"] == 3_335_504_128  # v1's 3,336,106,240 minus CLIP's unused 1024x3x14x14 patch conv
    assert 3_336_106_240 - printed["params"] == 1024 * 3 * 14 * 14
    # Linear targets: attention 12 x 4 x 16 x (1280+1280) = 1,966,080; dense MLP 3 x 16 x (1280+6848) = 390,144;
    # shared experts 11 x 3 x 16 x (1280+1792) = 1,622,016. Routed experts, one rank-16 pair per expert on the
    # fused gate+up tensor and one on down: 11 x 64 x 16 x ((1280+1792) + (896+1280)) = 59,113,472.
    assert printed["lora_params"] == 1_966_080 + 390_144 + 1_622_016 + 59_113_472 == 63_091_712


def test_lora_targets_leave_clip_and_sam_alone():
    assert count_architecture("deepseek-ocr", experts=False).lora_params == 3_978_240  # decoder Linear layers only


def test_v1_configs_use_full_attention_on_every_layer():
    text = V1.full_config().text_config
    assert text.layer_types == ["full_attention"] * 12
    assert text.sliding_window is not None  # the config validator requires one, full attention ignores it


def test_official_v1_checkpoints_and_native_v1_folders_are_deepseek_ocr():
    official = {"model_type": "deepseek_vl_v2", "architectures": ["DeepseekOCRForCausalLM"]}
    assert family_for_config(official).name == "deepseek-ocr"
    native = {"model_type": "unlimited_ocr", "text_config": {"layer_types": ["full_attention"] * 12}}
    assert family_for_config(native).name == "deepseek-ocr"


def test_saved_tiny_v1_folder_is_recognised_as_v1(tiny_v1_dir):
    config = json.loads((tiny_v1_dir / "config.json").read_text())
    assert config["model_type"] == "unlimited_ocr"
    assert family_for_config(config).name == "deepseek-ocr"


def test_unlimited_ocr_with_sliding_attention_is_refused_with_a_reason():
    from transformers import UnlimitedOcrConfig

    unlimited = UnlimitedOcrConfig().to_dict()  # baidu/Unlimited-OCR's defaults: reference sliding attention
    with pytest.raises(ModelLoadError, match="Unlimited-OCR"):
        family_for_config(unlimited)


def test_deepseek_vl2_chat_models_are_not_taken_for_v1():
    with pytest.raises(ModelLoadError, match="DeepseekOCRForCausalLM"):
        family_for_config({"model_type": "deepseek_vl_v2", "architectures": ["DeepseekVLV2ForCausalLM"]})


@pytest.fixture(scope="module")
def full_size_processor():
    """v1's real processor settings (16-px SAM patches), with the tiny tokenizer: only <image> matters here."""
    return v1_processor(build_tiny_tokenizer())


def image_tokens(processor, size: tuple[int, int], mode: str) -> int:
    inputs = processor(images=[Image.new("RGB", size, "white")], text=[f"{IMAGE}\nFree OCR."], return_tensors="pt",
                       **V1.mode(mode).processor_kwargs(processor))
    return int((inputs["input_ids"] == processor.image_token_id).sum())


# One token per 64 px (16-px patches, 4x4 compression), a newline token after every row, one separator:
# a view of s px gives (s/64) rows of (s/64 + 1) tokens, plus 1.
def test_small_mode_640_image_has_111_image_tokens(full_size_processor):
    assert image_tokens(full_size_processor, (640, 640), "small") == 10 * (10 + 1) + 1 == 111


def test_base_mode_1024_image_has_273_image_tokens(full_size_processor):
    assert image_tokens(full_size_processor, (1024, 1024), "base") == 16 * (16 + 1) + 1 == 273


def test_gundam_mode_2000x600_image_has_three_tiles_and_a_global_view(full_size_processor):
    # aspect 2000/600 = 3.33; grids with 2..9 tiles: 3x1 (ratio 3, off by 0.33) beats 4x1 (0.67) and 7x2 (3.5,
    # but 14 > 9 tiles). Tiles: 10 rows of (3 x 10 + 1) = 310; global 1024 view: 16 x 17 + 1 = 273.
    assert image_tokens(full_size_processor, (2000, 600), "gundam") == 10 * (3 * 10 + 1) + 16 * (16 + 1) + 1 == 583


@pytest.mark.parametrize(("mode", "side"), [("tiny", 512), ("large", 1280)])
def test_other_single_view_modes_follow_the_same_layout(full_size_processor, mode, side):
    per_side = side // 64
    assert image_tokens(full_size_processor, (side, side), mode) == per_side * (per_side + 1) + 1


def test_gundam_does_not_tile_images_up_to_640_px(full_size_processor):
    assert image_tokens(full_size_processor, (640, 500), "gundam") == 273


def test_small_views_are_stretched_and_large_views_padded(full_size_processor):
    """v1 resizes views up to 640 px straight to a square; larger ones keep the aspect ratio (gray padding)."""
    wide_white_line = Image.new("RGB", (600, 60), "white")

    def global_view(mode):
        kwargs = V1.mode(mode).processor_kwargs(full_size_processor)
        return full_size_processor(images=[wide_white_line], text=[IMAGE], return_tensors="pt", **kwargs)[
            "pixel_values"]

    assert global_view("small").min() == 1.0  # all white: stretched, nothing padded
    assert global_view("base").min() < 0.0  # gray (127) padding above and below the line


def test_tiny_model_processor_gives_the_full_size_token_layout(tiny_v1_dir):
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(str(tiny_v1_dir))
    assert type(processor.image_processor).__name__ == "UnlimitedOcrImageProcessorPil"
    scale = processor.patch_size / 16  # 4-px patches: every size divided by 4, same patch grids
    assert image_tokens(processor, (int(1024 * scale), int(1024 * scale)), "base") == 273
    assert image_tokens(processor, (int(2000 * scale), int(600 * scale)), "gundam") == 583


def test_tiny_model_command_builds_a_tiny_v1(tmp_path, capsys):
    assert main(["tiny-model", "--arch", "deepseek-ocr", "--out", str(tmp_path / "tiny")]) == 0
    config = json.loads((tmp_path / "tiny" / "config.json").read_text())
    assert config["architectures"] == ["UnlimitedOcrForConditionalGeneration"]
    assert set(config["text_config"]["layer_types"]) == {"full_attention"}


def test_the_app_offers_both_families_default_models(monkeypatch):
    from ocr_space.models.registry import model_choices

    monkeypatch.delenv("OCR_SPACE_MODEL", raising=False)
    assert model_choices() == ["deepseek-community/DeepSeek-OCR-2", "deepseek-ai/DeepSeek-OCR"]
