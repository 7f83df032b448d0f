"""Push adapters, merged models and datasets with the real huggingface_hub client against a local Hub."""

import hashlib
import json
import logging
import socket
from pathlib import Path

import pytest
import torch

from ocr_space.hub import (
    HubAuthError,
    HubNetworkError,
    HubNotFoundError,
    HubPermissionError,
    HubQuotaError,
    PushSourceError,
    push_adapter,
    push_dataset,
    push_merged,
)
from ocr_space.models import load_model

from support.hub_fixtures import METRICS

BASE_ID = "deepseek-community/DeepSeek-OCR-2"


def _logits(loaded, image_path):
    from ocr_space.images import load_image

    kwargs = loaded.family.mode("small").processor_kwargs(loaded.processor)  # one view, no tiles: fast on CPU
    inputs = loaded.processor(images=load_image(image_path), text=loaded.family.ocr_prompt, return_tensors="pt",
                              **kwargs)
    with torch.no_grad():
        return loaded.model(**inputs).logits


def _readme(hub, repo_id, kind="model") -> str:
    return hub.state.repo(repo_id, kind).files["README.md"].decode()


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- adapter ---------------------------------------------------------------------------------------------------

def test_push_adapter_uploads_adapter_processor_config_metrics_and_card(hub, run_dir):
    result = push_adapter(run_dir, "alice/tiny-lora", token=hub.token, endpoint=hub.endpoint)

    local = {p.name for p in (run_dir / "adapter").iterdir() if p.is_file() and p.name != "README.md"}
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json",
            "training_config.yaml"} <= local
    repo = hub.state.repo("alice/tiny-lora")
    assert set(repo.files) == local | {"metrics.json", "README.md"}
    assert repo.files["adapter_model.safetensors"] == (run_dir / "adapter" / "adapter_model.safetensors").read_bytes()
    assert repo.private is True
    assert result.private is True and result.repo_id == "alice/tiny-lora" and result.files == sorted(repo.files)
    assert result.commit_url.endswith(repo.sha)


def test_adapter_card_parses_and_carries_cer_before_and_after(hub, run_dir):
    from huggingface_hub import ModelCard

    push_adapter(run_dir, "alice/tiny-lora", token=hub.token, endpoint=hub.endpoint, base_model=BASE_ID)

    card = ModelCard(_readme(hub, "alice/tiny-lora"))
    assert card.data.base_model == BASE_ID
    assert card.data.library_name == "peft"
    results = {result.metric_name: result for result in card.data.eval_results}
    assert {r.metric_type for r in results.values()} == {"cer"}
    assert {r.task_type for r in results.values()} == {"image-to-text"}
    assert sorted(r.metric_value for r in results.values()) == [METRICS["cer_after"], METRICS["cer_before"]]
    assert any("before" in name and r.metric_value == METRICS["cer_before"] for name, r in results.items())
    assert "| base model (before) | 87.50% |" in card.text
    assert "12.50%" in card.text and "| relative change | -85.7% |" in card.text
    assert "- LoRA rank r: `4`" in card.text and "steps: 3" in card.text
    assert f"load_model({BASE_ID!r}, adapter='alice/tiny-lora')" in card.text
    assert card.data.datasets is None and "the dataset `lines`" in card.text  # a local folder is not a Hub id


def test_a_hub_dataset_id_links_the_card_to_the_dataset(hub, run_dir):
    from huggingface_hub import ModelCard

    push_adapter(run_dir, "alice/tiny-lora", token=hub.token, endpoint=hub.endpoint, dataset="alice/lines")

    card = ModelCard(_readme(hub, "alice/tiny-lora"))
    assert card.data.datasets == ["alice/lines"]
    assert {result.dataset_type for result in card.data.eval_results} == {"alice/lines"}


def test_adapter_loads_back_by_repo_id_with_the_local_adapters_logits(hub, run_dir, tiny_model_dir, example_lines,
                                                                      monkeypatch):
    push_adapter(run_dir, "alice/tiny-lora", token=hub.token, endpoint=hub.endpoint)
    monkeypatch.setenv("HF_TOKEN", hub.token)  # the repo is private

    pulled = load_model(str(tiny_model_dir), adapter="alice/tiny-lora", device="cpu")
    local = load_model(str(tiny_model_dir), adapter=str(run_dir / "adapter"), device="cpu")
    plain = load_model(str(tiny_model_dir), device="cpu")
    assert pulled.adapter == "alice/tiny-lora"
    torch.testing.assert_close(_logits(pulled, example_lines[0]), _logits(local, example_lines[0]))
    assert not torch.allclose(_logits(pulled, example_lines[0]), _logits(plain, example_lines[0]), atol=1e-4)


def test_card_load_code_runs_as_written(hub, run_dir, tmp_path, monkeypatch, example_lines):
    push_adapter(run_dir, "alice/tiny-lora", token=hub.token, endpoint=hub.endpoint, private=False)
    code = _readme(hub, "alice/tiny-lora").split("```python\n")[1].split("```")[0]
    code = code.replace('"line.png")', '"line.png", mode="small", max_new_tokens=4)')  # keep CPU time short
    (tmp_path / "line.png").write_bytes(example_lines[0].read_bytes())
    monkeypatch.chdir(tmp_path)

    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the card's own example, run as a user would
    assert namespace["loaded"].adapter == "alice/tiny-lora"


def test_base_model_override_goes_into_the_pushed_adapter_config_not_the_local_one(hub, run_dir):
    before = _tree_digest(run_dir)
    push_adapter(run_dir, "alice/tiny-lora", token=hub.token, endpoint=hub.endpoint, base_model=BASE_ID)

    pushed = json.loads(hub.state.repo("alice/tiny-lora").files["adapter_config.json"])
    assert pushed["base_model_name_or_path"] == BASE_ID
    assert _tree_digest(run_dir) == before


def test_the_adapter_folder_itself_can_be_pushed_and_finds_its_runs_metrics(hub, run_dir):
    push_adapter(run_dir / "adapter", "tiny-lora", token=hub.token, endpoint=hub.endpoint)

    repo = hub.state.repo("alice/tiny-lora")  # a bare name goes to the user's namespace
    assert json.loads(repo.files["metrics.json"]) == METRICS


def test_pushing_again_updates_the_repo_and_keeps_it_private(hub, run_dir):
    push_adapter(run_dir, "alice/tiny-lora", token=hub.token, endpoint=hub.endpoint)
    second = push_adapter(run_dir, "alice/tiny-lora", token=hub.token, endpoint=hub.endpoint, private=False)

    assert len(hub.state.repo("alice/tiny-lora").commits) == 2
    assert second.private is True  # an existing repo keeps its visibility


def test_a_folder_without_an_adapter_is_refused_before_any_request(hub, tmp_path):
    with pytest.raises(PushSourceError, match="no LoRA adapter"):
        push_adapter(tmp_path, "alice/x", token=hub.token, endpoint=hub.endpoint)
    assert hub.state.requests == []


@pytest.mark.parametrize("push", [push_adapter, push_merged, push_dataset])
def test_no_folder_chosen_is_a_message(hub, push):
    with pytest.raises(PushSourceError, match="No folder given"):
        push(None, "alice/x", token=hub.token, endpoint=hub.endpoint)


def test_progress_reports_every_file_and_ends_at_one(hub, run_dir):
    seen = []
    result = push_adapter(run_dir, "alice/tiny-lora", token=hub.token, endpoint=hub.endpoint,
                          progress=lambda fraction, message: seen.append((fraction, message)))

    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    for name in result.files:
        assert any(f"Uploading {name} " in message for _, message in seen)


# --- errors ------------------------------------------------------------------------------------------------------

def test_no_token_is_a_login_message(hub, run_dir):
    with pytest.raises(HubAuthError, match="Not logged in"):
        push_adapter(run_dir, "alice/x", endpoint=hub.endpoint)


def test_a_rejected_token_is_a_401_message_without_the_token(hub, run_dir):
    with pytest.raises(HubAuthError, match="rejected your token \\(401\\)") as caught:
        push_adapter(run_dir, "alice/x", token="hf_notavalidtoken", endpoint=hub.endpoint)
    assert "hf_notavalidtoken" not in str(caught.value)


def test_someone_elses_namespace_is_refused_before_anything_is_created(hub, run_dir):
    with pytest.raises(HubPermissionError, match="belongs to someone else.*alice/x"):
        push_adapter(run_dir, "bob/x", token=hub.token, endpoint=hub.endpoint)
    assert not [r for r in hub.state.requests if r["method"] == "POST"]


def test_an_organisation_of_the_user_is_accepted(hub, run_dir):
    push_adapter(run_dir, "ocr-team/tiny-lora", token=hub.token, endpoint=hub.endpoint)
    assert "README.md" in hub.state.repo("ocr-team/tiny-lora").files


def test_a_403_from_the_hub_is_a_permission_message(hub, run_dir):
    hub.state.refuse(403, "This token has no write access to alice", path_part="/commit/")
    with pytest.raises(HubPermissionError, match="403.*no write access"):
        push_adapter(run_dir, "alice/x", token=hub.token, endpoint=hub.endpoint)


def test_a_404_from_the_hub_names_the_repo(hub, run_dir):
    hub.state.refuse(404, "Repository not found", path_part="/preupload/", error_code="RepoNotFound")
    with pytest.raises(HubNotFoundError, match="alice/x was not found on the Hub"):
        push_adapter(run_dir, "alice/x", token=hub.token, endpoint=hub.endpoint)


def test_a_full_quota_is_a_quota_message(hub, run_dir):
    hub.state.refuse(403, "You have exceeded your storage quota", path_part="/commit/")
    with pytest.raises(HubQuotaError, match="lack of space"):
        push_adapter(run_dir, "alice/x", token=hub.token, endpoint=hub.endpoint)


def test_no_network_is_a_clear_message(hub, run_dir):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(HubNetworkError, match="Could not reach the Hugging Face Hub"):
        push_adapter(run_dir, "alice/x", token=hub.token, endpoint=dead)


def test_offline_mode_is_named(hub, run_dir, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubNetworkError, match="HF_HUB_OFFLINE"):
        push_adapter(run_dir, "alice/x", token=hub.token, endpoint=hub.endpoint)


def test_a_file_containing_the_token_is_not_published(hub, run_dir, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    (copy / "adapter" / "training_config.yaml").write_text(f"hub_token: {hub.token}\n")
    with pytest.raises(PushSourceError, match="training_config.yaml contains your Hub token") as caught:
        push_adapter(copy, "alice/x", token=hub.token, endpoint=hub.endpoint)
    assert hub.token not in str(caught.value)
    assert not any("/commit/" in r["path"] or "/preupload/" in r["path"] for r in hub.state.requests)


def test_loading_a_missing_adapter_repo_is_a_clear_message(hub, tiny_model_dir):
    from ocr_space.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="No repo 'alice/nope' on the Hub"):
        load_model(str(tiny_model_dir), adapter="alice/nope", device="cpu")


def test_the_token_appears_in_no_log_line_and_no_written_file(hub, run_dir, tiny_model_dir, tmp_path, monkeypatch,
                                                              caplog, capsys):
    import huggingface_hub.utils.logging as hf_logging

    monkeypatch.setenv("HF_TOKEN", hub.token)  # the usual way a token arrives outside the UI
    hf_logging.enable_propagation()
    hf_logging.set_verbosity_debug()
    before = _tree_digest(run_dir)
    try:
        with caplog.at_level(logging.DEBUG):
            push_adapter(run_dir, "alice/tiny-lora", base_model=BASE_ID)
            load_model(str(tiny_model_dir), adapter="alice/tiny-lora", device="cpu")
            hub.state.refuse(401, "Invalid credentials in Authorization header")
            with pytest.raises(HubAuthError) as caught:
                push_adapter(run_dir, "alice/tiny-lora")
    finally:
        hf_logging.set_verbosity_warning()
        hf_logging.disable_propagation()

    # the token was really used ...
    assert any(r["headers"].get("authorization") == f"Bearer {hub.token}" for r in hub.state.requests)
    # ... and shows up nowhere a user, a log or the disk could keep it
    assert len(caplog.records) > 5
    outputs = capsys.readouterr()
    for text in (caplog.text, outputs.out, outputs.err, str(caught.value)):
        assert hub.token not in text
    written = [p for p in tmp_path.rglob("*") if p.is_file()] + [p for p in run_dir.rglob("*") if p.is_file()]
    assert any("models--alice--tiny-lora" in str(p) for p in written)  # the download cache was searched too
    for path in written:
        assert hub.token.encode() not in path.read_bytes(), path
    for repo in hub.state.repos.values():
        for name, data in repo.files.items():
            assert hub.token.encode() not in data, name
    assert _tree_digest(run_dir) == before


# --- merged model and dataset ----------------------------------------------------------------------------------

def test_push_merged_then_load_it_by_repo_id(hub, tiny_model_dir, tiny_loaded, example_lines, monkeypatch):
    from huggingface_hub import ModelCard

    monkeypatch.setenv("HF_TOKEN", hub.token)
    result = push_merged(tiny_model_dir, "alice/tiny-merged", endpoint=hub.endpoint, base_model=BASE_ID)

    assert "config.json" in result.files and "model.safetensors" in result.files
    card = ModelCard(_readme(hub, "alice/tiny-merged"))
    assert card.data.base_model == BASE_ID and card.data.library_name == "transformers"
    pulled = load_model("alice/tiny-merged", device="cpu")
    torch.testing.assert_close(_logits(pulled, example_lines[0]), _logits(tiny_loaded, example_lines[0]))


def test_an_adapter_folder_is_not_pushed_as_a_merged_model(hub, run_dir):
    with pytest.raises(PushSourceError, match="is a LoRA adapter"):
        push_merged(run_dir / "adapter", "alice/x", token=hub.token, endpoint=hub.endpoint)


@pytest.fixture
def dataset_dir(tmp_path, example_lines) -> Path:
    import datasets

    from ocr_space.data.splits import write_split

    rows = {"image": [str(p) for p in example_lines], "text": [f"第{i}行" for i in range(len(example_lines))]}
    dataset = datasets.Dataset.from_dict(rows).cast_column("image", datasets.Image())
    folder = tmp_path / "lines"
    write_split(dataset.select(range(3)), folder, "train", prefix="lines")
    write_split(dataset.select([3]), folder, "test", prefix="lines")
    return folder


def test_push_dataset_uploads_the_splits_with_a_card_and_loads_back(hub, dataset_dir):
    from huggingface_hub import DatasetCard, snapshot_download

    from ocr_space.data.splits import load_split

    result = push_dataset(dataset_dir, "alice/lines", token=hub.token, endpoint=hub.endpoint)

    repo = hub.state.repo("alice/lines", "dataset")
    assert set(repo.files) == {"lines_train.parquet", "lines_test.parquet", "README.md"} == set(result.files)
    card = DatasetCard(repo.files["README.md"].decode())
    assert card.data.task_categories == ["image-to-text"]
    assert {entry["split"]: entry["path"] for entry in card.data.configs[0]["data_files"]} == {
        "train": "lines_train.parquet", "test": "lines_test.parquet"}
    assert "| train | `lines_train.parquet` | 3 |" in card.text and "第0行" in card.text
    folder = snapshot_download("alice/lines", repo_type="dataset", token=hub.token)
    assert load_split(folder, "train")["text"] == load_split(dataset_dir, "train")["text"]


def test_a_folder_without_parquet_splits_is_not_a_dataset(hub, tmp_path):
    with pytest.raises(PushSourceError, match="parquet"):
        push_dataset(tmp_path, "alice/x", token=hub.token, endpoint=hub.endpoint)
