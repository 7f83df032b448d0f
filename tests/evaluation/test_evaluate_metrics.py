"""Metrics, normalisation, confusions, bootstrap, report pieces and engine specs: fast, no model."""

import random
from collections import Counter

import jiwer
import pytest

from ocr_space.errors import ConfigError
from ocr_space.evaluation.bootstrap import paired_bootstrap
from ocr_space.evaluation.confusions import confusion_table, count_substitutions
from ocr_space.evaluation.engines import (
    ModelEngine,
    TesseractEngine,
    check_unique_names,
    engine_from_spec,
)
from ocr_space.evaluation.metrics import cer, score_pair, score_texts, summarize
from ocr_space.evaluation.normalize import Normalization, normalize
from ocr_space.evaluation.report import cer_histogram, diff_html

ALPHABET = "ab c一二三四，。１Ａ"
EXACT = Normalization.off()


def _random_text(rng: random.Random, max_length: int = 12) -> str:
    # jiwer's CER strips each string, so ours are generated without outer spaces to compare like for like
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, max_length))).strip()


# --- CER against jiwer -------------------------------------------------------------------------------------------

def test_cer_matches_jiwer_on_random_sets_with_empty_hypotheses_and_references():
    rng = random.Random(7)
    for _ in range(300):
        size = rng.randint(1, 6)
        references = [_random_text(rng) for _ in range(size)]
        hypotheses = [_random_text(rng) for _ in range(size)]
        if rng.random() < 0.3:
            hypotheses[0] = ""
        if rng.random() < 0.3:
            references[-1] = ""
        assert cer(references, hypotheses, normalization=None) == pytest.approx(jiwer.cer(references, hypotheses))


def test_edit_counts_match_jiwer_substitutions_deletions_insertions():
    rng = random.Random(3)
    for _ in range(200):
        reference, hypothesis = _random_text(rng) or "x", _random_text(rng)
        ours = score_pair(reference, hypothesis)
        theirs = jiwer.process_characters(reference, hypothesis)
        assert (ours.substitutions, ours.deletions, ours.insertions) == (
            theirs.substitutions, theirs.deletions, theirs.insertions)


def test_empty_reference_rule():
    assert cer("", "", normalization=None) == 0.0
    assert cer("", "两个", normalization=None) == 2.0  # every character an insertion over a one-unit denominator
    assert cer(["", "一二三四"], ["x", "一二三四"], normalization=None) == pytest.approx(1 / 4)
    assert score_pair("", "").exact


def test_empty_hypothesis_is_all_deletions():
    score = score_pair("一二三", "")
    assert (score.deletions, score.cer) == (3, 1.0)


def test_cer_is_micro_averaged_not_mean_of_lines():
    summary = summarize(score_texts(["一", "一二三四五六七八九"], ["二", "一二三四五六七八九"], EXACT), EXACT)
    assert summary.cer == pytest.approx(1 / 10)
    assert summary.mean_sample_cer == pytest.approx(0.5)


def test_cjk_characters_count_one_each():
    score = score_pair("深度学习", "深浅学习习")
    assert (score.reference_chars, score.substitutions, score.insertions, score.deletions) == (4, 1, 1, 0)


def test_exact_line_accuracy_and_totals():
    summary = summarize(score_texts(["今天", "明天", "后天"], ["今天", "明夭", ""], EXACT), EXACT)
    assert summary.exact_line_accuracy == pytest.approx(1 / 3)
    assert (summary.substitutions, summary.deletions, summary.insertions, summary.edits) == (1, 2, 0, 3)


def test_wer_only_where_references_have_words():
    spaced = summarize(score_texts(["the cat sat", "on a mat"], ["the bat sat", "on a mat"], EXACT), EXACT)
    assert spaced.wer == pytest.approx(1 / 6)
    unspaced = summarize(score_texts(["今天天气很好"], ["今天天气很坏"], EXACT), EXACT)
    assert unspaced.wer is None
    removed = Normalization(whitespace="remove")
    assert summarize(score_texts(["a b c"], ["a b c"], removed), removed).wer is None


def test_mismatched_lengths_are_a_user_error():
    with pytest.raises(ConfigError, match="pair up"):
        cer(["a", "b"], ["a"])


# --- normalisation switches ---------------------------------------------------------------------------------------

def test_nfkc_folds_full_width_ascii():
    assert normalize("ＡＢＣ１２３", Normalization(fold_width=False, whitespace="keep")) == "ABC123"
    assert normalize("ＡＢＣ１２３", EXACT) == "ＡＢＣ１２３"


def test_width_folding_alone_folds_only_width_pairs():
    settings = Normalization(nfkc=False, fold_width=True, whitespace="keep")
    assert normalize("２０２４ｶﾀｶﾅ\u3000①", settings) == "2024カタカナ ①"  # ① is NFKC's business, not width's


def test_punctuation_folding():
    settings = Normalization(fold_punctuation=True)
    assert normalize("你好。「世界」、再见！", settings) == '你好."世界",再见!'
    assert normalize("你好。", Normalization()) == "你好。"


def test_whitespace_modes():
    text = "  今 天  hello   world \n明天 "
    assert normalize(text, Normalization(whitespace="keep")) == text
    assert normalize(text, Normalization(whitespace="collapse")) == "今 天 hello world 明天"
    assert normalize(text, Normalization(whitespace="cjk")) == "今天hello world明天"
    assert normalize(text, Normalization(whitespace="remove")) == "今天helloworld明天"


def test_normalisation_changes_the_score():
    reference, hypothesis = "发票号码：２０２４", "发 票 号码:2024"
    assert cer(reference, hypothesis) == 0.0
    assert cer(reference, hypothesis, normalization=None) > 0.5


def test_unknown_whitespace_mode_is_refused():
    with pytest.raises(ConfigError, match="whitespace"):
        Normalization(whitespace="squash")


# --- confusions ------------------------------------------------------------------------------------------------

def test_substitutions_are_counted_per_character_pair():
    counter = count_substitutions(["一二三", "一一", "12"], ["二二三", "二一", "l2"])
    assert counter == Counter({("一", "二"): 2, ("1", "l"): 1})


def test_confusion_table_shows_before_and_after():
    before = Counter({("一", "二"): 5, ("1", "l"): 2})
    after = Counter({("1", "l"): 1, ("口", "日"): 1})
    rows = confusion_table({"base": before, "tuned": after})
    assert rows[0] == {"reference": "一", "hypothesis": "二", "base": 5, "tuned": 0}
    assert {"reference": "口", "hypothesis": "日", "base": 0, "tuned": 1} in rows


# --- bootstrap ---------------------------------------------------------------------------------------------------

def test_identical_engines_give_an_interval_containing_zero():
    rng = random.Random(0)
    edits = [rng.randint(0, 5) for _ in range(200)]
    chars = [rng.randint(5, 20) for _ in range(200)]
    result = paired_bootstrap(edits, list(edits), chars, "base", "same")
    assert result.low <= 0 <= result.high
    assert not result.significant and result.verdict.startswith("no clear difference")


def test_noisy_but_equal_engines_are_not_called_different():
    rng = random.Random(1)
    chars = [10] * 300
    a = [rng.randint(0, 4) for _ in chars]
    b = [rng.randint(0, 4) for _ in chars]
    result = paired_bootstrap(a, b, chars)
    assert result.low < 0 < result.high


def test_clearly_better_engine_excludes_zero():
    rng = random.Random(2)
    chars = [rng.randint(8, 15) for _ in range(100)]
    base = [rng.randint(2, 6) for _ in chars]
    tuned = [max(0, e - 2 - rng.randint(0, 1)) for e in base]
    result = paired_bootstrap(base, tuned, chars, "base", "tuned")
    assert result.high < 0 and result.significant
    assert result.verdict.startswith("tuned beats base")
    worse = paired_bootstrap(tuned, base, chars, "tuned", "base")
    assert worse.low > 0 and "worse" in worse.verdict


def test_bootstrap_is_seeded():
    chars, a, b = [10] * 50, [1, 3] * 25, [2, 2] * 25
    assert paired_bootstrap(a, b, chars, seed=5) == paired_bootstrap(a, b, chars, seed=5)
    assert paired_bootstrap(a, b, chars, seed=5) != paired_bootstrap(a, b, chars, seed=6)


def test_bootstrap_needs_paired_samples():
    with pytest.raises(ConfigError):
        paired_bootstrap([1, 2], [1], [3, 3])


# --- report pieces -----------------------------------------------------------------------------------------------

def test_cer_histogram_bins():
    counts = cer_histogram([0, 0, 0.05, 0.1, 0.95, 1.0, 1.5])
    assert counts[0] == 2 and counts[1] == 2 and counts[10] == 2 and counts[11] == 1
    assert sum(counts) == 7


def test_diff_html_marks_edits_and_escapes_text():
    html = str(diff_html("a<b>一二四", "a<b>一三四x"))
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert '<mark class="sub">二</mark>' in html and '<mark class="sub">三</mark>' in html
    assert "<ins>x</ins>" in html
    assert "<del>c</del>" in str(diff_html("abc", "ab"))


# --- engines -------------------------------------------------------------------------------------------------------

def test_engine_specs():
    tuned = engine_from_spec("tuned=/models/base+/runs/1/adapter", batch_size=4)
    assert isinstance(tuned, ModelEngine)
    assert (tuned.name, tuned.model, tuned.adapter, tuned.batch_size) == ("tuned", "/models/base", "/runs/1/adapter", 4)
    merged = engine_from_spec("merged=/runs/1/merged")
    assert (merged.name, merged.model, merged.adapter) == ("merged", "/runs/1/merged", None)
    assert engine_from_spec("owner/model").name == "model"
    assert isinstance(engine_from_spec("tesseract"), TesseractEngine)
    assert engine_from_spec("pp=rapidocr").name == "pp"


def test_existing_path_with_plus_is_not_split(tmp_path):
    folder = tmp_path / "model+v2"
    folder.mkdir()
    engine = engine_from_spec(str(folder))
    assert (engine.model, engine.adapter) == (str(folder), None)


def test_duplicate_engine_names_are_refused():
    with pytest.raises(ConfigError, match="used twice"):
        check_unique_names([engine_from_spec("tesseract"), engine_from_spec("tesseract")])


def test_missing_tesseract_language_is_a_reason_not_a_crash():
    reason = TesseractEngine(lang="xx_nonexistent").unavailable_reason()
    assert reason and "xx_nonexistent" in reason


def test_missing_tesseract_program_is_a_reason(monkeypatch):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    assert "not installed" in TesseractEngine().unavailable_reason()

