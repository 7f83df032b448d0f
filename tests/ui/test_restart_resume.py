"""The app is restarted in the middle of a tiny training run (a Space restart sends SIGTERM); the new app lists the
run as interrupted and its Resume continues it from the last checkpoint to the end."""

from gradio_client import Client

from ocr_space.train import RunDir

from support.live_app import running_app
from support.polling import poll


def test_a_run_cut_by_a_restart_is_listed_as_interrupted_and_resumed(reader_model_dir, small_dataset, tmp_path):
    runs = tmp_path / "runs"
    run = RunDir(runs / "lines")
    env = {"OCR_SPACE_RUNS": str(runs), "OCR_SPACE_DATASETS": str(tmp_path / "datasets"),
           "OCR_SPACE_MODEL": str(reader_model_dir)}
    settings = {"model": str(reader_model_dir), "out": str(run.path), "steps": 6, "batch_size": 1, "grad_accum": 1,
                "warmup_steps": 0, "save_steps": 2, "eval_samples": 0, "gradient_checkpointing": "off"}
    with running_app(env, tmp_path / "first.log") as url:
        Client(url, verbose=False).predict(data=str(small_dataset), **settings, api_name="/train_start")
        poll(lambda: run.latest_checkpoint() is not None, 300, "checkpoint-2")
    # leaving the block stops the app mid-run, as a Space restart does
    assert run.read_status()["state"] == "training" and run.read_status()["stale"]
    cut_at = run.latest_checkpoint_step()

    with running_app(env, tmp_path / "second.log") as url:
        client = Client(url, verbose=False)
        _, interrupted = client.predict(api_name="/train_page")
        assert "lines" in interrupted and f"checkpoint-{cut_at}" in interrupted
        client.predict(str(run.path), api_name="/train_resume")
        status = poll(lambda: (s := run.read_status()).get("state") in ("done", "failed") and s, 300, "the end")
    assert status["state"] == "done" and status["step"] == 6, status.get("message")
    assert [event["step"] for event in run.read_events()] == list(range(1, 7))
