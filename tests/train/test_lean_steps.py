"""The Trainer's per-step bookkeeping over trainable tensors only: the same run, number for number."""

from __future__ import annotations

import json

import torch

from ocr_space.train import RunDir, TrainConfig, train
from ocr_space.train.lean_steps import LeanStepTrainer, _zero_grad_of


def _run(model_dir, data_dir, out) -> tuple[list[tuple], float]:
    config = TrainConfig(model=str(model_dir), data=str(data_dir), out=str(out), steps=3, batch_size=2, grad_accum=1,
                         warmup_steps=0, save_steps=2, eval_samples=0, gradient_checkpointing="off", seed=7)
    assert train(config).state == "done"
    events = RunDir(out).read_events()
    state = json.loads(next((out / "checkpoints").glob("checkpoint-*/trainer_state.json")).read_text())
    return [(e["step"], e["loss"], e["grad_norm"]) for e in events], state["total_flos"]


def test_the_lean_trainer_trains_the_same_run_as_the_plain_one(reader_model_dir, small_dataset, tmp_path, monkeypatch):
    lean = _run(reader_model_dir, small_dataset, tmp_path / "lean")
    # the Trainer's own per-step walks over every parameter
    for name in ("floating_point_ops", "_clip_grad_norm", "train"):
        monkeypatch.delattr(LeanStepTrainer, name)
    plain = _run(reader_model_dir, small_dataset, tmp_path / "plain")
    assert len(lean[0]) == 3 and lean == plain


def test_zero_grad_clears_the_trainable_gradients_and_gives_the_method_back():
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 1))
    model[0].requires_grad_(False)
    model(torch.ones(2, 3)).sum().backward()
    trainable = [p for p in model.parameters() if p.requires_grad]
    with _zero_grad_of(model, trainable):
        model.zero_grad(set_to_none=False)
        assert all(torch.count_nonzero(p.grad) == 0 for p in trainable)
        model.zero_grad()
        assert all(p.grad is None for p in trainable)
    assert "zero_grad" not in vars(model) and model.zero_grad.__func__ is torch.nn.Module.zero_grad
