"""Mode choices follow the model field: the chosen model's family, not one family hard-coded."""

import json

from ocr_space.models.registry import families, get_family
from ocr_space.ui.model_field import family_of, follow_model, mode_choices


def test_a_local_folder_is_the_family_its_config_names(model_folders):
    for name, folder in model_folders.items():
        assert family_of(str(folder)).name == name
        assert mode_choices(str(folder), "") == ["", *get_family(name).resolution_modes]


def test_the_two_families_offer_different_modes(model_folders):
    v1, v2 = (mode_choices(str(model_folders[name]), "default") for name in ("deepseek-ocr", "deepseek-ocr-2"))
    assert "gundam" in v1 and "gundam" not in v2 and "tiles" in v2 and v1[0] == v2[0] == "default"


def test_a_hub_id_is_the_family_whose_default_repo_it_is():
    for family in families().values():
        assert family_of(family.default_repo) is family
        assert family_of(f"  {family.default_repo} ") is family


def test_anything_else_gets_the_default_family(tmp_path):
    default = get_family("deepseek-ocr-2")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}), "utf-8")  # not an OCR family
    for model in ("someone/some-model", "", None, str(tmp_path / "half-typed"), str(tmp_path)):
        assert family_of(model) is default


def test_a_model_change_keeps_a_mode_the_new_family_has_and_resets_one_it_lacks(model_folders):
    v1, v2 = str(model_folders["deepseek-ocr"]), str(model_folders["deepseek-ocr-2"])
    kept = follow_model(v2, "small", "")
    assert kept["choices"] == ["", *get_family("deepseek-ocr-2").resolution_modes] and kept["value"] == "small"
    reset = follow_model(v2, "gundam", "")
    assert reset["value"] == ""
    assert follow_model(v1, "gundam", "")["value"] == "gundam"
