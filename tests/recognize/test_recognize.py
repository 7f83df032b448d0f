import pytest
import torch

from ocr_space.errors import ConfigError, ImageError
from ocr_space.recognize import PROMPTS, recognize, recognize_batch, resolve_prompt
from ocr_space.repetition import WindowedNGramGuard


def test_recognize_returns_text_seconds_and_token_count(tiny_loaded, example_lines):
    result = recognize(tiny_loaded, example_lines[0], max_new_tokens=12)
    assert isinstance(result.text, str) and result.text
    assert 0 < result.new_tokens <= 12
    assert result.seconds > 0


def test_batched_recognition_equals_one_by_one(tiny_loaded, example_lines):
    one_by_one = [recognize(tiny_loaded, path, max_new_tokens=10, mode="small").text for path in example_lines]
    batched = recognize_batch(tiny_loaded, example_lines, max_new_tokens=10, mode="small", batch_size=3)
    assert [r.text for r in batched] == one_by_one


def test_different_images_give_different_outputs(tiny_loaded, example_lines):
    texts = {r.text for r in recognize_batch(tiny_loaded, example_lines, max_new_tokens=10)}
    assert len(texts) > 1  # the image reaches the decoder


def test_accepts_bytes(tiny_loaded, example_lines):
    assert recognize(tiny_loaded, example_lines[1].read_bytes(), max_new_tokens=4).new_tokens > 0


def test_prompt_presets_and_literal_prompts():
    assert resolve_prompt("markdown") == PROMPTS["markdown"]
    assert resolve_prompt("<image>\nRead it.") == "<image>\nRead it."
    with pytest.raises(ConfigError, match="<image>"):
        resolve_prompt("Read it.")


def test_bad_inputs_are_user_errors(tiny_loaded, tmp_path):
    with pytest.raises(ImageError):
        recognize(tiny_loaded, tmp_path / "missing.png")
    with pytest.raises(ConfigError):
        recognize(tiny_loaded, tmp_path / "missing.png", max_new_tokens=0)


def test_ngram_guard_bans_the_token_that_would_repeat_a_seen_ngram():
    guard = WindowedNGramGuard(prompt_length=2, ngram_size=3, window=10)
    # generated: 5 6 7 5 6 -> the next 7 would repeat the 3-gram (5, 6, 7)
    input_ids = torch.tensor([[1, 2, 5, 6, 7, 5, 6]])
    scores = guard(input_ids, torch.zeros(1, 10))
    assert scores[0, 7] == float("-inf")
    assert torch.isfinite(scores[0, [0, 1, 2, 3, 4, 5, 6, 8, 9]]).all()


def test_ngram_guard_ignores_the_prompt():
    guard = WindowedNGramGuard(prompt_length=5, ngram_size=3, window=10)
    input_ids = torch.tensor([[5, 6, 7, 5, 6, 9]])  # the repeat lies in the prompt only
    assert torch.isfinite(guard(input_ids, torch.zeros(1, 10))).all()


def test_generation_never_emits_the_image_placeholder(tiny_loaded, example_lines, monkeypatch):
    seen = {}
    original = tiny_loaded.model.generate

    def spy(**kwargs):
        seen.update(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(tiny_loaded.model, "generate", spy)
    recognize(tiny_loaded, example_lines[0], max_new_tokens=2, mode="small")
    assert seen["suppress_tokens"] == [tiny_loaded.processor.image_token_id]


def _banned_by_rule(tokens: list[int], ngram_size: int) -> set[int]:
    """The guard's rule, written out: tokens that would complete an n-gram already seen in ``tokens``."""
    prefix_len = ngram_size - 1
    prefix = tokens[-prefix_len:]
    return {tokens[i + prefix_len] for i in range(len(tokens) - prefix_len) if tokens[i:i + prefix_len] == prefix}


def test_ngram_guard_matches_its_rule_on_random_batches():
    generator = torch.Generator().manual_seed(0)
    for ngram_size, window, length in ((2, 10, 12), (3, 10, 30), (4, 90, 60), (3, 6, 5)):
        # a small vocabulary makes repeats (and duplicate banned tokens) common
        input_ids = torch.randint(0, 5, (6, 3 + length), generator=generator)
        scores = torch.randn(6, 5, generator=generator)
        guarded = WindowedNGramGuard(prompt_length=3, ngram_size=ngram_size, window=window)(input_ids, scores.clone())
        for row in range(6):
            recent = input_ids[row, 3:].tolist()[-window:]
            banned = _banned_by_rule(recent, ngram_size) if len(recent) >= ngram_size - 1 else set()
            for token in range(5):
                expected = float("-inf") if token in banned else scores[row, token].item()
                assert guarded[row, token].item() == expected, (ngram_size, window, row, token)
