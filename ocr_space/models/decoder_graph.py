"""The text decoder's training forward and backward replayed as CUDA graphs, one per length bucket.

With the image encoder replayed (:mod:`ocr_space.models.vision_graph`), the host's remaining work in a training
step is mostly the 12 decoder layers: attention and shared-expert LoRA layers, the router, the grouped expert
matmuls with their factored LoRA, each op launched from Python, forward and backward. Unlike the encoder's
input, the decoder's length changes from batch to batch. So each batch is padded at the end to a multiple of
:data:`BUCKET` tokens, and one graph is captured per padded length. The graphs share one memory pool, since a
step runs only one of them, forward then backward.

Padding at the end changes nothing for the real tokens: the collator pads on the right, attention is causal,
and every token is routed to its experts on its own. So real tokens see only real tokens before them, and the
padded positions, whose labels are ignored, are cut off again before the LM head. The graph therefore runs
without a padding mask (plain causal attention). Checking that a batch is right-padded on the host would make
it wait for the GPU every step, so the check runs on the device and stops the run if it ever fails.

:func:`training_decoder_graphs` switches this on for a training run. Calls that do not fit (generation with a
cache, outputs of hidden states or router logits, no gradient, not on CUDA) run the decoder as before. A failed
capture is logged with its reason, and that length then runs eagerly.
"""

from __future__ import annotations

import logging
import math
import types
from collections import OrderedDict
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from ocr_space.models.graph_capture import GraphState, TrainingGraph, model_part, module_signature, structure_signature
from ocr_space.models.vision_graph import switched_off

log = logging.getLogger("ocr_space.models")

#: padded lengths are multiples of this: text lines in `small` mode (145 image tokens + 10-60 text) fall into 2-3
BUCKET = 64
#: graphs kept (each holds its own gradient buffers; activations are in the shared pool)
MAX_GRAPHS = 6
#: keyword arguments the graphed call may ignore (the Trainer's loss bookkeeping, flags left at their defaults)
_IGNORABLE = {"num_items_in_batch", "return_dict"}
_FALSY_FLAGS = {"output_attentions", "output_hidden_states", "output_router_logits", "use_cache"}


def padded_length(length: int, bucket: int = BUCKET) -> int:
    """The graph length a batch of ``length`` tokens runs at.

    >>> padded_length(176), padded_length(192), padded_length(193)
    (192, 192, 256)
    """
    return int(math.ceil(length / bucket) * bucket)


def check_right_padded(attention_mask: torch.Tensor | None) -> bool:
    """False for a mask that cannot be right padding (not 2-D). A 2-D mask is checked on the device, without
    making the host wait: rows that are not ones-then-zeros stop the run with a device-side assert instead of
    training on a wrong mask. train()'s collator always pads on the right."""
    if attention_mask is None:
        return True
    if attention_mask.dim() != 2:
        return False
    torch._assert_async((attention_mask[:, 1:] <= attention_mask[:, :-1]).all(),
                        "the decoder's CUDA graph needs right-padded batches (ocr_space.models.decoder_graph)")
    return True


class DecoderGraphs:
    """The dispatcher in front of the decoder's ``forward`` (see the module doc)."""

    def __init__(self, decoder, forward):
        self.decoder = decoder
        self.eager_forward = forward
        self.graphs: OrderedDict[tuple, TrainingGraph] = OrderedDict()
        self.state = GraphState()
        self.pool = None
        self.grad_buffers: set[int] = set()  # the gradient buffers of all graphs in the shared pool
        # these graphs exist only inside a training run, which does not re-wrap or move the decoder
        self.structure = structure_signature(decoder)

    def _eligible(self, inputs_embeds, attention_mask, position_ids, past_key_values, kwargs) -> bool:
        if switched_off() or inputs_embeds is None or position_ids is not None or past_key_values is not None:
            return False
        if inputs_embeds.device.type != "cuda" or not torch.is_grad_enabled():
            return False
        if torch.cuda.is_current_stream_capturing():
            return False
        for name, value in kwargs.items():
            if name not in _IGNORABLE and not (name in _FALSY_FLAGS and not value):
                return False
        return check_right_padded(attention_mask)

    def _key(self, shape: tuple, inputs_embeds) -> tuple:
        return (shape, inputs_embeds.dtype, inputs_embeds.requires_grad) + module_signature(self.decoder, self.structure)

    def __call__(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None,
                 inputs_embeds=None, use_cache=None, **kwargs):
        everything = dict(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                          past_key_values=past_key_values, inputs_embeds=inputs_embeds, use_cache=use_cache, **kwargs)
        if input_ids is not None or not self._eligible(inputs_embeds, attention_mask, position_ids, past_key_values,
                                                       {"use_cache": use_cache, **kwargs}):
            self.state.eager_calls += 1
            return self.eager_forward(**everything)
        batch, length, hidden = inputs_embeds.shape
        padded = padded_length(length)
        key = self._key((batch, padded, hidden), inputs_embeds)
        graph = self.graphs.get(key)
        if key in self.state.failures or (graph is not None and graph.busy):
            self.state.eager_calls += 1
            return self.eager_forward(**everything)
        embeds = F.pad(inputs_embeds, (0, 0, 0, padded - length)) if padded > length else inputs_embeds
        if graph is None:
            graph = self._capture(key, embeds)
            if graph is None:
                self.state.eager_calls += 1
                return self.eager_forward(**everything)
        self.graphs.move_to_end(key)
        self.state.replays += 1
        from transformers.modeling_outputs import MoeModelOutputWithPast

        return MoeModelOutputWithPast(last_hidden_state=graph(embeds)[:, :length], past_key_values=None)

    def _run(self, embeds: torch.Tensor) -> torch.Tensor:
        return self.eager_forward(inputs_embeds=embeds, attention_mask=None, use_cache=False).last_hidden_state

    def _capture(self, key: tuple, embeds: torch.Tensor):
        autocast = key[3]
        trainable = [p for p in self.decoder.parameters() if p.requires_grad]
        try:
            if self.pool is None:
                self.pool = torch.cuda.graph_pool_handle()
            with torch.autocast("cuda", dtype=autocast or torch.float32, enabled=autocast is not None,
                                cache_enabled=False):
                graph = TrainingGraph(self._run, (embeds,), trainable, pool=self.pool, registry=self.grad_buffers)
        except Exception as exc:  # noqa: BLE001 - a capture that fails is a reason to stay eager, reported
            log.warning("decoder stays eager for length %d: CUDA graph capture failed (%s)", key[0][1],
                        self.state.failed(key, exc))
            return None
        self.state.keep(self.graphs, key, graph, MAX_GRAPHS)
        log.info("decoder captured as CUDA graphs (forward and backward) for %d x %d tokens", key[0][0], key[0][1])
        return graph


def decoder_of(model):
    """DeepSeek-OCR-2's text decoder (``model.model.language_model``), or None."""
    return model_part(model, "language_model", "DeepseekOcr2TextModel")


@contextmanager
def training_decoder_graphs(model):
    """While inside, the decoder's training calls replay per-length graphs (yields the dispatcher, or None)."""
    decoder = decoder_of(model)
    if decoder is None:
        yield None
        return
    graphs = DecoderGraphs(decoder, decoder.forward)
    decoder.forward = types.MethodType(lambda self, *args, **kwargs: graphs(*args, **kwargs), decoder)
    try:
        yield graphs
    finally:
        del decoder.forward  # the instance attribute: the class's forward is back
        graphs.graphs.clear()  # their memory returns to the allocator
