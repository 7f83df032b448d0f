"""A tiny model trained on grounded answers: the tags survive generation and decoding, and become regions."""

from ocr_space.grounding import GROUNDING_TAGS


def test_a_model_trained_on_grounded_answers_returns_regions(grounded_model_dir, example_lines, three_page_pdf):
    from ocr_space.models import load_model
    from ocr_space.recognize import recognize_batch

    loaded = load_model(str(grounded_model_dir), device="cpu")
    # training always uses the OCR prompt, so that is the one the model learned to answer with grounded spans
    results = recognize_batch(loaded, [example_lines[0], three_page_pdf], prompt="ocr", max_new_tokens=40,
                              pages="1")
    for result in results:
        assert all(tag in result.raw for tag in GROUNDING_TAGS), result.raw
        assert [region.label for region in result.regions] == ["title"]
        width, height = result.image.size
        for x1, y1, x2, y2 in result.regions[0].boxes:
            assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
        assert "标题" in result.text and "<|" not in result.text and "<|" not in result.markdown
