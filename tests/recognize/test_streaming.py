"""Streaming: the text grows token by token before the page is done, ends as the batched read, and can be stopped."""

import threading

import pytest

from ocr_space.recognize import recognize, recognize_batch
from ocr_space.streaming import _GENERATION_THREAD, recognize_stream


def test_partial_text_arrives_before_the_end_and_the_end_matches_the_batched_read(tiny_loaded, example_lines):
    updates = list(recognize_stream(tiny_loaded, example_lines[2], max_new_tokens=10, mode="small"))
    partial, final = updates[:-1], updates[-1]
    assert final.done and not final.stopped and not any(update.done for update in partial)
    assert len(partial) >= 3  # one update per generated token
    assert [update.new_tokens for update in partial] == list(range(1, len(partial) + 1))
    assert len({update.raw for update in partial}) > 1 and partial[0].raw != final.result.raw
    for update in partial:
        assert final.result.raw.startswith(update.raw.rstrip())
    expected = recognize(tiny_loaded, example_lines[2], max_new_tokens=10, mode="small")
    assert (final.result.text, final.result.new_tokens) == (expected.text, expected.new_tokens)
    assert final.result.mode == "small" and final.result.seconds > 0


def test_a_stop_set_before_the_first_token_ends_after_it(tiny_loaded, example_lines):
    stop = threading.Event()
    stop.set()
    final = list(recognize_stream(tiny_loaded, example_lines[2], max_new_tokens=40, mode="small", ngram_guard=0,
                                  stop=stop))[-1]
    assert final.done and final.stopped and final.result.new_tokens == 1
    unstopped = recognize(tiny_loaded, example_lines[2], max_new_tokens=40, mode="small", ngram_guard=0)
    assert unstopped.new_tokens == 40  # without the stop this page runs to the cap


def test_a_stop_set_while_reading_ends_the_page_early(tiny_loaded, example_lines):
    stop = threading.Event()
    updates = []
    for update in recognize_stream(tiny_loaded, example_lines[2], max_new_tokens=400, mode="small", ngram_guard=0,
                                   stop=stop):
        updates.append(update)
        stop.set()  # the user presses stop once text has arrived
    final = updates[-1]
    assert final.done and final.stopped
    assert final.result.new_tokens < 400 and final.result.text.startswith(updates[0].text)


def test_leaving_a_stream_early_ends_its_generation(tiny_loaded, example_lines):
    stream = recognize_stream(tiny_loaded, example_lines[2], max_new_tokens=4000, mode="small", ngram_guard=0)
    next(stream)
    stream.close()  # e.g. the browser tab was closed
    # the one generation thread is free again within a token or so, not after 4000 of them (minutes here)
    _GENERATION_THREAD.submit(lambda: None).result(timeout=30)
    final = list(recognize_stream(tiny_loaded, example_lines[2], max_new_tokens=3, mode="small"))[-1]
    assert final.done and final.result.new_tokens <= 3


def test_a_pdf_page_streams_with_its_page_number(tiny_loaded, three_page_pdf):
    from ocr_space.recognize import read_pages

    page = read_pages(tiny_loaded, three_page_pdf, "small", pages="2")[0]
    final = list(recognize_stream(tiny_loaded, page, max_new_tokens=3, mode="small"))[-1]
    assert (final.result.source, final.result.page) == (str(three_page_pdf), 2)
    (batched,) = recognize_batch(tiny_loaded, [three_page_pdf], max_new_tokens=3, mode="small", pages="2")
    assert final.result.text == batched.text


def test_a_whole_pdf_is_refused_with_a_pointer_to_its_pages(tiny_loaded, three_page_pdf):
    from ocr_space.errors import ImageError

    with pytest.raises(ImageError, match="one page"):
        next(recognize_stream(tiny_loaded, three_page_pdf, max_new_tokens=2))
