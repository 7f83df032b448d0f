"""How a run spreads over processes: the batch each takes, the strategy, resume, and who writes the run folder."""

import pytest

from ocr_space.errors import ConfigError
from ocr_space.train.data_parallel import (check_resume_world_size, check_strategy, per_process_batch,
                                           share_effective_batch, trainer_arguments)
from ocr_space.train.run_dir import FollowerRunDir, RunDir


@pytest.mark.parametrize("batch_size,grad_accum,world_size", [(8, 1, 2), (8, 1, 4), (8, 1, 8), (2, 4, 2), (2, 4, 8),
                                                              (6, 2, 4), (32, 1, 8), (1, 8, 2)])
def test_the_processes_together_take_the_configured_samples_per_step(batch_size, grad_accum, world_size):
    micro, accum = share_effective_batch(batch_size, grad_accum, world_size)
    assert micro * accum * world_size == batch_size * grad_accum
    assert 1 <= micro <= batch_size


def test_the_accumulation_is_cut_before_the_micro_batch():
    assert share_effective_batch(2, 4, 2) == (2, 2)  # the micro-batch that fitted the card stays
    assert share_effective_batch(8, 1, 2) == (4, 1)


def test_a_batch_that_cannot_be_shared_evenly_is_refused_with_the_fixes():
    with pytest.raises(ConfigError, match="multiple of 2.*effective_batch: scale"):
        share_effective_batch(3, 1, 2)


def test_scale_gives_every_process_the_whole_batch():
    assert per_process_batch(3, 1, 2, "scale") == (3, 1)


def test_a_single_process_has_no_strategy_and_fsdp_needs_cuda():
    assert check_strategy("fsdp", 1, "cpu") == "none"
    assert check_strategy("fsdp", 2, "cuda:1") == "fsdp"
    with pytest.raises(ConfigError, match="fsdp.*CUDA"):
        check_strategy("fsdp", 2, "cpu")
    with pytest.raises(ConfigError, match="strategy"):
        check_strategy("zero3", 2, "cuda:0")


def test_fsdp_keeps_the_original_parameters_lora_needs():
    assert trainer_arguments("fsdp")["fsdp_config"]["use_orig_params"] is True
    assert trainer_arguments("none") == {}


def test_resume_with_another_process_count_is_refused_with_the_matching_command():
    check_resume_world_size(None, 1)  # runs from before the record trained in one process
    with pytest.raises(ConfigError, match="torchrun --nproc_per_node 2"):
        check_resume_world_size(2, 1)
    with pytest.raises(ConfigError, match="2 process.*this resume has 4"):
        check_resume_world_size(2, 4)


def test_a_follower_process_reads_the_run_folder_but_never_writes_it(tmp_path):
    main, follower = RunDir(tmp_path), FollowerRunDir(tmp_path)
    main.update_status(state="training", step=1)
    follower.update_status(state="failed")
    follower.append_event({"step": 2, "loss": 1.0})
    follower.write_metrics({"cer_before": 1.0})
    follower.drop_events_after(0)
    main.append_event({"step": 1, "loss": 2.0})

    assert follower.read_status()["state"] == "training"
    assert [event["step"] for event in follower.read_events()] == [1]
    assert follower.read_metrics() is None
