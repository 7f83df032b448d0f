"""The Trainer's per-step bookkeeping done over the trainable tensors only.

Every optimizer step, transformers' Trainer walks the whole model several times: the gradient-norm clip and
``zero_grad`` iterate all parameters, and the FLOP count for the logs counts all parameters again. With PEFT on
the 3B model a walk visits ~3,400 modules, and it runs on the host between two steps. Once the model's forward
and backward replay as CUDA graphs the host's share decides the step time: cProfile of ``train()`` on the H200
(bench/RESULTS.md, session 6) had these walks among its largest items.

The results are unchanged: frozen tensors never get gradients, so the norm, the clip and the zeroing see the same
tensors; the parameter count does not change during a run, so it is counted once.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch

from ocr_space.train.checkpoints import AdapterCheckpointTrainer


class LeanStepTrainer(AdapterCheckpointTrainer):
    """The project's Trainer: adapter-aware resume, and per-step bookkeeping over the trainable tensors."""

    _parameter_count: int | None = None
    _trainable: list[torch.nn.Parameter] | None = None

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        if self._trainable is None:
            self._trainable = [p for p in self.model.parameters() if p.requires_grad]
        return self._trainable

    def floating_point_ops(self, inputs: dict) -> int:
        main_input = getattr(self.model, "main_input_name", "input_ids")
        if main_input not in inputs or not hasattr(self.model, "num_parameters"):
            return 0
        if self._parameter_count is None:
            self._parameter_count = self.model.num_parameters(exclude_embeddings=True)
        return 6 * inputs[main_input].numel() * self._parameter_count

    def _clip_grad_norm(self, model):
        if self.is_fsdp_enabled or self.is_deepspeed_enabled:  # sharded parameters: the Trainer's own path
            return super()._clip_grad_norm(model)
        return self.accelerator.clip_grad_norm_(self.trainable_parameters(), self.args.max_grad_norm)

    def train(self, *args, **kwargs):
        self._trainable = None  # the adapters are attached by now
        with _zero_grad_of(self.model, self.trainable_parameters()):
            return super().train(*args, **kwargs)


@contextmanager
def _zero_grad_of(model: torch.nn.Module, trainable: list[torch.nn.Parameter]):
    """While inside, ``model.zero_grad()`` clears only ``trainable``'s gradients (the Trainer calls it each step)."""

    def zero_grad(set_to_none: bool = True) -> None:
        for param in trainable:
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad.detach_().zero_()

    model.zero_grad = zero_grad
    try:
        yield
    finally:
        del model.zero_grad  # the instance attribute: Module.zero_grad is back
