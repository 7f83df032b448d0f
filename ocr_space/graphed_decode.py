"""Greedy decoding with each one-token step replayed as a CUDA graph, as ``generate``'s own decoding loop.

``generate`` spends most of a one-image decode step in Python: it prepares the step's inputs, builds its
attention mask, calls the model, updates its keyword arguments and checks the stopping criteria, every
token. With the decode step compiled (transformers' static cache + ``compile_config``) the GPU still waited
on that host work: on the H200 a one-image step took ~2.6 ms (238.9 new tokens/s, bench/RESULTS.md, session
6) where the weights one token reads allow a fraction of that. So here the step is captured once as a
CUDA graph (a fraction of a second; for long jobs after inductor compiled it, 13-17 s) and the host does per
token only what must stay outside it: the logits processors, the argmax, the stopping criteria, one graph
replay. Which calls compile is :mod:`ocr_space.fast_generate`'s choice.

It plugs in through ``generate(custom_generate=graphed_greedy_search)``, transformers' documented hook for a
decoding loop: ``generate`` still validates the request and prepares the inputs, the logits processors and
the stopping criteria; this loop replaces ``_sample`` and applies them exactly as it does (same order, fp32
scores, pads after EOS). The one difference is the KV cache: a static cache sized in buckets of
:data:`CACHE_BUCKET` tokens, kept per model with its graph (:class:`DecodeSession`), so that later calls of
the same batch size replay the same graph. The static cache masks its unused slots, so greedy tokens are the
same as ``generate``'s (tests/test_graphed_decode.py compares token for token on the tiny model).

The step's attention mask is built inside the graph from a per-row key mask (the prompt's padding, then
ones) and the step's cache slot: the same boolean mask transformers' ``create_masks_for_generate`` makes for
a static cache, without its host-side checks (a test compares the two).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

import torch

from ocr_space.zerogpu import on_zero_gpu

log = logging.getLogger("ocr_space.generate")

#: the static cache's length is rounded up to a multiple of this, so prompts of nearby lengths share a graph
CACHE_BUCKET = 256
#: (batch size, cache length) sessions kept per model: each holds a KV cache and a graph's memory
MAX_SESSIONS = 2
#: the keyword arguments a decode step passes to the model; any other means a model this loop does not know
_STEP_INPUTS = {"input_ids", "position_ids", "attention_mask", "past_key_values", "use_cache", "logits_to_keep"}


class DecodeSession:
    """One batch size and cache length: the static KV cache, the step's static inputs, and its CUDA graph."""

    def __init__(self, model, batch_size: int, cache_length: int, capture: bool, compiled: bool = False):
        from transformers import StaticCache

        self._model = weakref.ref(model)  # the model holds its sessions; no cycle back to it
        self.cache = StaticCache(config=model.config.get_text_config(decoder=True), max_cache_len=cache_length)
        device = model.device
        self.batch_size, self.cache_length = batch_size, cache_length
        self.token = torch.zeros((batch_size, 1), dtype=torch.long, device=device)
        self.position = torch.zeros((batch_size, 1), dtype=torch.long, device=device)
        self.slot = torch.zeros((), dtype=torch.long, device=device)
        self.key_mask = torch.ones((batch_size, cache_length), dtype=torch.bool, device=device)
        self.kv_index = torch.arange(cache_length, device=device)
        self.capture = capture
        self.graph: torch.cuda.CUDAGraph | None = None
        self.logits: torch.Tensor | None = None
        self.failure = ""
        self.extra: dict = {}
        self.lock = threading.Lock()  # one decode at a time uses the cache and the graph
        # long jobs (ocr_space.fast_generate): inductor fuses the step's kernels before the capture, at the
        # price of a compilation per session
        self.forward = torch.compile(model.__call__, dynamic=False, fullgraph=False) if compiled else None
        self.warm_steps = 2 if compiled else 1  # a compiled step: compilation, then one plain run

    def start(self, attention_mask: torch.Tensor | None, prompt_length: int) -> None:
        """Reset the cache (same tensors, so the graph stays valid) and the key mask for a new batch."""
        self.cache.reset()
        self.key_mask.fill_(True)
        if attention_mask is not None:
            self.key_mask[:, :prompt_length].copy_(attention_mask.bool())

    def step_mask(self) -> torch.Tensor:
        """The step's boolean mask, (batch, 1, 1, cache length): a key is seen if it is no pad and not ahead."""
        return (self.key_mask & (self.kv_index <= self.slot))[:, None, None, :]

    def _step(self) -> torch.Tensor:
        forward = self.forward or self._model()
        outputs = forward(input_ids=self.token, position_ids=self.position, attention_mask=self.step_mask(),
                             past_key_values=self.cache, use_cache=True, return_dict=True, **self.extra)
        logits = outputs.logits[:, -1].to(dtype=torch.float32)
        self.slot.add_(1)
        self.position.add_(1)
        return logits

    def step(self) -> torch.Tensor:
        """One token for every row: the graph's replay where it was captured, else the same step run eagerly."""
        if self.graph is not None:
            self.graph.replay()
            return self.logits
        if not self.capture or self.failure:
            return self._step()
        logits = self._step()  # these tokens run eagerly (warming up cuBLAS, the experts' kernels, the compiler)
        self.warm_steps -= 1
        if self.warm_steps <= 0:
            self._capture()
        return logits

    def _capture(self) -> None:
        slot, position = self.slot.clone(), self.position.clone()
        lengths = [layer.cumulative_length.clone() for layer in self.cache.layers]
        graph = torch.cuda.CUDAGraph()
        try:
            torch.cuda.synchronize()
            with torch.cuda.graph(graph, capture_error_mode="thread_local"):
                logits = self._step()
        except Exception as exc:  # noqa: BLE001 - a step that cannot be captured runs eagerly, said once
            self.failure = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
            log.warning("decode step not captured as a CUDA graph (runs eagerly): %s", self.failure)
            torch.cuda.synchronize()
            return
        finally:  # capturing records the step without running it; the counters must not move
            self.slot.copy_(slot)
            self.position.copy_(position)
            for layer, length in zip(self.cache.layers, lengths, strict=True):
                layer.cumulative_length.copy_(length)
        self.graph, self.logits = graph, logits


@dataclass
class _Sessions:
    """A model's sessions, kept in its ``__dict__``: a copy or a pickle of the model starts without any."""

    by_shape: OrderedDict = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __deepcopy__(self, memo) -> _Sessions:  # caches and graphs belong to the original's tensors
        return _Sessions()

    def __reduce__(self):
        return (_Sessions, ())


def session_for(model, batch_size: int, needed_length: int, capture: bool, compiled: bool = False) -> DecodeSession:
    """The model's session for this batch size and a cache of at least ``needed_length`` (LRU of two).

    A graph replays the kernels it recorded: a model since changed (adapter merged or switched off, weights
    moved, another experts kernel, train mode) gets a new session, keyed by :func:`model_state`.
    """
    cache_length = -(-needed_length // CACHE_BUCKET) * CACHE_BUCKET
    sessions = model.__dict__.setdefault("_ocr_space_decode_sessions", _Sessions())
    key = (batch_size, cache_length, capture, compiled, model_state(model))
    with sessions.lock:
        if key not in sessions.by_shape:
            while len(sessions.by_shape) >= MAX_SESSIONS:
                sessions.by_shape.popitem(last=False)
            sessions.by_shape[key] = DecodeSession(model, batch_size, cache_length, capture, compiled)
        sessions.by_shape.move_to_end(key)
        return sessions.by_shape[key]


def model_state(model) -> tuple:
    """What a captured step baked in besides its shapes: structure, adapters, weights' place, kernels chosen."""
    from ocr_space.models.graph_capture import module_signature

    experts = model.get_experts_implementation() if hasattr(model, "get_experts_implementation") else {}
    return (module_signature(model), tuple(sorted(experts.items())),
            getattr(model.config, "_attn_implementation", None))


def drop_sessions(model) -> None:
    """Free the model's decode caches and graphs now (ZeroGPU, after each call; a changed model needs no call:
    :func:`session_for` keys sessions by :func:`model_state`)."""
    model.__dict__.pop("_ocr_space_decode_sessions", None)


def graphed_greedy_search(model, input_ids: torch.LongTensor, logits_processor, stopping_criteria,
                          generation_config, synced_gpus: bool = False, compile_step: bool = False,
                          stream_tokens_to=None, **model_kwargs) -> torch.LongTensor:
    """``generate``'s greedy loop (``_sample`` without sampling) on a static cache, each step a graph replay.

    Pass it as ``model.generate(..., custom_generate=graphed_greedy_search)``. On CUDA the decode step is
    captured; elsewhere it runs the same step eagerly (what the CPU tests exercise). ``compile_step`` (a
    ``generate`` keyword) has inductor compile the step before it is captured (long jobs, where it pays).
    ``stream_tokens_to``: a streamer that gets each step's tokens and the end (``generate`` hands its own
    ``streamer`` only the prompt when a ``custom_generate`` runs the loop; :func:`streaming_kwargs`).
    """
    if generation_config.do_sample or generation_config.num_beams != 1 or synced_gpus \
            or generation_config.return_dict_in_generate:
        raise ValueError("graphed_greedy_search decodes greedily, one sequence per input, and returns ids only")
    batch_size, prompt_length = input_ids.shape
    max_length = stopping_criteria.max_length or prompt_length + generation_config.max_new_tokens
    session = session_for(model, batch_size, max_length, input_ids.device.type == "cuda", compile_step)
    try:
        with session.lock:
            return _decode(session, model, input_ids, logits_processor, stopping_criteria, generation_config,
                           stream_tokens_to, max_length, model_kwargs)
    finally:
        if on_zero_gpu():  # the GPU is lent per call there: no cache or graph may outlive the call
            drop_sessions(model)


def _decode(session: DecodeSession, model, input_ids, logits_processor, stopping_criteria, generation_config,
            streamer, max_length: int, model_kwargs: dict) -> torch.LongTensor:
    batch_size, prompt_length = input_ids.shape
    attention_mask = model_kwargs.get("attention_mask")
    _check_step_inputs(model, input_ids, model_kwargs)  # before the prefill, which a refusal would waste
    session.start(attention_mask, prompt_length)
    model_kwargs["past_key_values"] = session.cache

    model_inputs = model.prepare_inputs_for_generation(input_ids, is_first_iteration=True, **model_kwargs)
    outputs = model(**model_inputs, return_dict=True)
    logits = outputs.logits[:, -1].to(copy=True, dtype=torch.float32)
    del outputs
    positions = model_inputs.get("position_ids")
    last_position = positions[:, -1:] if positions is not None else torch.full_like(input_ids[:, :1], prompt_length - 1)
    session.position.copy_(last_position + 1)
    session.slot.fill_(prompt_length)
    keep = model_kwargs.get("logits_to_keep")
    session.extra = {"logits_to_keep": keep} if keep is not None else {}

    sequences = torch.empty((batch_size, max_length), dtype=torch.long, device=input_ids.device)
    sequences[:, :prompt_length] = input_ids
    length = prompt_length
    pad = generation_config._pad_token_tensor
    unfinished = torch.ones(batch_size, dtype=torch.long, device=input_ids.device)
    finished_flag = torch.zeros((), dtype=torch.bool, pin_memory=input_ids.device.type == "cuda")
    while True:
        scores = logits_processor(sequences[:, :length], logits)
        next_tokens = torch.argmax(scores, dim=-1)
        if pad is not None:
            next_tokens = next_tokens * unfinished + pad * (1 - unfinished)
        sequences[:, length] = next_tokens
        length += 1
        unfinished = unfinished & ~stopping_criteria(sequences[:, :length], scores)
        if streamer is not None:
            streamer.put(next_tokens.cpu())
        if length >= max_length:
            break
        # the next step is queued before this one's stop flag is read: the host stays a step ahead of the GPU
        session.token.copy_(next_tokens[:, None])
        finished_flag.copy_(unfinished.max() == 0, non_blocking=True)
        done = torch.cuda.Event() if input_ids.device.type == "cuda" else None
        if done is not None:
            done.record()
        logits = session.step()  # discarded if the flag says every row had finished
        if done is not None:
            done.synchronize()
        if bool(finished_flag):
            break
    if streamer is not None:
        streamer.end()
    return sequences[:, :length]


def streaming_kwargs(generate_kwargs: dict, streamer) -> dict:
    """What a streaming ``generate`` call adds to ``generate_kwargs``: the streamer, where this loop sends tokens."""
    extra = {"streamer": streamer}
    if generate_kwargs.get("custom_generate") is graphed_greedy_search:
        extra["stream_tokens_to"] = streamer
    return extra


def _check_step_inputs(model, input_ids: torch.Tensor, model_kwargs: dict) -> None:
    """Refuse a model whose decode step takes inputs this loop does not feed (it would read them wrongly)."""
    probe = {key: value for key, value in model_kwargs.items() if key != "past_key_values"}
    step_inputs = model.prepare_inputs_for_generation(input_ids, next_sequence_length=1, is_first_iteration=False,
                                                      **probe)
    unknown = {key for key, value in step_inputs.items() if value is not None} - _STEP_INPUTS
    if unknown:
        raise ValueError(f"{type(model).__name__}'s decode step takes {sorted(unknown)}, which the graphed "
                         "decode does not feed")
