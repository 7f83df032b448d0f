"""The image encoder replayed as CUDA graphs: one launch where eager mode issues over a thousand.

DeepSeek-OCR-2 encodes an image with SAM (12 layers) and a Qwen2-shaped encoder (24 layers). At a training
micro-batch of 8 text lines the step is bound by the host (bench/RESULTS.md, 2026-12-02: 0.33 s of host time
against 0.11 s on the GPU), and one image's prefill is bound the same way (56-88 ms at batch 1). In ``small``
mode the encoder always sees the same shape, so it can be captured once as a CUDA graph and replayed: the host
then issues one graph launch for the whole encoder instead of one launch per op.

:func:`install_vision_graphs` puts a dispatcher in front of the vision tower's ``forward``. Each call either
replays a graph captured for its exact signature, or runs the tower as before:

- training (grad on, the tower in train mode): a forward graph and a backward graph. The backward computes the
  trainable tower weights' gradients (the LoRA factors of the Qwen2-shaped encoder) and hands them to autograd
  as one node. These graphs are used only while :func:`training_vision_graphs` is active.
- inference (grad off): a forward graph, for batches up to ``inference_max_batch`` (1: larger batches keep the
  GPU busy by themselves, and each graph keeps its activations allocated).

The signature is the input's shape, dtype and device, grad mode, autocast, the tower's weights (where they
live) and every LoRA layer's state (adapters on or off, merged, active adapter). So switching an adapter off to
measure the base model, or moving the model, captures anew instead of replaying stale weights. A capture that
fails (an op that waits on the host, say) is logged with its reason, that signature runs eagerly from then on,
and :func:`vision_graph_report` says so.

The numbers are the same computation, replayed: tests/models/test_vision_graph.py checks on CPU what can be
checked there (the dispatcher, the signature, the eager path), and the GPU run checks the replayed outputs
and gradients against eager ones (``bench/vision_graph_check.py``).
"""

from __future__ import annotations

import logging
import os
import threading
import types
from collections import OrderedDict
from contextlib import contextmanager

import torch

from ocr_space.models.graph_capture import (
    ForwardGraph,
    GraphState,
    TrainingGraph,
    model_part,
    module_signature,
    structure_signature,
)

log = logging.getLogger("ocr_space.models")

#: environment switch: "0" turns the graphs off everywhere (debugging, comparisons)
ENV_SWITCH = "OCR_SPACE_VISION_GRAPH"
#: graphs kept per tower; the least recently used beyond this are dropped (their memory returns to the allocator)
MAX_GRAPHS = 4


def switched_off() -> bool:
    return os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "off", "no")


class VisionGraphs:
    """The dispatcher in front of one vision tower (see the module doc)."""

    def __init__(self, tower, forward, inference_max_batch: int = 1):
        self.tower = tower
        self.eager_forward = forward
        self.inference_max_batch = inference_max_batch
        self.training_enabled = False
        self.training_structure: tuple | None = None  # the tower's structure, taken once while training is on
        self.graphs: OrderedDict[tuple, object] = OrderedDict()
        self.state = GraphState()
        self._lock = threading.Lock()

    # -- which calls replay ----------------------------------------------------------------------------------
    def signature(self, pixel_values, kwargs: dict) -> tuple | None:
        """The graph key for this call, or None when it must run eagerly."""
        if kwargs or switched_off() or not isinstance(pixel_values, torch.Tensor) or pixel_values.device.type != "cuda":
            return None
        if torch.cuda.is_current_stream_capturing():
            return None
        params = list(self.tower.parameters())
        grad = torch.is_grad_enabled() and any(p.requires_grad for p in params)
        if grad and not self.training_enabled:
            return None
        if not grad and pixel_values.shape[0] > self.inference_max_batch:
            return None
        return (tuple(pixel_values.shape), pixel_values.dtype, pixel_values.device, grad) + \
            module_signature(self.tower, self.training_structure)

    # -- the call --------------------------------------------------------------------------------------------
    def __call__(self, pixel_values, **kwargs):
        key = self.signature(pixel_values, kwargs)
        if key is None or key in self.state.failures:
            return self._eager(pixel_values, kwargs)
        # one caller at a time: a replay's static input and output are shared (the app serves requests in threads)
        with self._lock:
            graph = self.graphs.get(key)
            if graph is not None and graph.busy:  # the same shape twice in one step
                return self._eager(pixel_values, kwargs)
            if graph is None:
                graph = self._capture(key, pixel_values)
                if graph is None:
                    return self._eager(pixel_values, kwargs)
            self.graphs.move_to_end(key)
            self.state.replays += 1
            features = graph(pixel_values)
        from transformers.modeling_outputs import BaseModelOutput

        return BaseModelOutput(last_hidden_state=features)

    def _eager(self, pixel_values, kwargs: dict):
        self.state.eager_calls += 1
        return self.eager_forward(pixel_values, **kwargs)

    def _features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.eager_forward(pixel_values).last_hidden_state

    def _capture(self, key: tuple, pixel_values: torch.Tensor):
        grad, autocast = key[3], key[4]
        trainable = [p for p in self.tower.parameters() if p.requires_grad] if grad else []
        try:
            # autocast's weight-cast cache would hand the graph tensors that are freed when the step ends
            with torch.autocast("cuda", dtype=autocast or torch.float32, enabled=autocast is not None,
                                cache_enabled=False):
                if trainable:
                    graph = TrainingGraph(self._features, (pixel_values,), trainable)
                else:
                    with torch.no_grad():
                        graph = ForwardGraph(self._features, pixel_values)
        except Exception as exc:  # noqa: BLE001 - a capture that fails is a reason to stay eager, reported
            log.warning("vision encoder stays eager for input %s: CUDA graph capture failed (%s)",
                        tuple(pixel_values.shape), self.state.failed(key, exc))
            return None
        self.state.keep(self.graphs, key, graph, MAX_GRAPHS)
        log.info("vision encoder captured as a CUDA graph for input %s (%s)", tuple(pixel_values.shape),
                 "forward and backward" if trainable else "forward")
        return graph


def vision_tower_of(model):
    """The image encoder module this applies to (DeepSeek-OCR-2's ``vision_tower``), or None."""
    return model_part(model, "vision_tower", "DeepseekOcr2VisionModel")


def install_vision_graphs(model, inference_max_batch: int = 1) -> VisionGraphs | None:
    """Put the dispatcher in front of ``model``'s vision tower (once); None where it does not apply."""
    tower = vision_tower_of(model)
    if tower is None:
        return None
    existing = getattr(tower, "_vision_graphs", None)
    if existing is not None:
        return existing
    graphs = VisionGraphs(tower, tower.forward, inference_max_batch)
    tower._vision_graphs = graphs
    tower.forward = types.MethodType(lambda self, pixel_values, **kwargs: graphs(pixel_values, **kwargs), tower)
    return graphs


def uninstall_vision_graphs(model) -> None:
    """Back to the tower's own forward; the graphs and their memory are dropped."""
    tower = vision_tower_of(model)
    if tower is not None and getattr(tower, "_vision_graphs", None) is not None:
        del tower.forward  # the instance attribute: the class's forward is back
        del tower._vision_graphs


@contextmanager
def training_vision_graphs(model):
    """While inside, training calls of the vision tower replay forward+backward graphs (yields the dispatcher)."""
    graphs = install_vision_graphs(model)
    if graphs is None:
        yield None
        return
    graphs.training_enabled = True
    graphs.training_structure = structure_signature(graphs.tower)  # a run does not re-wrap or move the tower
    try:
        yield graphs
    finally:
        graphs.training_enabled = False
        graphs.training_structure = None
        for key in [key for key in graphs.graphs if key[3]]:
            del graphs.graphs[key]  # the training graphs hold a step's activations: give the memory back


def vision_graph_report(model) -> dict | None:
    """The dispatcher's counts and failures, or None where it is not installed."""
    tower = vision_tower_of(model)
    graphs = getattr(tower, "_vision_graphs", None) if tower is not None else None
    if graphs is None:
        return None
    return graphs.state.as_dict()
