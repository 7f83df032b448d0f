"""Pickers: the datasets and runs under a root as dropdown choices, newest first, the one just made pre-selected."""

import os

from ocr_space.data.build import build_dataset
from ocr_space.train import RunDir
from ocr_space.ui.pickers import dataset_choices, dataset_picker, run_choices, run_picker


def _touch(path, age: int):
    os.utime(path, (1_700_000_000 - age, 1_700_000_000 - age))


def test_datasets_are_listed_newest_first_with_their_rows(tmp_path):
    build_dataset("examples/demo/manifest.txt", tmp_path / "older", prefix="demo")
    build_dataset("examples/demo/manifest.txt", tmp_path / "bench", split="0,0,1")
    (tmp_path / "not-a-dataset").mkdir()
    _touch(tmp_path / "older", 100)
    _touch(tmp_path / "bench", 10)
    assert dataset_choices(tmp_path) == [("bench · test 30", str(tmp_path / "bench")),
                                         ("older · train 24 · validation 3 · test 3", str(tmp_path / "older"))]
    assert dataset_picker(tmp_path)["value"] == str(tmp_path / "bench")
    assert dataset_picker(tmp_path, selected=str(tmp_path / "older"))["value"] == str(tmp_path / "older")
    typed = dataset_picker(tmp_path, selected="someone/hub-lines")  # a Hub id stays what was typed
    assert typed["value"] == "someone/hub-lines" and typed["choices"][0][1] == "someone/hub-lines"


def test_runs_show_their_state_and_finished_only_keeps_those_with_an_adapter(tmp_path):
    done, running = RunDir(tmp_path / "done-run"), RunDir(tmp_path / "dead-run")
    for run in (done, running):
        run.path.mkdir()
    done.update_status(state="done", step=60, max_steps=60)
    (done.adapter).mkdir()
    (done.adapter / "adapter_config.json").write_text("{}")
    running.update_status(state="training", step=12, max_steps=60, pid=2**22 + 1)  # no such process: interrupted
    _touch(done.status_file, 100)
    assert run_choices(tmp_path) == [("dead-run · interrupted · 12/60", str(running.path)),
                                     ("done-run · done · 60/60", str(done.path))]
    assert run_choices(tmp_path, finished_only=True) == [("done-run · done · 60/60", str(done.path))]
    assert run_picker(tmp_path)["value"] == str(running.path)
    assert run_choices(tmp_path / "absent") == []


def test_on_a_public_space_each_visitor_picks_only_from_their_own_datasets_and_runs(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from ocr_space.ui import finetune_tab
    from ocr_space.ui.pickers import visitor_datasets

    monkeypatch.setenv("SPACE_ID", "owner/ocr-space")
    monkeypatch.setenv("OCR_SPACE_USERS", str(tmp_path / "users"))
    for session in ("mine", "theirs"):
        build_dataset("examples/demo/manifest.txt", tmp_path / "users" / f"s-{session}" / "datasets" / f"{session}-ds",
                      split="0,0,1")
        run = RunDir(tmp_path / "users" / f"s-{session}" / "runs" / f"{session}-run")
        run.path.mkdir(parents=True)
        run.update_status(state="training", step=1, max_steps=9, pid=2**22 + 5)  # interrupted
    me = SimpleNamespace(session_hash="mine", headers={})

    offered = visitor_datasets(me, None)["choices"]
    assert [value for _, value in offered] == [str(tmp_path / "users" / "s-mine" / "datasets" / "mine-ds")]
    datasets, interrupted = finetune_tab.page_load(me, None)
    assert datasets["choices"] == offered
    assert "`mine-run`" in interrupted and "theirs-run" not in interrupted
