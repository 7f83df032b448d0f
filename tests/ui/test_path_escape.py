"""Every API endpoint of a public Space, with every string parameter aimed at a folder outside the visitor's roots
(as typed, as ``../`` forms, through a symlink): no answer carries what the folder holds, nothing is written there."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from support.example_data import EXAMPLES

SECRET = "PLANTED-SECRET-7c1e"


def _plant(folder: Path) -> Path:
    """A folder that looks like a run, a model, an adapter and a dataset, each file holding SECRET."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    (folder / "train.log").write_text(f"log {SECRET}\n")
    (folder / "status.json").write_text(json.dumps({"state": "training", "message": SECRET, "pid": os.getpid()}))
    (folder / "config.json").write_text(json.dumps({"model_type": "deepseek_ocr2", "secret": SECRET}))
    (folder / "config.yaml").write_text(f"model: {SECRET}\ndata: {SECRET}\n")
    (folder / "metrics.json").write_text(json.dumps({"cer_before": 0.5, "note": SECRET}))
    (folder / "manifest.txt").write_text(f"line.png {SECRET}\n")
    (folder / "line.png").write_bytes((EXAMPLES / "lines" / "line_000.png").read_bytes())
    (folder / "adapter").mkdir()
    (folder / "adapter" / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": SECRET}))
    image = {"bytes": (EXAMPLES / "lines" / "line_000.png").read_bytes(), "path": None}
    for split in ("train", "test"):
        pq.write_table(pa.table({"image": [image], "text": [SECRET]}), folder / f"data_{split}.parquet")
    return folder


def _snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime)
            for path in sorted(folder.rglob("*"))}


def _free_text(config: dict) -> dict[str, list[bool]]:
    """For each API name, which of its inputs take any string: text boxes and dropdowns with custom values."""
    components = {component["id"]: component for component in config["components"]}
    free = {}
    for dependency in config["dependencies"]:
        if dependency.get("api_name"):
            inputs = [components[i] for i in dependency["inputs"] if components[i]["type"] != "state"]
            free["/" + dependency["api_name"]] = [
                c["type"] == "textbox" or (c["type"] == "dropdown" and c["props"].get("allow_custom_value"))
                for c in inputs]
    return free


def _arguments(parameters: list[dict], free: list[bool], value: str) -> list:
    """``value`` for every string parameter, the default (or None) for the rest."""
    args = []
    for parameter, free_text in zip(parameters, free, strict=True):
        if free_text:
            args.append(value)
        elif parameter.get("parameter_has_default"):
            args.append(parameter.get("parameter_default"))
        else:
            args.append(None)
    return args


@pytest.fixture(scope="module")
def planted(space, tmp_path_factory) -> Path:
    _, root = space
    outside = tmp_path_factory.mktemp("outside")
    return _plant(outside / "secret-run")


def test_no_endpoint_reads_or_writes_outside_the_visitors_roots(space, planted):
    visitors, root = space
    alice = visitors.signed_in("alice")  # a trainer: the most a visitor who is not the owner may do
    alice_root = root / "users" / "u-alice"
    (alice_root / "datasets").mkdir(parents=True, exist_ok=True)
    link = alice_root / "datasets" / "shortcut"
    link.symlink_to(planted, target_is_directory=True)
    values = [str(planted), os.path.relpath(planted, alice_root), os.path.relpath(planted, Path.cwd()),
              "datasets/shortcut", str(planted / "adapter")]
    before, beside = _snapshot(planted), sorted(p.name for p in planted.parent.iterdir())

    endpoints = alice.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/recognize", "/train_start", "/train_status", "/push_adapter", "/compare"} <= set(endpoints)
    # submitted all at once: each endpoint runs its calls in turn, the endpoints side by side
    free = _free_text(alice.config)
    jobs = {(name, value): alice.submit(*_arguments(info["parameters"], free[name], value), api_name=name)
            for value in values for name, info in endpoints.items()}
    answers = {}
    for key, job in jobs.items():
        try:
            answers[key] = str(job.result(timeout=120))
        except Exception as exc:  # noqa: BLE001 - an error is a fine answer, as long as it tells nothing
            answers[key] = str(exc)

    leaks = {key: answer[:200] for key, answer in answers.items() if SECRET in answer}
    assert not leaks
    assert _snapshot(planted) == before and sorted(p.name for p in planted.parent.iterdir()) == beside
    refused = [key for key, answer in answers.items() if "is not one of your folders" in answer]
    assert ("/train_status", str(planted)) in refused and ("/train_start", "datasets/shortcut") in refused
