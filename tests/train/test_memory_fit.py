"""The memory ladder: which settings a run falls back to when the heaviest batch does not fit."""

import datasets
import pytest
import torch

from ocr_space.train.memory_fit import MemoryPlan, fit_to_memory, heaviest_rows, ladder

GIB = 2**30


def test_ladder_keeps_the_effective_batch_and_only_switches_auto_checkpointing():
    assert ladder(8, 1, "auto") == [MemoryPlan(8, 1, "off"), MemoryPlan(8, 1, "on"), MemoryPlan(4, 2, "on"),
                                    MemoryPlan(2, 4, "on"), MemoryPlan(1, 8, "on")]
    assert ladder(8, 2, "off") == [MemoryPlan(8, 2, "off"), MemoryPlan(4, 4, "off"), MemoryPlan(2, 8, "off"),
                                   MemoryPlan(1, 16, "off")]
    assert ladder(1, 4, "on") == [MemoryPlan(1, 4, "on")]
    # an odd micro-batch rounds the accumulation up: never fewer samples per optimizer step
    assert all(plan.batch_size * plan.grad_accum >= 6 for plan in ladder(6, 1, "auto"))


def _memory(peaks: dict):
    """A GPU that holds the plans in ``peaks`` (bytes) and runs out of memory on the rest."""
    tried = []

    def try_plan(plan):
        tried.append(plan)
        if plan not in peaks:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return peaks[plan]

    return try_plan, tried


def test_first_plan_that_fits_is_taken_and_every_attempt_is_recorded():
    try_plan, tried = _memory({MemoryPlan(8, 1, "on"): 10 * GIB, MemoryPlan(4, 2, "on"): 7 * GIB})
    result = fit_to_memory(ladder(8, 1, "auto"), try_plan, budget_bytes=15 * GIB)
    assert result.plan == MemoryPlan(8, 1, "on")
    assert tried == [MemoryPlan(8, 1, "off"), MemoryPlan(8, 1, "on")]
    assert [attempt["fits"] for attempt in result.attempts] == [False, True]
    assert result.attempts[0]["why"] == "out of memory"


def test_a_peak_too_close_to_the_budget_counts_as_not_fitting():
    # fits the allocator, but the optimizer state (not allocated by the probe) would tip it over
    try_plan, _ = _memory({MemoryPlan(8, 1, "off"): 13.5 * GIB, MemoryPlan(8, 1, "on"): 9 * GIB})
    result = fit_to_memory(ladder(8, 1, "auto"), try_plan, budget_bytes=15 * GIB, reserve_bytes=0.6 * GIB)
    assert result.plan == MemoryPlan(8, 1, "on")
    assert result.attempts[0]["fits"] is False and result.attempts[0]["peak_gib"] == 13.5


def test_nothing_fits_gives_no_plan_and_other_errors_are_not_swallowed():
    try_plan, tried = _memory({})
    result = fit_to_memory(ladder(4, 1, "auto"), try_plan, budget_bytes=15 * GIB)
    assert result.plan is None and len(tried) == 4

    def broken(plan):
        raise ValueError("a shape bug is not an out-of-memory")

    with pytest.raises(ValueError):
        fit_to_memory(ladder(4, 1, "auto"), broken, budget_bytes=15 * GIB)


def test_heaviest_rows_are_the_longest_transcriptions():
    rows = datasets.Dataset.from_dict({"text": ["a", "abcd", "", "ab", "abc"], "n": [0, 1, 2, 3, 4]})
    assert [row["n"] for row in heaviest_rows(rows, 2)] == [1, 4]
    assert [row["n"] for row in heaviest_rows(list(rows), 3)] == [1, 4, 3]
