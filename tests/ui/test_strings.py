"""The strings tables: every key in every language, the same placeholders, the request's language in handlers."""

import re
from types import SimpleNamespace

import pytest

from ocr_space.ui.strings import STRINGS, TABLES, in_language, language_of, static_text, t, text
from ocr_space.ui.strings_zh import STRINGS_ZH_CN


def _placeholders(template: str) -> set[str]:
    return set(re.findall(r"(?<!\{)\{(\w+)[^{}]*\}", template))


def test_the_chinese_table_has_every_key_and_no_other():
    assert set(STRINGS_ZH_CN) == set(STRINGS)


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_a_translation_keeps_the_placeholders_of_the_english(key):
    assert _placeholders(STRINGS_ZH_CN[key]) == _placeholders(STRINGS[key])


def test_the_chinese_table_uses_the_agreed_terms():
    assert "字符错误率" in STRINGS_ZH_CN["finetune.cer"] and "微调" == STRINGS_ZH_CN["finetune.tab"]
    assert "LoRA 适配器" in STRINGS_ZH_CN["recognize.adapter"] and STRINGS_ZH_CN["compare.tab"] == "对比"
    assert STRINGS_ZH_CN["recognize.tab"] == "识别" and "数据集" in STRINGS_ZH_CN["dataset.tab"]


@pytest.mark.parametrize("header, language", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"), ("en-US,en;q=0.9,zh-CN;q=0.8", "en"), ("zh-TW,zh;q=0.9", "zh-CN"),
    ("fr-FR,fr;q=0.9", "en"), ("fr;q=0.9,zh;q=0.8", "zh-CN"), (None, "en"), ("en;q=0.1,zh-CN;q=0.5", "zh-CN"),
])
def test_the_accept_language_header_picks_the_table(header, language):
    assert language_of(header) == language


def test_a_handler_answers_in_its_requests_language(monkeypatch):
    from gradio.context import LocalContext

    request = SimpleNamespace(headers={"accept-language": "zh-CN,zh;q=0.9"})
    token = LocalContext.request.set(request)
    try:
        assert t("compare.no_data") == STRINGS_ZH_CN["compare.no_data"]
        assert t("finetune.step", step=3, max_steps=8) == "第 3/8 步"
    finally:
        LocalContext.request.reset(token)
    assert t("compare.no_data") == STRINGS["compare.no_data"]  # no request (tests, the CLI): English


def test_building_gives_browser_keys_and_registers_formatted_texts_in_every_language():
    from gradio.i18n import I18nData

    from ocr_space.ui.strings import I18N

    with static_text():
        plain = t("compare.run")
        formatted = t("dataset.name", root="/data/ocr-space/datasets")
    assert isinstance(plain, I18nData) and plain.key == "compare.run"
    assert isinstance(formatted, I18nData)
    tables = I18N.translations_dict
    assert tables["zh-CN"][formatted.key] == "数据集名称（/data/ocr-space/datasets 下的文件夹）"
    assert tables["en"][formatted.key] == "Dataset name (folder under /data/ocr-space/datasets)"
    # braces the browser would read as ICU variables are quoted
    assert tables["en"]["dataset.prefix"] == "File prefix ('{'prefix'}'_train.parquet …)"


def test_in_language_forces_a_table():
    with in_language("zh-CN"):
        assert text("finetune.cancel") == "取消"
    assert set(TABLES) == {"en", "zh-CN"}


def test_every_help_text_the_forms_show_is_translated_and_names_a_real_field():
    import dataclasses

    from ocr_space.data.synth import Degradations
    from ocr_space.evaluation.normalize import Normalization
    from ocr_space.train.recipe import TrainConfig
    from ocr_space.ui.finetune_tab import ADVANCED_FIELDS, FINISH_FIELDS
    from ocr_space.ui.strings_zh import HELP_ZH_CN

    classes = {cls.__name__: cls for cls in (TrainConfig, Normalization, Degradations)}
    helped = {f"help.{name}.{field.name}" for name, cls in classes.items() for field in dataclasses.fields(cls)
              if field.metadata.get("help")}
    assert set(HELP_ZH_CN) <= helped
    shown = {f"help.TrainConfig.{name}" for name in ("model", "data", "out", *ADVANCED_FIELDS, *FINISH_FIELDS)}
    shown |= {key for key in helped if not key.startswith("help.TrainConfig.")}
    assert shown & helped <= set(HELP_ZH_CN)
    with in_language("zh-CN"):
        from ocr_space.ui.strings import t_or

        assert t_or("help.TrainConfig.steps", "optimizer steps to train") == "训练的优化器步数"
    assert t_or("help.TrainConfig.steps", "optimizer steps to train") == "optimizer steps to train"
