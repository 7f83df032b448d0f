import pytest

from ocr_space.errors import ModelLoadError
from ocr_space.models import family_for_config, get_family
from ocr_space.models.params import count_architecture


def test_family_is_found_by_model_type_or_architecture():
    assert family_for_config({"model_type": "deepseek_ocr2"}).name == "deepseek-ocr-2"
    assert family_for_config({"architectures": ["DeepseekOcr2ForConditionalGeneration"]}).name == "deepseek-ocr-2"


def test_unknown_model_type_is_a_clear_error():
    with pytest.raises(ModelLoadError, match="not a supported OCR family"):
        family_for_config({"model_type": "llama"})


def test_unknown_resolution_mode_lists_the_modes():
    with pytest.raises(ModelLoadError, match="tiles"):
        get_family("deepseek-ocr-2").mode("huge")


def test_full_size_deepseek_ocr2_matches_the_published_count():
    count = count_architecture("deepseek-ocr-2", lora_r=16)
    assert count.params == 3_389_119_360
    # Linear targets (decoder 3,978,240 + vision encoder 8,798,208) plus one rank-16 pair per routed
    # expert on the fused gate_up and down tensors (59,113,472); see ocr_space/models/lora.py.
    assert count.lora_params == 3_978_240 + 8_798_208 + 59_113_472


def test_lora_without_experts_reaches_only_linear_layers():
    assert count_architecture("deepseek-ocr-2", experts=False).lora_params == 3_978_240 + 8_798_208
