"""Acceptance "it learns": LoRA training through the public train() makes a random-init tiny model
read held-out Chinese lines (never seen in training) far better than before, and better than any guess
that ignores the image."""

import itertools
import random

import jiwer
import pytest

from ocr_space import TrainConfig, load_model, train
from ocr_space.data.splits import load_split
from ocr_space.train.evaluation_hook import measure_cer

from support.synthetic_lines import CHARACTERS, random_lines, write_line_dataset

#: Every line has 3 characters: the processor scales each line to fit its square view, so a fixed
#: length gives every character slot one size and place, which a model trained from random weights
#: can learn in 250 CPU steps (mixed lengths take several times more). The run is seeded (config.seed,
#: before the LoRA layers exist), so the result does not depend on which tests ran before.
LINE_LENGTH = 3
STEPS = 250


@pytest.fixture(scope="module")
def learned(reader_model_dir, tmp_path_factory):
    rng = random.Random(0)
    train_lines = random_lines(CHARACTERS, 40, (LINE_LENGTH, LINE_LENGTH), rng)
    test_lines = random_lines(CHARACTERS, 24, (LINE_LENGTH, LINE_LENGTH), rng, exclude=set(train_lines))
    root = tmp_path_factory.mktemp("learns")
    data = write_line_dataset(root / "data", train_lines, test_lines)
    # documented options only: a higher lr than the 3B recipe (the model starts from random weights), and
    # the projector + output layer trained in full (train_modules) next to the LoRA layers
    result = train(TrainConfig(model=str(reader_model_dir), data=str(data), out=str(root / "run"), steps=STEPS,
                               batch_size=8, grad_accum=1, learning_rate=5e-3, warmup_steps=5, save_steps=1000,
                               train_modules=["lm_head", "multi_modal_projector"], gradient_checkpointing="off",
                               eval_samples=24, eval_max_new_tokens=6))
    return result, train_lines, test_lines, data


def test_cer_on_held_out_lines_falls_by_at_least_half(learned):
    result, train_lines, test_lines, _ = learned
    assert not set(train_lines) & set(test_lines)
    metrics = result.metrics
    assert metrics["split"] == "test" and metrics["eval_samples"] == len(test_lines)
    assert metrics["cer_before"] > 0.9  # the untrained model reads nothing
    assert metrics["cer_after"] <= 0.5 * metrics["cer_before"]


def test_it_reads_the_images_not_just_the_line_statistics(learned):
    # the >= 50% fall above is also what a model gets that emits 3 plausible characters without looking;
    # reading means beating the best fixed answer by a wide margin
    result, _, test_lines, _ = learned
    guesses = ("".join(chars) for chars in itertools.product(CHARACTERS, repeat=LINE_LENGTH))
    best_blind = min(jiwer.cer(test_lines, [guess] * len(test_lines)) for guess in guesses)
    assert result.metrics["cer_after"] < 0.75 * best_blind


def test_the_saved_adapter_reloads_and_reads_the_same(learned, reader_model_dir):
    result, _, _, data = learned
    test = load_split(data, "test")
    tuned = load_model(str(reader_model_dir), adapter=str(result.adapter), device="cpu")
    reloaded = measure_cer(tuned, [row["image"] for row in test], [row["text"] for row in test], mode="small",
                           max_new_tokens=6)
    assert reloaded == pytest.approx(result.metrics["cer_after"])


def test_the_loss_went_down_and_every_step_was_logged(learned):
    from ocr_space.train import RunDir

    events = RunDir(learned[0].run_dir).read_events()
    assert [event["step"] for event in events] == list(range(1, STEPS + 1))
    first, last = sum(e["loss"] for e in events[:10]) / 10, sum(e["loss"] for e in events[-10:]) / 10
    assert last < 0.25 * first
