"""The grounded-output parser: the reference format, many boxes, broken and cut spans, grid -> pixels."""

import pytest
from PIL import Image

from ocr_space.grounding import GROUNDING_TAGS, Region, crop_figures, parse_boxes, parse_grounded, to_pixels

#: the shape of a reference `markdown` answer (title, paragraph, a figure with two boxes, a caption)
REFERENCE = ("<|ref|>title<|/ref|><|det|>[[62, 40, 930, 88]]<|/det|>\n# 年度报告\n\n"
             "<|ref|>text<|/ref|><|det|>[[62, 100, 930, 180]]<|/det|>\n本年度收入增长。\n\n"
             "<|ref|>image<|/ref|><|det|>[[80, 200, 500, 420], [520, 200, 930, 420]]<|/det|>\n\n"
             "<|ref|>image_caption<|/ref|><|det|>[[80, 430, 930, 460]]<|/det|>\n图 1：收入\n")


def test_reference_format_gives_labelled_regions_with_their_text():
    out = parse_grounded(REFERENCE, 1000, 1000)
    assert [region.label for region in out.regions] == ["title", "text", "image", "image_caption"]
    assert [region.text for region in out.regions] == ["# 年度报告", "本年度收入增长。", "", "图 1：收入"]
    assert out.regions[0].boxes == ((62, 40, 930, 88),)


def test_clean_text_has_no_markup_and_markdown_links_each_figure():
    out = parse_grounded(REFERENCE, 1000, 1000)
    assert out.text == "# 年度报告\n\n本年度收入增长。\n\n图 1：收入"
    assert not any(tag in out.text for tag in GROUNDING_TAGS)
    markdown = out.markdown(lambda index: f"fig{index}.png")
    assert markdown.count("![](") == 2 and "![](fig0.png)" in markdown and "![](fig1.png)" in markdown
    assert markdown.index("收入增长") < markdown.index("fig0.png") < markdown.index("图 1")
    assert "<|" not in markdown


def test_one_span_with_several_boxes_keeps_them_all():
    out = parse_grounded("<|ref|>text<|/ref|><|det|>[[0, 0, 10, 10], [20, 20, 30, 30], [40,40,50,50]]<|/det|>x",
                         999, 999)
    assert out.regions[0].boxes == ((0, 0, 10, 10), (20, 20, 30, 30), (40, 40, 50, 50))


def test_grid_coordinates_map_to_pixels_of_a_non_square_image():
    (region,) = parse_grounded("<|ref|>a<|/ref|><|det|>[[0, 0, 999, 999]]<|/det|>", 2000, 500).regions
    assert region.boxes == ((0, 0, 2000, 500),)
    (region,) = parse_grounded("<|ref|>a<|/ref|><|det|>[[500, 500, 750, 999]]<|/det|>", 1998, 300).regions
    assert region.boxes == ((1000, 150, 1500, 300),)  # x scales by the width, y by the height


def test_reversed_corners_are_ordered_and_out_of_grid_values_clamped():
    assert parse_boxes("[[999, 999, 0, 0]]", 100, 50) == [(0, 0, 100, 50)]
    assert parse_boxes("[[-5, 0, 1200, 999.0]]", 100, 50) == [(0, 0, 100, 50)]
    assert to_pixels(999, 7) == 7


def test_nested_ref_keeps_the_inner_label_and_the_outer_words_as_text():
    out = parse_grounded("<|ref|>outer<|ref|>inner<|/ref|><|det|>[[1, 2, 3, 4]]<|/det|>after", 999, 999)
    assert [region.label for region in out.regions] == ["inner"]
    assert out.text == "outerafter"


@pytest.mark.parametrize("raw, text", [
    ("<|ref|>just a label<|/ref|> and words", "just a label and words"),  # a ref without boxes
    ("<|ref|>a<|/ref|><|det|>no numbers here<|/det|>", "ano numbers here"),  # a det that does not parse
    ("stray <|/det|>closing<|/ref|> tags", "stray closing tags"),
    ("<|det|>[[1, 2]]<|/det|>", "[[1, 2]]"),  # boxes need four numbers
])
def test_malformed_spans_leave_their_words_as_text_and_no_region(raw, text):
    out = parse_grounded(raw, 100, 100)
    assert out.regions == () and out.text == text


def test_boxes_without_a_label_are_an_unlabelled_region():
    out = parse_grounded("<|det|>[[0, 0, 499, 499]]<|/det|>words", 100, 100)
    assert out.regions == (Region("", ((0, 0, 49, 49),), "words"),)


def test_a_span_cut_by_max_new_tokens_keeps_the_complete_boxes():
    cut = "<|ref|>text<|/ref|><|det|>[[0, 0, 999, 999], [10, 20, 3"
    out = parse_grounded("intro " + cut, 100, 100)
    assert out.regions == (Region("text", ((0, 0, 100, 100),), ""),)
    assert out.text == "intro"


def test_no_prefix_of_a_reference_answer_raises_or_leaks_tags():
    for end in range(len(REFERENCE) + 1):
        out = parse_grounded(REFERENCE[:end], 640, 480)
        assert not any(tag in out.text for tag in GROUNDING_TAGS)
        assert "<|" not in out.markdown()
        for region in out.regions:
            assert region.boxes and all(0 <= x1 <= x2 <= 640 and 0 <= y1 <= y2 <= 480
                                        for x1, y1, x2, y2 in region.boxes)
    assert len(parse_grounded(REFERENCE, 640, 480).regions) == 4


def test_plain_output_is_its_own_text_and_markdown():
    out = parse_grounded("第一行\n第二行", 100, 100)
    assert out.regions == () and out.text == "第一行\n第二行" and out.markdown() == out.text


def test_figure_crops_follow_the_figure_boxes():
    image = Image.new("RGB", (1000, 500), "white")
    out = parse_grounded(REFERENCE, *image.size)
    crops = crop_figures(image, out)
    assert [crop.size for crop in crops] == [(420, 110), (410, 110)]
    degenerate = parse_grounded("<|ref|>image<|/ref|><|det|>[[5, 5, 5, 5]]<|/det|>", *image.size)
    assert crop_figures(image, degenerate)[0].size == (1, 1)


def test_tags_survive_a_round_trip_through_the_tiny_models_tokenizer(tiny_loaded):
    """The saved tokenizer treats the tags as special tokens: plain decoding drops them, ours keeps them."""
    from ocr_space.recognize import Recognition, decode_output

    tokenizer = tiny_loaded.tokenizer
    ids = tokenizer(REFERENCE)["input_ids"] + [tokenizer.eos_token_id, tokenizer.pad_token_id]
    assert "<|ref|>" not in tokenizer.decode(ids, skip_special_tokens=True)  # what decoding did before
    raw = decode_output(tokenizer, ids)
    assert raw == REFERENCE.strip()
    result = Recognition.from_output(raw, Image.new("RGB", (1000, 1000)), seconds=0.1, new_tokens=len(ids))
    assert [region.label for region in result.regions] == ["title", "text", "image", "image_caption"]
    assert result.text == parse_grounded(REFERENCE, 1000, 1000).text
    assert list(result.figures) == ["figure-1.png", "figure-2.png"]
    assert "![](figures/figure-1.png)" in result.markdown
