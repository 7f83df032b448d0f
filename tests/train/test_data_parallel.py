"""How a run spreads over processes: the batch each takes, the strategy, resume, and who writes the run folder."""

import pytest

from ocr_space.errors import ConfigError
from ocr_space.train import TrainConfig
from ocr_space.train.data_parallel import (
    check_resume_world_size,
    check_strategy,
    per_process_batch,
    share_effective_batch,
    trainer_arguments,
)
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


@pytest.fixture
def second_of_two(monkeypatch):
    """This process as rank 1 of 2; ``others`` sets what the other process contributes to each gather."""
    from ocr_space import distributed

    contributed = {}
    monkeypatch.setattr(distributed, "topology", lambda: distributed.Topology(world_size=2, rank=1, local_rank=1))
    monkeypatch.setattr(distributed, "gather_objects", lambda value: [contributed["value"], value])
    return contributed


def test_a_plan_for_two_processes_gives_each_half_the_batch_and_records_the_world(reader_model_dir, second_of_two):
    from ocr_space.train.plan import resolve_plan

    config = TrainConfig(model=str(reader_model_dir), data="unused", batch_size=8, grad_accum=1)
    plan = resolve_plan(config)
    assert (plan.world_size, plan.strategy, plan.device) == (2, "ddp", "cpu")
    assert (plan.memory.batch_size, plan.memory.grad_accum, plan.samples_per_step) == (4, 1, 8)
    assert plan.as_dict()["world_size"] == 2 and plan.as_dict()["strategy"] == "ddp"


def test_the_processes_agree_on_the_memory_rung_the_tightest_gpu_needs(second_of_two):
    from ocr_space.train.data_parallel import agree_on_fit
    from ocr_space.train.memory_fit import FitResult, ladder

    rungs = ladder(8, 1, "auto")  # 8x1 off, 8x1 on, 4x2 on, 2x4 on, 1x8 on
    second_of_two["value"] = 3  # the other GPU needed 2 x 4
    agreed = agree_on_fit(rungs, FitResult(plan=rungs[0], attempts=[{"plan": rungs[0].describe(), "fits": True}]))
    assert agreed.plan == rungs[3]
    assert agreed.attempts[-1]["why"].startswith("another GPU needs it")
    second_of_two["value"] = len(rungs)  # nothing fitted there: nothing is chosen here either
    assert agree_on_fit(rungs, FitResult(plan=rungs[0])).plan is None


def test_a_cancel_seen_by_one_process_stops_every_process(second_of_two, tmp_path):
    import threading

    from transformers import TrainerControl, TrainerState

    from ocr_space.train.callbacks import CancelCallback

    callback = CancelCallback(RunDir(tmp_path), threading.Event())  # nothing asked here
    second_of_two["value"] = True  # the other process saw cancel.request
    control = callback.on_step_end(None, TrainerState(global_step=3), TrainerControl())
    assert control.should_training_stop and control.should_save and callback.stopped_at == 3


def test_a_resumed_run_keeps_the_optimizer_its_checkpoint_was_saved_with(tmp_path):
    from ocr_space.train import TrainConfig
    from ocr_space.train.runner import _prepare_resume

    run = RunDir(tmp_path)
    TrainConfig(model="m", data="d", out=str(tmp_path)).to_yaml(run.config_file)
    run.update_status(state="interrupted", step=3, plan={"optim": "adamw_8bit", "world_size": 1})
    assert _prepare_resume(run, None)["optim"] == "adamw_8bit"  # auto resolved to it when the run started
    assert TrainConfig.from_yaml(run.config_file).optim == "adamw_8bit"  # written back for the next resume
    run.update_status(plan={})  # a run from before the plan was recorded: auto stays auto
    TrainConfig(model="m", data="d", out=str(tmp_path)).to_yaml(run.config_file)
    assert _prepare_resume(run, None)["optim"] == "auto"
