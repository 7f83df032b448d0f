"""train() with the routed experts in the padded layout (a T4's path, forced on CPU): the same loss curve."""

from __future__ import annotations

import torch

import ocr_space.models.expert_lora as expert_lora
from ocr_space.models.padded_experts import PaddedRows
from ocr_space.train import RunDir, TrainConfig, train


def _curve(model_dir, data_dir, out) -> list[tuple]:
    config = TrainConfig(model=str(model_dir), data=str(data_dir), out=str(out), steps=3, batch_size=2, grad_accum=1,
                         warmup_steps=0, save_steps=10, eval_samples=0, gradient_checkpointing="off", seed=7)
    assert train(config).state == "done"
    return [(event["step"], event["loss"], event["grad_norm"]) for event in RunDir(out).read_events()]


def test_the_padded_layout_trains_the_same_loss_curve(reader_model_dir, small_dataset, tmp_path, monkeypatch):
    grouped = _curve(reader_model_dir, small_dataset, tmp_path / "grouped")
    padded_layers = []
    real_pad = PaddedRows.pad
    monkeypatch.setattr(PaddedRows, "pad", lambda self, rows: padded_layers.append(1) or real_pad(self, rows))
    monkeypatch.setattr(expert_lora, "pads_where_grouped_mm_loops", lambda device, dtype: True)
    padded = _curve(reader_model_dir, small_dataset, tmp_path / "padded")
    assert padded_layers, "the experts should have taken the padded layout"
    assert len(grouped) == 3 and [step for step, *_ in padded] == [step for step, *_ in grouped]
    torch.testing.assert_close(torch.tensor([numbers for _, *numbers in padded], dtype=torch.float64),
                               torch.tensor([numbers for _, *numbers in grouped], dtype=torch.float64),
                               rtol=1e-5, atol=1e-6)
