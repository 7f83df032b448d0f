"""The collator's label mask, exactly: loss on the answer tokens and EOS, nowhere else."""

import pytest
import torch

from ocr_space.errors import ConfigError
from ocr_space.images import load_image
from ocr_space.train.collators import IGNORE_INDEX, collator_for


@pytest.fixture(scope="module")
def collate(tiny_loaded):
    return collator_for(tiny_loaded.family, tiny_loaded.processor, mode="small", max_length=512)


@pytest.fixture(scope="module")
def line_image(example_lines):
    return load_image(example_lines[0])


def _prompt_ids(loaded, image):
    kwargs = loaded.family.mode("small").processor_kwargs(loaded.processor)
    return loaded.processor(images=image, text=loaded.family.ocr_prompt, return_tensors="pt",
                            **kwargs)["input_ids"][0].tolist()


def test_labels_are_the_answer_tokens_then_eos_and_ignore_everything_before(tiny_loaded, collate, line_image):
    tokenizer = tiny_loaded.tokenizer
    batch = collate([{"image": line_image, "text": "你好，世界"}])
    prompt = _prompt_ids(tiny_loaded, line_image)
    answer = tokenizer("你好，世界", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]

    assert batch["input_ids"][0].tolist() == prompt + answer
    assert batch["labels"][0].tolist() == [IGNORE_INDEX] * len(prompt) + answer
    assert batch["attention_mask"][0].tolist() == [1] * (len(prompt) + len(answer))


def test_prompt_image_and_bos_tokens_carry_no_loss(tiny_loaded, collate, line_image):
    batch = collate([{"image": line_image, "text": "一二三"}])
    image_token = tiny_loaded.processor.image_token_id
    ids, labels = batch["input_ids"][0], batch["labels"][0]
    assert (ids == image_token).sum() == 145  # 144 view tokens + 1 separator in the tiny small mode
    assert (labels[ids == image_token] == IGNORE_INDEX).all()
    assert labels[0] == IGNORE_INDEX and ids[0] == tiny_loaded.tokenizer.bos_token_id
    assert (labels != IGNORE_INDEX).sum() == 4  # 3 characters + EOS


def test_padding_is_masked_and_on_the_right(tiny_loaded, collate, line_image):
    tokenizer = tiny_loaded.tokenizer
    batch = collate([{"image": line_image, "text": "一"}, {"image": line_image, "text": "一二三四五"}])
    short_len = len(_prompt_ids(tiny_loaded, line_image)) + 2
    assert batch["input_ids"].shape[0] == 2
    assert batch["input_ids"][0, short_len:].eq(tokenizer.pad_token_id).all()
    assert batch["labels"][0, short_len:].eq(IGNORE_INDEX).all()
    assert batch["attention_mask"][0, short_len:].eq(0).all()
    assert batch["attention_mask"][1].eq(1).all()
    assert batch["pixel_values"].shape[0] == 2 and batch["num_local_patches"].tolist() == [0, 0]


def test_an_answer_too_long_for_max_length_is_cut_without_eos(tiny_loaded, line_image):
    prompt_len = len(_prompt_ids(tiny_loaded, line_image))
    collate = collator_for(tiny_loaded.family, tiny_loaded.processor, mode="small", max_length=prompt_len + 3)
    batch = collate([{"image": line_image, "text": "一二三四五六"}])
    answer = batch["labels"][0][prompt_len:].tolist()
    assert answer == tiny_loaded.tokenizer("一二三", add_special_tokens=False)["input_ids"]
    assert tiny_loaded.tokenizer.eos_token_id not in answer
    assert collate.truncated == 1


def test_max_length_below_the_prompt_names_the_setting(tiny_loaded, line_image):
    collate = collator_for(tiny_loaded.family, tiny_loaded.processor, mode="small", max_length=10)
    with pytest.raises(ConfigError, match="max_length"):
        collate([{"image": line_image, "text": "一"}])


def test_tiled_and_untiled_images_batch_together(tiny_loaded, line_image):
    from PIL import Image

    collate = collator_for(tiny_loaded.family, tiny_loaded.processor, mode="tiles", max_length=4096)
    wide = Image.new("RGB", (600, 60), "white")  # wider than the 192-px tile: gets local tiles
    batch = collate([{"image": wide, "text": "一"}, {"image": line_image.resize((150, 40)), "text": "二"}])
    tiles = batch["num_local_patches"].tolist()
    assert tiles[0] > 0 and tiles[1] == 0
    assert batch["pixel_values_local"].shape[0] == tiles[0]
    with torch.no_grad():
        assert torch.isfinite(tiny_loaded.model(**batch).loss)


def test_model_loss_is_the_mean_cross_entropy_over_answer_tokens_only(tiny_loaded, collate, line_image):
    batch = collate([{"image": line_image, "text": "一二"}, {"image": line_image, "text": "三四五六"}])
    with torch.no_grad():
        output = tiny_loaded.model(**batch)
    logits, labels = output.logits[:, :-1], batch["labels"][:, 1:]  # position t predicts token t+1
    scored = labels != IGNORE_INDEX
    manual = torch.nn.functional.cross_entropy(logits[scored].float(), labels[scored])
    assert scored.sum() == 3 + 5
    torch.testing.assert_close(output.loss, manual)


def test_the_family_training_mode_is_used_by_default(tiny_loaded):
    collate = collator_for(tiny_loaded.family, tiny_loaded.processor)
    assert tiny_loaded.family.training_mode == "small"
    assert collate.processor_kwargs == tiny_loaded.family.mode("small").processor_kwargs(tiny_loaded.processor)
    assert collate.prompt == tiny_loaded.family.ocr_prompt


def test_answer_window_gives_the_same_loss_and_gradients_with_a_fraction_of_the_logits(tiny_loaded, line_image):
    from peft import get_peft_model

    from ocr_space.models.lora import LoraSettings, lora_config

    rows = [{"image": line_image, "text": "你好，世界"}, {"image": line_image, "text": "一"}]
    full = collator_for(tiny_loaded.family, tiny_loaded.processor, mode="small")(rows)
    window = collator_for(tiny_loaded.family, tiny_loaded.processor, mode="small", answer_logits_only=True)(rows)
    first_answer = int((full["labels"] != IGNORE_INDEX).any(dim=0).nonzero()[0])
    keep = full["labels"].shape[1] - first_answer + 1
    assert window["logits_to_keep"] == keep and keep < full["labels"].shape[1] // 2
    assert torch.equal(window["labels"], full["labels"][:, -keep:])
    assert int((window["labels"] != IGNORE_INDEX).sum()) == int((full["labels"] != IGNORE_INDEX).sum())

    import copy

    model = get_peft_model(copy.deepcopy(tiny_loaded.model), lora_config(tiny_loaded.family, LoraSettings()))
    results = []
    for batch in (full, window):
        model.zero_grad(set_to_none=True)
        output = model(**batch)
        output.loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        results.append((output.loss.detach(), output.logits.shape[1], grads))
    (loss_full, positions_full, grads_full), (loss_window, positions_window, grads_window) = results
    assert (positions_full, positions_window) == (full["labels"].shape[1], keep)
    torch.testing.assert_close(loss_window, loss_full)
    assert grads_full.keys() == grads_window.keys() and grads_full
    for name in grads_full:
        torch.testing.assert_close(grads_window[name], grads_full[name], rtol=1e-4, atol=1e-6, msg=name)


def test_v1_batches_join_its_per_image_lists(tiny_v1_dir, line_image):
    """DeepSeek-OCR v1's processor returns num_local_patches / patches_grid as lists, one entry per image."""
    from ocr_space.models import load_model

    loaded = load_model(str(tiny_v1_dir), device="cpu")
    batch = collator_for(loaded.family, loaded.processor)([{"image": line_image, "text": "一"},
                                                           {"image": line_image, "text": "二三"}])
    assert batch["num_local_patches"] == [0, 0] and len(batch["patches_grid"]) == 2
    with torch.no_grad():
        assert torch.isfinite(loaded.model(**batch).loss)
