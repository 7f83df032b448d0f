"""One parser for a checkpoint folder's step, used by resume and by the runner's starting status."""

import pytest

from ocr_space.train.run_dir import RunDir, checkpoint_step


@pytest.mark.parametrize("name, step", [
    ("checkpoint-40", 40), ("runs/r/checkpoints/checkpoint-7", 7), ("checkpoint-0", 0),
    ("checkpoint-", None), ("checkpoint-last", None), ("checkpoint-40-old", None), ("adapter", None),
])
def test_the_step_is_read_from_checkpoint_n_names_only(name, step):
    assert checkpoint_step(name) == step


def test_the_latest_step_is_the_newest_complete_checkpoint(tmp_path):
    run = RunDir(tmp_path)
    assert run.latest_checkpoint_step() == 0
    for step, complete in ((5, True), (20, True), (30, False)):  # 30: the process died while writing it
        folder = run.checkpoints / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        if complete:
            (folder / "trainer_state.json").write_text("{}")
    (run.checkpoints / "checkpoint-99-partial").mkdir()
    assert run.latest_checkpoint().name == "checkpoint-20"
    assert run.latest_checkpoint_step() == 20
