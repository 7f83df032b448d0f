"""The fast decode path (static KV cache + compiled step): where it applies, and the same greedy text."""

import importlib

import pytest
import torch
from transformers import CompileConfig

from ocr_space.fast_generate import ENV_SWITCH, DecodeSettings, decode_settings
from ocr_space.recognize import recognize_batch


def test_cpu_and_the_switch_fall_back_with_a_reason(tiny_loaded, monkeypatch):
    settings = decode_settings(tiny_loaded.model, "cpu")
    assert not settings.fast and "cpu" in settings.note
    monkeypatch.setenv(ENV_SWITCH, "0")
    settings = decode_settings(tiny_loaded.model, "cuda")
    assert not settings.fast and ENV_SWITCH in settings.note


def test_batches_pay_for_the_compilation_only_in_long_jobs():
    from ocr_space.fast_generate import FAST_DECODE_MIN_BATCHED_PAGES, _not_worth_it

    assert _not_worth_it(1, 0) == ""  # one image at a time: always worth it
    assert "1024 pages" in _not_worth_it(32, FAST_DECODE_MIN_BATCHED_PAGES - 1)
    assert "not full" in _not_worth_it(32, 0)
    assert _not_worth_it(32, FAST_DECODE_MIN_BATCHED_PAGES) == ""


def test_batches_take_the_fast_path_only_in_long_jobs(tiny_loaded, monkeypatch):
    pytest.importorskip("triton")
    from ocr_space.fast_generate import FAST_DECODE_MIN_BATCHED_PAGES

    assert "batches" in decode_settings(tiny_loaded.model, "cuda", batch_size=8).note
    assert not decode_settings(tiny_loaded.model, "cuda", 8, FAST_DECODE_MIN_BATCHED_PAGES - 1).fast
    assert decode_settings(tiny_loaded.model, "cuda", 8, FAST_DECODE_MIN_BATCHED_PAGES).fast


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
    pytest.importorskip("triton")
    monkeypatch.setattr(tiny_loaded.model.config, "quantization_config", {"load_in_4bit": True}, raising=False)
    assert "quantized" in decode_settings(tiny_loaded.model, "cuda").note


def test_static_cache_compiled_decode_reads_the_same_tokens(tiny_loaded, example_lines, monkeypatch):
    """The fast path's generate arguments, with the compiled step traced by dynamo and run eagerly (CPU)."""
    images = example_lines[:2]
    generation = tiny_loaded.model.generation_config
    monkeypatch.setattr(generation, "min_new_tokens", 12)  # random weights: keep EOS from ending it at once
    today = recognize_batch(tiny_loaded, images, max_new_tokens=12, batch_size=2, mode="small")

    compile_config = CompileConfig(fullgraph=False, dynamic=False, backend="eager", mode=None)
    compile_config._compile_all_devices = True  # transformers compiles only on accelerators unless told
    fast = DecodeSettings({"cache_implementation": "static", "compile_config": compile_config}, "test")
    monkeypatch.setattr(importlib.import_module("ocr_space.recognize"), "decode_settings",
                        lambda model, device, batch_size, pages_in_job: fast)
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    static = recognize_batch(tiny_loaded, images, max_new_tokens=12, batch_size=2, mode="small")
    assert [r.new_tokens for r in static] == [r.new_tokens for r in today] == [12, 12]
    assert [r.text for r in static] == [r.text for r in today]
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] >= 1  # the decode step really was traced


def test_an_evaluation_tells_each_batch_how_long_its_run_is(tiny_loaded, example_lines, asked):
    from ocr_space.evaluation.engines import LoadedModelEngine
    from ocr_space.evaluation.runner import EvalSamples, run_engines

    samples = EvalSamples.from_lists((example_lines * 2)[:5], ["x"] * 5)
    run_engines(samples, [LoadedModelEngine("batched", tiny_loaded, batch_size=2, max_new_tokens=2)])
    assert asked == [(2, 5), (2, 5), (1, 0)]  # read batch by batch, each full batch knows the run has 5 lines
