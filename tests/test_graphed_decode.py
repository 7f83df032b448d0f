"""The graphed greedy loop (ocr_space.graphed_decode): the same tokens as ``generate``, on the CPU and the GPU.

On the CPU the decode step runs eagerly (the exact code a CUDA graph captures); the tests marked ``cuda`` run on
the lent GPU (``pytest --noconftest``), where the step is captured and replayed.
"""

from __future__ import annotations

import pytest
import torch
from transformers import LogitsProcessorList, StaticCache
from transformers.masking_utils import create_masks_for_generate

from ocr_space.graphed_decode import (
    CACHE_BUCKET,
    drop_sessions,
    graphed_greedy_search,
    session_for,
    streaming_kwargs,
)
from ocr_space.repetition import WindowedNGramGuard

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a GPU (run on the lent device)")


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    """The module's own tiny DeepSeek-OCR-2, so the GPU run needs no conftest."""
    from ocr_space.testing import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-ocr2-graphed"))


def _loaded(tiny_dir, device: str, dtype: torch.dtype | None = None):
    from ocr_space.models.loading import load_model

    return load_model(str(tiny_dir), device=device, **({"dtype": dtype} if dtype else {}))


@pytest.fixture(scope="module")
def cpu_loaded(tiny_dir):
    return _loaded(tiny_dir, "cpu")


@pytest.fixture(scope="module")
def lines():
    from pathlib import Path

    from PIL import Image

    folder = Path(__file__).resolve().parent.parent / "examples" / "lines"
    return [Image.open(path).convert("RGB") for path in sorted(folder.glob("*.png"))[:3]]


def _inputs(loaded, images, prompts):
    """Processor inputs for ``images`` with one prompt each (prompts of different lengths pad on the left)."""
    loaded.tokenizer.padding_side = "left"
    kwargs = loaded.family.mode("small").processor_kwargs(loaded.processor)
    inputs = loaded.processor(images=images, text=prompts, return_tensors="pt", padding=True, **kwargs)
    inputs = inputs.to(loaded.device)
    inputs["pixel_values"] = inputs["pixel_values"].to(loaded.dtype)
    return inputs


def _both(loaded, inputs, max_new_tokens: int, min_new_tokens: int | None = None, guard: bool = True, **extra):
    """``generate``'s own loop (dynamic cache), then the graphed loop, on the same request."""
    settings = {"max_new_tokens": max_new_tokens, "do_sample": False, "num_beams": 1,
                "pad_token_id": loaded.tokenizer.pad_token_id, "eos_token_id": loaded.tokenizer.eos_token_id,
                "suppress_tokens": [loaded.processor.image_token_id]}
    if min_new_tokens is not None:
        settings["min_new_tokens"] = min_new_tokens

    def processors():
        return LogitsProcessorList([WindowedNGramGuard(inputs["input_ids"].shape[1], ngram_size=3)] if guard else [])

    loop = {key: extra.pop(key) for key in ("compile_step",) if key in extra}
    settings.update(extra)
    with torch.inference_mode():
        plain = loaded.model.generate(**inputs, **settings, logits_processor=processors())
        graphed = loaded.model.generate(**inputs, **settings, logits_processor=processors(),
                                        custom_generate=graphed_greedy_search, **loop)
    return plain, graphed


def test_one_image_reads_the_same_tokens(cpu_loaded, lines):
    plain, graphed = _both(cpu_loaded, _inputs(cpu_loaded, lines[:1], ["<image>\nFree OCR."]), 40, min_new_tokens=40)
    assert plain.shape[1] == graphed.shape[1] and torch.equal(plain, graphed)


def test_a_padded_batch_reads_the_same_tokens(cpu_loaded, lines):
    """Prompts of different lengths: left padding, per-row positions, the key mask."""
    inputs = _inputs(cpu_loaded, lines[:2], ["<image>\nFree OCR.", "<image>\nFree OCR. Every line, as written."])
    assert not bool(inputs["attention_mask"].all())  # the first row really is padded
    plain, graphed = _both(cpu_loaded, inputs, 30, min_new_tokens=30)
    assert torch.equal(plain, graphed)


def test_rows_that_end_early_are_padded_the_same(cpu_loaded, lines):
    """EOS allowed at once: rows stop at different steps, the finished ones get pads, the loop stops with them."""
    inputs = _inputs(cpu_loaded, lines, ["<image>\nFree OCR."] * 3)
    eos = cpu_loaded.tokenizer.eos_token_id
    # random weights rarely pick EOS: make the first row's second token EOS by suppressing everything else there
    plain, graphed = _both(cpu_loaded, inputs, 24, guard=False, sequence_bias={(eos,): 4.0})
    assert torch.equal(plain, graphed)
    assert (plain[:, inputs["input_ids"].shape[1]:] == eos).any()  # some row did end early


def test_later_calls_reuse_the_session_and_read_the_same(cpu_loaded, lines):
    drop_sessions(cpu_loaded.model)
    inputs = _inputs(cpu_loaded, lines[:1], ["<image>\nFree OCR."])
    first = _both(cpu_loaded, inputs, 20, min_new_tokens=20)
    sessions = dict(cpu_loaded.model._ocr_space_decode_sessions.by_shape)
    second = _both(cpu_loaded, _inputs(cpu_loaded, lines[1:2], ["<image>\nFree OCR."]), 20, min_new_tokens=20)
    assert torch.equal(*first) and torch.equal(*second)
    assert dict(cpu_loaded.model._ocr_space_decode_sessions.by_shape) == sessions  # same cache, same graph
    ((batch, length, *_),) = sessions
    assert batch == 1 and length % CACHE_BUCKET == 0 and length >= inputs["input_ids"].shape[1] + 20


def test_on_zero_gpu_no_session_outlives_the_call(cpu_loaded, lines, monkeypatch):
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    drop_sessions(cpu_loaded.model)
    plain, graphed = _both(cpu_loaded, _inputs(cpu_loaded, lines[:1], ["<image>\nFree OCR."]), 8, min_new_tokens=8)
    assert torch.equal(plain, graphed)
    assert "_ocr_space_decode_sessions" not in cpu_loaded.model.__dict__


def test_a_copied_model_starts_without_sessions(cpu_loaded):
    """Sessions hold locks, caches and graphs of the original's tensors: deepcopy and pickle leave them behind."""
    import copy
    import pickle

    session_for(cpu_loaded.model, 1, 100, capture=False)
    assert not copy.deepcopy(cpu_loaded.model)._ocr_space_decode_sessions.by_shape
    assert not pickle.loads(pickle.dumps(cpu_loaded.model._ocr_space_decode_sessions)).by_shape


def test_a_changed_model_gets_a_new_session(cpu_loaded):
    """A graph replays what it recorded: another experts kernel or an adapter switched off must not reuse it."""
    model = cpu_loaded.model
    first = session_for(model, 1, 100, capture=False)
    assert session_for(model, 1, 100, capture=False) is first
    implementation = model.get_experts_implementation()
    try:
        model.set_experts_implementation({key: "eager" for key in implementation} if
                                         set(implementation.values()) != {"eager"} else
                                         {key: "batched_mm" for key in implementation})
        assert session_for(model, 1, 100, capture=False) is not first
    finally:
        model.set_experts_implementation(implementation)


def test_the_step_mask_is_transformers_static_cache_mask(cpu_loaded, lines):
    """The mask the graph builds from the key mask and the slot equals create_masks_for_generate's."""
    model = cpu_loaded.model
    inputs = _inputs(cpu_loaded, lines[:2], ["<image>\nFree OCR.", "<image>\nFree OCR. Every line, as written."])
    prompt = inputs["input_ids"].shape[1]
    session = session_for(model, 2, prompt + 8, capture=False)
    session.start(inputs["attention_mask"], prompt)
    cache = StaticCache(config=model.config.get_text_config(decoder=True), max_cache_len=session.cache_length)
    with torch.inference_mode():
        model(**inputs, past_key_values=cache, use_cache=True)  # fills the cache to the prompt's length
    for generated in range(3):
        session.slot.fill_(prompt + generated)
        grown = torch.cat([inputs["attention_mask"], torch.ones(2, generated + 1, dtype=torch.long)], dim=1)
        expected = create_masks_for_generate(config=model.config, inputs_embeds=torch.empty((2, 1, 0)),
                                             attention_mask=grown, past_key_values=cache,
                                             position_ids=torch.zeros(2, 1, dtype=torch.long))
        assert torch.equal(session.step_mask(), expected)
        cache.layers[0].cumulative_length.add_(1)
        for layer in cache.layers[1:]:
            layer.cumulative_length.add_(1)


def test_the_streamer_gets_each_token(cpu_loaded, lines):
    class Collect:
        def __init__(self):
            self.parts = []

        def put(self, value):
            self.parts.append(value.tolist())

        def end(self):
            self.parts.append("end")

    inputs = _inputs(cpu_loaded, lines[:1], ["<image>\nFree OCR."])
    streamer = Collect()
    with torch.inference_mode():
        kwargs = {"custom_generate": graphed_greedy_search}
        output = cpu_loaded.model.generate(**inputs, max_new_tokens=6, min_new_tokens=6, do_sample=False,
                                           **kwargs, **streaming_kwargs(kwargs, streamer))
    prompt = inputs["input_ids"].shape[1]
    assert streamer.parts[0] == inputs["input_ids"].tolist()  # generate's own put: the prompt
    assert streamer.parts[-1] == "end"
    assert [part[0] for part in streamer.parts[1:-1]] == output[0, prompt:].tolist()


@cuda
def test_the_replayed_graph_reads_the_same_tokens_on_the_gpu(tiny_dir, lines):
    loaded = _loaded(tiny_dir, "cuda")
    for images, prompts in ((lines[:1], ["<image>\nFree OCR."]),
                            (lines[:2], ["<image>\nFree OCR.", "<image>\nFree OCR. Every line, as written."])):
        inputs = _inputs(loaded, images, prompts)
        for _ in range(2):  # the second call replays the graph captured by the first
            plain, graphed = _both(loaded, inputs, 40, min_new_tokens=40)
            assert torch.equal(plain, graphed)
    sessions = list(loaded.model._ocr_space_decode_sessions.by_shape.values())
    assert sessions and all(session.graph is not None and not session.failure for session in sessions)


@cuda
def test_the_compiled_step_reads_the_same_tokens_on_the_gpu(tiny_dir, lines):
    """Long jobs compile the step with inductor before capturing it (ocr_space.fast_generate).

    In fp32: inductor's fused kernels round once where eager bf16 rounds after every op, and on random weights
    that alone flips near-tied argmaxes (the full-size bench reports the texts, not this equality).
    """
    loaded = _loaded(tiny_dir, "cuda", torch.float32)
    inputs = _inputs(loaded, lines[:2], ["<image>\nFree OCR.", "<image>\nFree OCR. Every line, as written."])
    for _ in range(2):
        plain, graphed = _both(loaded, inputs, 40, min_new_tokens=40, compile_step=True)
        sessions = list(loaded.model._ocr_space_decode_sessions.by_shape.values())
        failures = [session.failure for session in sessions]
        assert torch.equal(plain, graphed), (failures, (plain != graphed).nonzero()[:4].tolist())
    assert len(sessions) == 1, [key[:4] for key in loaded.model._ocr_space_decode_sessions.by_shape]
    assert sessions[0].forward is not None and sessions[0].graph is not None and not failures[0]


@cuda
def test_a_step_that_cannot_be_captured_runs_eagerly_with_the_same_tokens(tiny_dir, lines, monkeypatch):
    """A T4 has no grouped matmul: transformers' fallback reads the expert counts back to the host, which a
    capture refuses. The step then runs eagerly, says why, and reads the same tokens."""
    import transformers.integrations.moe as moe

    loaded = _loaded(tiny_dir, "cuda", torch.float32)
    loaded.model.set_experts_implementation("grouped_mm")  # rows of any count take the (forced) fallback
    monkeypatch.setattr(moe, "_can_use_grouped_mm", lambda *args: False)
    inputs = _inputs(loaded, lines[:2], ["<image>\nFree OCR.", "<image>\nFree OCR. Every line, as written."])
    for _ in range(2):
        plain, graphed = _both(loaded, inputs, 20, min_new_tokens=20)
        assert torch.equal(plain, graphed)
    (session,) = loaded.model._ocr_space_decode_sessions.by_shape.values()
    assert session.graph is None and session.failure
