"""Push on finish, against the local Hub stand-in: the adapter goes up when training ends, with before/after CER
in its card; a push that fails is reported in the run's status and never loses the local adapter."""

from ocr_space.train import TrainConfig, train


def _config(reader_model_dir, small_dataset, out, **changes) -> TrainConfig:
    settings = {"steps": 2, "batch_size": 2, "warmup_steps": 0, "save_steps": 100, "eval_samples": 2,
                "eval_max_new_tokens": 4, "gradient_checkpointing": "off", **changes}
    return TrainConfig(model=str(reader_model_dir), data=str(small_dataset), out=str(out), **settings)


def test_a_finished_run_pushes_its_adapter_with_the_cer_in_the_card(hub, reader_model_dir, small_dataset, tmp_path):
    result = train(_config(reader_model_dir, small_dataset, tmp_path / "run", push_to="ocr-lines-lora"),
                   push_token=hub.token)

    assert result.state == "done"
    assert result.push["url"].endswith("/alice/ocr-lines-lora") and "error" not in result.push
    assert f"Pushed the adapter to {result.push['url']}" in result.message
    repo = hub.state.repo("alice/ocr-lines-lora")
    assert repo.private and {"adapter_config.json", "adapter_model.safetensors", "README.md"} <= set(repo.files)
    card = repo.files["README.md"].decode()
    assert "| base model (before) |" in card and "type: cer" in card and "No evaluation was recorded" not in card
    status = (tmp_path / "run" / "status.json").read_text()
    assert result.push["url"] in status and hub.token not in status
    assert hub.token not in (tmp_path / "run" / "config.yaml").read_text()


def test_a_failed_push_keeps_the_adapter_and_says_why(hub, reader_model_dir, small_dataset, tmp_path):
    from ocr_space.models import load_model

    hub.state.refuse(403, "This token has no write access to alice", path_part="/commit/")
    result = train(_config(reader_model_dir, small_dataset, tmp_path / "run", push_to="alice/ocr-lines-lora"),
                   push_token=hub.token)

    assert result.state == "done"  # the training worked; only the push did not
    assert "no write access" in result.push["error"] or "403" in result.push["error"]
    assert "Push to alice/ocr-lines-lora failed" in result.message and "kept" in result.message
    status = __import__("json").loads((tmp_path / "run" / "status.json").read_text())
    assert status["state"] == "done" and status["push"]["error"] == result.push["error"]
    assert load_model(str(reader_model_dir), adapter=str(result.adapter), device="cpu").adapter


def test_no_token_is_a_failed_push_not_a_failed_run(hub, reader_model_dir, small_dataset, tmp_path):
    result = train(_config(reader_model_dir, small_dataset, tmp_path / "run", push_to="alice/x", eval_samples=0))
    assert result.state == "done" and "Not logged in" in result.push["error"]
    assert (result.adapter / "adapter_config.json").is_file()
