"""The fast decode path (static KV cache + compiled step): where it applies, and the same greedy text."""

import importlib

import pytest

from ocr_space.fast_generate import COMPILE_MIN_PAGES, ENV_SWITCH, DecodeSettings, decode_settings
from ocr_space.recognize import recognize_batch


def test_cpu_and_the_switch_fall_back_with_a_reason(tiny_loaded, monkeypatch):
    settings = decode_settings(tiny_loaded.model, "cpu")
    assert not settings.fast and "cpu" in settings.note
    monkeypatch.setenv(ENV_SWITCH, "0")
    settings = decode_settings(tiny_loaded.model, "cuda")
    assert not settings.fast and ENV_SWITCH in settings.note


def test_cuda_takes_the_graphed_loop_for_any_batch(tiny_loaded, monkeypatch):
    from ocr_space.graphed_decode import graphed_greedy_search

    monkeypatch.delenv(ENV_SWITCH, raising=False)
    for batch_size in (1, 8):
        settings = decode_settings(tiny_loaded.model, "cuda", batch_size)
        assert settings.kwargs == {"custom_generate": graphed_greedy_search} and "graph" in settings.note


def test_long_jobs_compile_the_step(tiny_loaded, monkeypatch):
    """One image at a time from COMPILE_MIN_PAGES["one"] pages, batches from ["batched"]; the switch overrides."""
    import ocr_space.fast_generate as fast_generate

    monkeypatch.delenv(ENV_SWITCH, raising=False)
    monkeypatch.setattr(fast_generate, "compiler_missing", lambda: "")
    one, batched = COMPILE_MIN_PAGES["one"], COMPILE_MIN_PAGES["batched"]

    def compiles(batch_size: int, pages: int) -> bool:
        return decode_settings(tiny_loaded.model, "cuda", batch_size, pages).kwargs.get("compile_step", False)

    assert not compiles(1, one - 1) and compiles(1, one)
    assert not compiles(8, batched - 1) and compiles(8, batched)
    assert not compiles(8, 0)  # a batch that is not full: unknown job, no compilation
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")  # a GPU lent per call: nothing compiled outlives it
    assert not compiles(1, one)
    monkeypatch.delenv("SPACES_ZERO_GPU")
    monkeypatch.setenv(ENV_SWITCH, "compiled")
    assert compiles(1, 0)
    monkeypatch.setenv(ENV_SWITCH, "graphed")
    assert not compiles(1, one) and decode_settings(tiny_loaded.model, "cuda").fast


def test_a_missing_compiler_is_said_and_the_step_still_graphed(tiny_loaded, monkeypatch):
    import ocr_space.fast_generate as fast_generate

    monkeypatch.setenv(ENV_SWITCH, "compiled")
    monkeypatch.setattr(fast_generate, "compiler_missing", lambda: "no triton")
    settings = decode_settings(tiny_loaded.model, "cuda")
    assert settings.fast and "compile_step" not in settings.kwargs and "no triton" in settings.note


@pytest.fixture
def asked(monkeypatch) -> list[tuple[int, int]]:
    """(batch size, pages in the job) of every batch that recognize asks the fast path about."""
    calls = []
    recognize = importlib.import_module("ocr_space.recognize")
    real = recognize.decode_settings
    monkeypatch.setattr(recognize, "decode_settings",
                        lambda model, device, batch_size, pages_in_job: calls.append((batch_size, pages_in_job))
                        or real(model, device, batch_size, pages_in_job))
    return calls


def test_only_the_full_batches_of_a_long_job_ask_for_the_fast_path(tiny_loaded, example_lines, asked):
    recognize_batch(tiny_loaded, (example_lines * 2)[:5], max_new_tokens=2, batch_size=2, mode="small")
    assert asked == [(2, 5), (2, 5), (1, 0)]


def test_quantized_models_fall_back(tiny_loaded, monkeypatch):
    monkeypatch.setattr(tiny_loaded.model.config, "quantization_config", {"load_in_4bit": True}, raising=False)
    assert "quantized" in decode_settings(tiny_loaded.model, "cuda").note


def test_recognize_through_the_graphed_loop_reads_the_same(tiny_loaded, example_lines, monkeypatch):
    """What CUDA runs by default (the step here eager, as the graph would replay it) against plain generate."""
    from ocr_space.graphed_decode import graphed_greedy_search

    images = example_lines[:2]
    generation = tiny_loaded.model.generation_config
    monkeypatch.setattr(generation, "min_new_tokens", 12)  # random weights: keep EOS from ending it at once
    today = recognize_batch(tiny_loaded, images, max_new_tokens=12, batch_size=2, mode="small")
    fast = DecodeSettings({"custom_generate": graphed_greedy_search}, "test")
    monkeypatch.setattr(importlib.import_module("ocr_space.recognize"), "decode_settings",
                        lambda model, device, batch_size, pages_in_job: fast)
    graphed = recognize_batch(tiny_loaded, images, max_new_tokens=12, batch_size=2, mode="small")
    assert [r.new_tokens for r in graphed] == [r.new_tokens for r in today] == [12, 12]
    assert [r.text for r in graphed] == [r.text for r in today]
    assert tiny_loaded.model._ocr_space_decode_sessions.by_shape  # the loop really ran


def test_an_evaluation_tells_each_batch_how_long_its_run_is(tiny_loaded, example_lines, asked):
    from ocr_space.evaluation.engines import LoadedModelEngine
    from ocr_space.evaluation.runner import EvalSamples, run_engines

    samples = EvalSamples.from_lists((example_lines * 2)[:5], ["x"] * 5)
    run_engines(samples, [LoadedModelEngine("batched", tiny_loaded, batch_size=2, max_new_tokens=2)])
    assert asked == [(2, 5), (2, 5), (1, 0)]  # read batch by batch, each full batch knows the run has 5 lines
