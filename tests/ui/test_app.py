"""The real app.py, launched on a free port, driven through gradio_client like any API user."""

import pytest


def test_recognize_through_the_api(client, tiny_model_dir, example_lines):
    from gradio_client import handle_file

    text, details = client.predict(handle_file(str(example_lines[0])), str(tiny_model_dir), "", "ocr", "default", 16,
                                   api_name="/recognize")
    assert isinstance(text, str) and text
    assert "new tokens" in details


def test_missing_model_folder_is_a_message_not_a_traceback(client, tmp_path, example_lines):
    from gradio_client import handle_file

    with pytest.raises(Exception) as caught:
        client.predict(handle_file(str(example_lines[0])), str(tmp_path / "no-such-model"), "", "ocr", "default",
                       16, api_name="/recognize")
    message = str(caught.value)
    assert "Model folder not found" in message
    assert "Traceback" not in message
