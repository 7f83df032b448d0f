"""A tiny DeepSeek-OCR v1 end to end: recognize, v1's attention, LoRA steps, merge, save, reload."""

import copy
import dataclasses

import pytest
import torch
from PIL import Image
from transformers import LogitsProcessor, LogitsProcessorList, UnlimitedOcrForConditionalGeneration

from ocr_space.models import load_model
from ocr_space.models.deepseek_ocr_v1.convert import convert_to_v1
from ocr_space.models.lora import LoraSettings, lora_config
from ocr_space.recognize import recognize, recognize_batch

LINE_TEXT = "今天天气很好，我们去公园散步。"  # examples/lines/line_000.png


@pytest.fixture(scope="module")
def v1(tiny_v1_dir):
    return load_model(str(tiny_v1_dir), device="cpu")


@pytest.mark.parametrize(("mode", "size"), [("tiny", (200, 40)), ("small", (200, 40)), ("base", (200, 40))])
def test_model_makes_one_feature_per_image_token_in_each_mode(v1, mode, size):
    """The processor's token layout and the model's (newline per row, separator) agree.

    ("large" is "base" at 1280 px, too slow for a CPU test; gundam's tiles are checked by recognition below.)
    """
    inputs = v1.processor(images=[Image.new("RGB", size, "white")], text=[v1.family.ocr_prompt], return_tensors="pt",
                          **v1.family.mode(mode).processor_kwargs(v1.processor))
    with torch.no_grad():
        features = v1.model.get_image_features(inputs["pixel_values"], inputs.get("pixel_values_local"),
                                               inputs["num_local_patches"], inputs["patches_grid"]).pooler_output
    assert features[0].shape[0] == int((inputs["input_ids"] == v1.processor.image_token_id).sum())


def test_batched_gundam_recognition_equals_one_by_one(v1, example_lines):
    """Images of different shapes get different tile grids (here 3x1 and 2x1); batching keeps each one's layout."""
    assert v1.family.default_mode == "gundam"
    # the tiny model's tiles are 160 px (640 px at 16-px patches), so these are tiled like 1320x400 and 800x480
    images = [Image.open(example_lines[0]).resize((330, 100)), Image.open(example_lines[1]).resize((200, 120))]
    one_by_one = [recognize(v1, image, max_new_tokens=4) for image in images]
    assert all(result.text and result.new_tokens == 4 for result in one_by_one)
    batched = recognize_batch(v1, images, max_new_tokens=4)
    assert [r.text for r in batched] == [r.text for r in one_by_one]


class ForceTokens(LogitsProcessor):
    """Makes generate follow a fixed continuation, so two models can be compared step by step."""

    def __init__(self, prompt_length: int, tokens: torch.Tensor):
        self.prompt_length, self.tokens = prompt_length, tokens

    def __call__(self, input_ids, scores):
        forced = torch.full_like(scores, float("-inf"))
        forced[:, self.tokens[input_ids.shape[1] - self.prompt_length]] = 0.0
        return forced


def logits_along(model, inputs, continuation: torch.Tensor) -> torch.Tensor:
    force = ForceTokens(inputs["input_ids"].shape[1], continuation)
    out = model.generate(**inputs, max_new_tokens=len(continuation), do_sample=False, output_logits=True,
                         return_dict_in_generate=True, logits_processor=LogitsProcessorList([force]))
    return torch.stack(out.logits)[:, 0]


def test_v1_full_attention_and_unlimited_ocr_sliding_attention_differ_after_128_generated_tokens(v1):
    assert set(v1.model.config.text_config.layer_types) == {"full_attention"}  # what our family loads
    sliding_config = copy.deepcopy(v1.model.config)
    layers = sliding_config.text_config.num_hidden_layers
    sliding_config.text_config.layer_types = ["reference_sliding_attention"] * layers
    assert sliding_config.text_config.sliding_window == 128  # Unlimited-OCR's default window
    sliding = UnlimitedOcrForConditionalGeneration(sliding_config).eval()
    sliding.load_state_dict(v1.model.state_dict())

    inputs = v1.processor(images=[Image.new("RGB", (200, 40), "white")], text=[v1.family.ocr_prompt],
                          return_tensors="pt", **v1.family.mode("tiny").processor_kwargs(v1.processor))
    continuation = torch.randint(100, 1000, (134,), generator=torch.Generator().manual_seed(0))
    full_logits, sliding_logits = logits_along(v1.model, inputs, continuation), logits_along(sliding, inputs,
                                                                                            continuation)
    step_difference = (full_logits - sliding_logits).abs().amax(dim=-1)
    # up to 128 generated tokens the window holds them all; beyond, sliding attention forgets the earliest
    assert step_difference[:129].max() < 1e-4  # float rounding only
    assert step_difference[129:].min() > 100 * step_difference[:129].max()


def training_batch(loaded, image, text: str) -> dict:
    """Prompt + answer + EOS, loss only on the answer (the reference recipe's masking)."""
    kwargs = loaded.family.mode("tiny").processor_kwargs(loaded.processor)
    prompt_length = loaded.processor(images=[image], text=[loaded.family.ocr_prompt], return_tensors="pt",
                                     **kwargs)["input_ids"].shape[1]
    batch = loaded.processor(images=[image], text=[loaded.family.ocr_prompt + text], return_tensors="pt", **kwargs)
    input_ids = torch.cat([batch["input_ids"], torch.tensor([[loaded.tokenizer.eos_token_id]])], dim=1)
    labels = input_ids.clone()
    labels[:, :prompt_length] = -100
    batch.update(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), labels=labels)
    return batch


@pytest.fixture(scope="module")
def trained(tiny_v1_dir, example_lines, tmp_path_factory):
    """A few LoRA steps (PEFT, the family's targets incl. every routed expert) on one line; adapter saved."""
    from peft import get_peft_model

    loaded = load_model(str(tiny_v1_dir), device="cpu")
    model = get_peft_model(loaded.model, lora_config(loaded.family, LoraSettings(r=8, alpha=16)))
    batch = training_batch(loaded, Image.open(example_lines[0]).convert("RGB"), LINE_TEXT)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    losses = []
    for _ in range(5):
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    model.eval()
    tuned = dataclasses.replace(loaded, model=model)
    adapter_dir = tmp_path_factory.mktemp("v1-adapter")
    model.save_pretrained(str(adapter_dir))
    return {"loaded": tuned, "losses": losses, "adapter": adapter_dir,
            "lora_names": [name for name, p in model.named_parameters() if p.requires_grad],
            "text": recognize(tuned, example_lines[0], max_new_tokens=12, mode="tiny").text}


def test_lora_steps_lower_the_loss(trained):
    losses = trained["losses"]
    assert losses[-1] < 0.8 * losses[0], losses


def test_lora_reaches_routed_experts_and_decoder_but_not_the_vision_towers(trained):
    names = trained["lora_names"]
    assert any("mlp.experts" in name for name in names)
    assert any("self_attn.q_proj" in name and "language_model" in name for name in names)
    assert not any("vision_tower" in name for name in names)


def test_saved_adapter_reloads_through_load_model_with_the_same_output(trained, tiny_v1_dir, example_lines):
    reloaded = load_model(str(tiny_v1_dir), adapter=str(trained["adapter"]), device="cpu")
    assert recognize(reloaded, example_lines[0], max_new_tokens=12, mode="tiny").text == trained["text"]


@pytest.fixture(scope="module")
def merged_dir(trained, tmp_path_factory):
    out = tmp_path_factory.mktemp("v1-merged")
    merged = trained["loaded"].model.merge_and_unload()
    merged.save_pretrained(str(out))
    trained["loaded"].processor.save_pretrained(str(out))
    return out


def test_merged_model_saved_and_reloaded_gives_the_same_greedy_output(trained, merged_dir, example_lines):
    reloaded = load_model(str(merged_dir), device="cpu")
    assert reloaded.family.name == "deepseek-ocr"
    assert recognize(reloaded, example_lines[0], max_new_tokens=12, mode="tiny").text == trained["text"]


def test_merged_model_written_in_the_official_layout_reloads_with_the_same_output(
        trained, merged_dir, example_lines, tmp_path, monkeypatch):
    monkeypatch.setenv("OCR_SPACE_CACHE", str(tmp_path / "cache"))
    convert_to_v1(merged_dir, tmp_path / "merged-v1")
    reloaded = load_model(str(tmp_path / "merged-v1"), device="cpu")
    assert recognize(reloaded, example_lines[0], max_new_tokens=12, mode="tiny").text == trained["text"]
