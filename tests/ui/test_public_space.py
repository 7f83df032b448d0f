"""A public Space with several visitors at once: roles, each visitor's own files, Hub reads without the owner's
token. One live app.py (the ``space`` fixture: SPACE_ID set, signed-in users as Gradio's OAuth stores them)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from support.example_data import EXAMPLES
from support.hub_server import HubRepo
from support.space_app import OWNER, OWNER_TOKEN, call_error

NOT_YOURS = "is not one of your folders"


@pytest.fixture(scope="module")
def demo_zip(tmp_path_factory) -> Path:
    """Eight example lines and their manifest as one upload."""
    path = tmp_path_factory.mktemp("upload") / "demo.zip"
    rows = [line for line in (EXAMPLES / "demo" / "manifest.txt").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")][:8]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.txt", "\n".join(rows) + "\n")
        for row in rows:
            image = row.split(None, 1)[0]
            archive.write(EXAMPLES / "demo" / image, image)
    return path


def _build(client, upload: Path, name: str) -> str:
    from gradio_client import handle_file

    summary, *_ = client.predict(files=[handle_file(str(upload))], name=name, prefix="data", split="0.8,0.1,0.1",
                                 seed=42, max_mp=50, min_side=10, image_column="", text_column="", split_column="",
                                 api_name="/build_dataset_files")
    return summary.split("saved to `", 1)[1].split("`", 1)[0]


def _train_form(model: str, data: str, **changes) -> dict:
    from ocr_space.ui.finetune_tab import preset_values

    values = {**preset_values("quick"), "steps": 2, "batch_size": 1, "grad_accum": 1, "warmup_steps": 0,
              "eval_samples": 0, "gradient_checkpointing": "off", "save_steps": 1}
    return {"model": model, "data": data, "out": "", "preset": "quick", **values, **changes}


def _wait_done(client, run: str, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while True:
        progress, *_ = client.predict(run, api_name="/train_status")
        if progress.startswith(("**done**", "**failed**", "**cancelled**")) or time.monotonic() > deadline:
            return progress
        time.sleep(0.5)


def test_visitors_see_and_touch_only_their_own_runs_and_datasets(space, demo_zip, tiny_model_dir):
    visitors, root = space
    alice, bob = visitors.signed_in("alice"), visitors.signed_in("bob")

    alice_data = _build(alice, demo_zip, "lines")
    bob_data = _build(bob, demo_zip, "lines")  # the same name: each visitor has their own folder
    assert Path(alice_data) == (root / "users" / "u-alice" / "datasets" / "lines").resolve()
    assert Path(bob_data) == (root / "users" / "u-bob" / "datasets" / "lines").resolve()
    again = alice.predict(files=[__import__("gradio_client").handle_file(str(demo_zip))], name="lines",
                          prefix="data", split="0.8,0.1,0.1", seed=42, max_mp=50, min_side=10, image_column="",
                          text_column="", split_column="", api_name="/build_dataset_files")[0]
    assert "lines-2" in again and "nothing was replaced" in again  # a taken name is never silently replaced

    picker = alice.predict(**_train_form(str(tiny_model_dir), alice_data), api_name="/train_start")
    run = picker["value"]
    assert Path(run).parent == (root / "users" / "u-alice" / "runs").resolve()
    assert _wait_done(alice, run).startswith("**done**")

    # bob cannot see, read, cancel, resume or push alice's run, nor use her dataset
    assert run not in str(bob.predict(api_name="/list_runs")) and run in str(alice.predict(api_name="/list_runs"))
    progress, _, metrics, adapter, log_tail = bob.predict(run, api_name="/train_status")
    assert NOT_YOURS in progress and not log_tail and not adapter and not metrics
    assert NOT_YOURS in call_error(bob, run, api_name="/train_cancel")
    assert NOT_YOURS in call_error(bob, run, api_name="/train_resume")
    assert NOT_YOURS in call_error(bob, run, "bob/stolen", True, "", "hf_bobs_typed_token",
                                   api_name="/push_adapter")
    assert NOT_YOURS in call_error(bob, alice_data, "bob/stolen", True, "hf_bobs_typed_token",
                                   api_name="/push_dataset")
    assert NOT_YOURS in call_error(bob, **_train_form(str(tiny_model_dir), alice_data), api_name="/train_start")
    assert NOT_YOURS in call_error(bob, source=alice_data, source_split="", name="copy", prefix="data",
                                   split="0.8,0.1,0.1", seed=42, max_mp=50, min_side=10, image_column="",
                                   text_column="", split_column="", api_name="/build_dataset_existing")
    assert not (root / "users" / "u-bob" / "datasets" / "copy").exists()


def test_an_anonymous_visitor_cannot_train_cancel_or_push(space, tiny_model_dir):
    visitors, _ = space
    anonymous = visitors.anonymous()
    assert "Sign in with Hugging Face" in call_error(anonymous, **_train_form(str(tiny_model_dir), "x/y"),
                                                     api_name="/train_start")
    assert "Sign in with Hugging Face" in call_error(anonymous, "runs/x", api_name="/train_cancel")
    assert "Sign in with Hugging Face" in call_error(anonymous, "runs/x", "me/x", True, "", "hf_typed",
                                                     api_name="/push_adapter")


def test_a_signed_in_visitor_off_the_allow_list_gets_the_allow_list_message(space, tiny_model_dir):
    visitors, _ = space
    message = call_error(visitors.signed_in("dave"), **_train_form(str(tiny_model_dir), "x/y"),
                         api_name="/train_start")
    assert "dave is not on this Space's list of trainers" in message and "OCR_SPACE_TRAINERS" in message


def test_an_anonymous_recognize_of_a_private_repo_sends_no_token(space, hub_server, example_lines):
    from gradio_client import handle_file

    visitors, _ = space
    hub_server.state.reset()
    hub_server.state.add_user(OWNER, OWNER_TOKEN)
    hub_server.state.repos[("model", f"{OWNER}/private-ocr")] = HubRepo(owner=OWNER, private=True,
                                                                        files={"config.json": b"{}"})
    message = call_error(visitors.anonymous(), handle_file(str(example_lines[0])), f"{OWNER}/private-ocr", "",
                         "ocr", "default", 16, api_name="/recognize")
    asked = [request for request in hub_server.state.requests if "private-ocr" in request["path"]]
    assert asked, "the app never asked the Hub, so the test proves nothing"
    assert all("authorization" not in {key.lower() for key in request["headers"]} for request in asked)
    assert "private" in message and "Traceback" not in message


def test_the_owner_signed_in_reads_with_their_own_rights(space, hub_server, example_lines):
    """The counterpart: a signed-in visitor's reads carry their OAuth token (here the owner's session)."""
    from gradio_client import Client, handle_file

    from support.space_app import session_cookie

    visitors, _ = space
    hub_server.state.reset()
    owner = Client(visitors.url, verbose=False, headers={"Cookie": f"session={session_cookie(OWNER, 'hf_oauth_x')}"})
    call_error(owner, handle_file(str(example_lines[0])), f"{OWNER}/private-ocr", "", "ocr", "default", 16,
               api_name="/recognize")
    asked = [request for request in hub_server.state.requests if "private-ocr" in request["path"]]
    assert asked and all(request["headers"].get("authorization") == "Bearer hf_oauth_x" for request in asked)


def test_nothing_is_left_behind_in_the_shared_roots(space):
    _, root = space
    assert not (root / "runs").exists() or not any((root / "runs").iterdir())
    assert not (root / "datasets").exists() or not any((root / "datasets").iterdir())


def test_an_anonymous_visitor_recognizes_with_the_shared_model_and_bad_uploads_get_the_clis_words(
        space, tiny_model_dir, example_lines):
    from gradio_client import handle_file

    anonymous = space[0].anonymous()
    text, details = anonymous.predict(handle_file(str(example_lines[0])), str(tiny_model_dir), "", "ocr", "default",
                                      8, api_name="/recognize")
    assert "new tokens" in details
    bad = Path(__file__).resolve().parent.parent / "data" / "bad_inputs"
    assert "above the limit of" in call_error(anonymous, handle_file(str(bad / "header_200mp.png")),
                                              str(tiny_model_dir), "", "ocr", "default", 8, api_name="/recognize")
    assert "Not a readable image" in call_error(anonymous, handle_file(str(bad / "corrupt.png")),
                                                str(tiny_model_dir), "", "ocr", "default", 8, api_name="/recognize")
