"""CUDA-graph capture of a model part: a forward graph, and for training the backward graph as one autograd node.

The dispatchers (:mod:`ocr_space.models.vision_graph`, :mod:`ocr_space.models.decoder_graph`) decide which calls
replay; this module only captures and replays. Like ``torch.cuda.make_graphed_callables``, it warms up on a
side stream, captures the forward, then captures ``torch.autograd.grad`` of the output as the backward. It
differs from it where training needs it:

- gradients can accumulate over micro-batches. Autograd keeps a fresh gradient tensor as ``.grad`` without
  copying it, which here is the graph's static gradient buffer. That buffer lives in the graph's memory pool,
  where the forward graph, captured first, keeps its temporaries in memory the backward capture later reused.
  So the next micro-batch's forward replay scribbles over the first micro-batch's ``.grad`` (on the H200 the
  accumulated gradients came out as activation values). :class:`_Replayed` therefore copies any ``.grad`` that
  still aliases a gradient buffer of the pool before it replays anything (``registry``).
- after capture the capture's own autograd graph is dropped. Kept alive, it pins the weights'
  gradient-accumulation nodes to the capture stream, and later backward passes accumulate there.
- several graphs can share one memory pool when they never run interleaved (the decoder's length buckets).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

import torch

#: eager runs on a side stream before a capture (cuDNN/cuBLAS pick their kernels; lazy state settles)
WARMUP_RUNS = 2


@dataclass
class GraphState:
    """What the dispatcher did, for reports and status files."""

    captured: int = 0
    replays: int = 0
    eager_calls: int = 0
    failures: dict[tuple, str] = field(default_factory=dict)  # by signature

    def failed(self, key: tuple, exc: Exception) -> str:
        """Record why the capture for ``key`` failed (that signature then runs eagerly); returns the reason."""
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        self.failures[key] = reason
        torch.cuda.synchronize()  # let the aborted capture's work finish before eager work follows
        return reason

    def keep(self, cache: OrderedDict, key: tuple, graph, limit: int) -> None:
        """Add a captured graph to ``cache``, dropping the least recently used beyond ``limit``."""
        cache[key] = graph
        self.captured += 1
        while len(cache) > limit:
            cache.popitem(last=False)

    def as_dict(self) -> dict:
        """Plain JSON values: failures by input shape."""
        return {"captured": self.captured, "replays": self.replays, "eager_calls": self.eager_calls,
                "failures": {str(key[0]): reason for key, reason in self.failures.items()}}


def model_part(model, attribute: str, class_name: str):
    """``model.model.<attribute>`` when it is a ``class_name`` (PEFT wrappers unwrapped), else None.

    The dispatchers apply only to DeepSeek-OCR-2's own modules, whose shapes and calls they know.
    """
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    part = getattr(getattr(base, "model", None), attribute, None)
    if part is None or type(part).__name__ != class_name:
        return None
    return part


def module_signature(module: torch.nn.Module, structure: tuple | None = None) -> tuple:
    """What a captured graph of ``module`` baked in besides its input's shape, as a hashable key part.

    A graph replays fixed kernels on fixed addresses: it is stale once the autocast dtype or train/eval mode
    changes, or the module's structure does (see :func:`structure_signature`). ``structure`` passes a snapshot
    of the latter where the caller knows it cannot change (a training run), since taking it walks every module.
    """
    autocast = torch.get_autocast_dtype("cuda") if torch.is_autocast_enabled("cuda") else None
    return (autocast, module.training, structure if structure is not None else structure_signature(module))


def structure_signature(module: torch.nn.Module) -> tuple:
    """Where the weights are (``.to``, a reload) and the LoRA adapters' state (added, merged, switched, disabled).

    Scanned on every inference call, since PEFT may wrap layers after a dispatcher was installed; on the 3B model
    a scan walks thousands of modules, so training runs take it once (:func:`module_signature`).
    """
    first = last = None
    adapters = []
    for part in module.modules():  # one walk (it runs per inference call): weights' place and adapters' state
        for param in part._parameters.values():
            if param is not None:
                first = param if first is None else first
                last = param
        if "lora_A" in part._modules and hasattr(part, "merged"):  # a dict lookup: no failing getattr per module
            adapters.append((part.disable_adapters, part.merged, tuple(part.active_adapters),
                             tuple(part.lora_A.keys())))
    where = (first.data_ptr(), last.data_ptr()) if first is not None else ()
    adapters = tuple(adapters)
    return (where, adapters)


def _warm_up(work) -> None:
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(WARMUP_RUNS):
            work()
    torch.cuda.current_stream().wait_stream(stream)


class ForwardGraph:
    """A forward-only capture of ``run(input)``: static input in, static output out."""

    def __init__(self, run, sample: torch.Tensor):
        self.input = sample.clone()
        _warm_up(lambda: run(self.input))
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.output = run(self.input)

    busy = False

    def __call__(self, value: torch.Tensor) -> torch.Tensor:
        self.input.copy_(value)
        self.graph.replay()
        return self.output.clone()  # the next replay overwrites the static output


class TrainingGraph:
    """``run(*inputs)`` captured forward and backward; the backward yields the gradients of the inputs that
    require grad and of ``params``. Calling it is one autograd node (:class:`_Replayed`)."""

    def __init__(self, run, samples: tuple[torch.Tensor, ...], params: list[torch.nn.Parameter], pool=None,
                 registry: set[int] | None = None):
        self.params = params
        #: addresses of the gradient buffers of every graph in this memory pool (shared with those graphs)
        self.registry = registry if registry is not None else set()
        self.pending = None  # a weak reference to the output whose backward has not run yet
        self.inputs = tuple(s.detach().clone().requires_grad_(s.requires_grad) for s in samples)
        targets = [s for s in self.inputs if s.requires_grad] + list(params)

        def warm():
            out = run(*self.inputs)
            torch.autograd.grad(out, targets, torch.ones_like(out), allow_unused=True)

        _warm_up(warm)
        self.forward_graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.forward_graph, pool=pool):
            self.output = run(*self.inputs)
        self.grad_output = torch.empty_like(self.output)
        self.backward_graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.backward_graph, pool=pool if pool is not None else self.forward_graph.pool()):
            grads = torch.autograd.grad(self.output, targets, self.grad_output, allow_unused=True)
        count = len(targets) - len(params)
        it = iter(grads[:count])
        self.input_grads = tuple(next(it) if s.requires_grad else None for s in self.inputs)
        self.grads = tuple(grads[count:])
        self.registry.update(grad.data_ptr() for grad in self.grads if grad is not None)
        self.output = self.output.detach()  # drops the capture's autograd graph (module doc)

    @property
    def busy(self) -> bool:
        """True while an earlier replay's output still waits for its backward: replaying would overwrite it."""
        return self.pending is not None and self.pending() is not None

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        output = _Replayed.apply(self, len(inputs), *inputs, *self.params)
        self.pending = weakref.ref(output)
        return output


def _copy_aliased_gradients(params, registry: set[int]) -> None:
    """Give every ``.grad`` that is still a graph's gradient buffer its own memory (module doc)."""
    for param in params:
        grad = param.grad
        if grad is not None and grad.data_ptr() in registry:
            param.grad = grad.clone()


class _Replayed(torch.autograd.Function):
    @staticmethod
    def forward(ctx, graphs: TrainingGraph, count: int, *args):  # noqa: D102
        _copy_aliased_gradients(graphs.params, graphs.registry)  # before any replay can overwrite them
        for static, value in zip(graphs.inputs, args[:count], strict=True):
            if static.data_ptr() != value.data_ptr():
                static.copy_(value)
        graphs.forward_graph.replay()
        ctx.graphs = graphs
        return graphs.output.detach()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_output):  # noqa: D102
        graphs = ctx.graphs
        graphs.pending = None
        _copy_aliased_gradients(graphs.params, graphs.registry)
        graphs.grad_output.copy_(grad_output)
        graphs.backward_graph.replay()
        inputs = tuple(None if grad is None else grad.clone() for grad in graphs.input_grads)
        return (None, None, *inputs, *(None if grad is None else grad.detach() for grad in graphs.grads))
