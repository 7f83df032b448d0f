"""The Recognize tab through its API (the live app, gradio_client): streaming, PDFs, several files, Stop."""

import time

import pytest

#: positions of the /recognize outputs
TEXT, MARKDOWN, BOXES, DETAILS, TABLE, DOWNLOADS, PAGE = range(7)


def _submit(client, files, model, max_new_tokens=16, mode="small", pages=""):
    from gradio_client import handle_file

    return client.submit([handle_file(str(path)) for path in files], None, str(model), "", "ocr", mode, pages,
                         max_new_tokens, api_name="/recognize")


def _finish(job, timeout=300):
    deadline = time.monotonic() + timeout
    while not job.done():
        assert time.monotonic() < deadline, "the reading did not finish"
        time.sleep(0.2)
    return job.result()


def test_the_text_arrives_token_by_token_before_the_page_is_done(client, tiny_model_dir, example_lines):
    job = _submit(client, [example_lines[2]], tiny_model_dir, max_new_tokens=12)
    final = _finish(job)
    partial = [output for output in job.outputs()[:-1] if "tokens so far" in output[DETAILS]]
    assert len(partial) >= 3
    assert len({output[TEXT] for output in partial}) >= 3  # the text grows
    for output in partial:
        assert final[TEXT].startswith(output[TEXT])
    assert "new tokens" in final[DETAILS] and "mode `small` (chosen)" in final[DETAILS]


def test_a_three_page_pdf_is_read_page_by_page(client, tiny_model_dir, three_page_pdf, example_lines):
    final = _finish(_submit(client, [three_page_pdf, example_lines[0]], tiny_model_dir, max_new_tokens=8))
    rows = final[TABLE]["data"]
    assert [(row[0], row[1]) for row in rows] == [("three-pages.pdf", 1), ("three-pages.pdf", 2),
                                                   ("three-pages.pdf", 3), (example_lines[0].name, None)]
    assert all(0 < row[3] <= 8 for row in rows)
    names = sorted(path.rsplit("/", 1)[-1] for path in final[DOWNLOADS])
    assert names == sorted(["three-pages.txt", "three-pages.md", "three-pages.json", f"{example_lines[0].stem}.txt",
                            f"{example_lines[0].stem}.md", f"{example_lines[0].stem}.json", "results.zip"])
    assert [choice[0] for choice in final[PAGE]["choices"]] == [
        "three-pages.pdf · page 1", "three-pages.pdf · page 2", "three-pages.pdf · page 3", example_lines[0].name]


def test_a_page_range_and_a_bad_file_among_good_ones(client, tiny_model_dir, three_page_pdf, tmp_path):
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"not an image")
    final = _finish(_submit(client, [corrupt, three_page_pdf], tiny_model_dir, max_new_tokens=8, pages="2"))
    rows = final[TABLE]["data"]
    assert rows[0][0] == "corrupt.png" and "Not a readable image" in rows[0][-1]
    assert [(row[0], row[1]) for row in rows[1:]] == [("three-pages.pdf", 2)]


def test_stop_ends_the_page_being_read_and_keeps_what_was_read(client, tiny_model_dir, example_lines):
    job = _submit(client, [example_lines[2], example_lines[3]], tiny_model_dir, max_new_tokens=4000)
    deadline = time.monotonic() + 120
    while not any("tokens so far" in output[DETAILS] for output in job.outputs()):
        assert time.monotonic() < deadline and not job.done(), "no partial text arrived"
        time.sleep(0.1)
    client.predict(api_name="/recognize_stop")
    final = _finish(job, timeout=120)
    assert final[DETAILS].startswith("Stopped after 1 of 2 pages")
    (row,) = final[TABLE]["data"]
    assert row[3] < 4000


@pytest.mark.parametrize("pages", ["two", "3-1"])
def test_a_malformed_page_range_is_a_message(client, tiny_model_dir, three_page_pdf, pages):
    with pytest.raises(Exception, match="pages") as caught:
        _finish(_submit(client, [three_page_pdf], tiny_model_dir, pages=pages))
    assert "Traceback" not in str(caught.value)
