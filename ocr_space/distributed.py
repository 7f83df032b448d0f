"""Which process am I, and how many are we: the one place that knows about multi-process launches.

``torchrun --nproc_per_node N -m ocr_space ...`` (or ``accelerate launch
--multi_gpu --num_processes N -m ocr_space ...``) starts N copies of the same
command. Everything else in the package asks this module, never the
environment or ``torch.distributed`` directly:

- :func:`topology`: world size, rank, local rank (one process per device);
- :func:`process_device`: the device this process computes on (``cuda:LOCAL_RANK``
  under a launcher, so N processes do not all pile onto GPU 0);
- :func:`batch_aligned_share` + :func:`gather_in_order`: split a list of inputs
  into contiguous shares of whole batches (via accelerate's
  ``PartialState.split_between_processes``), and put every process's results
  back together in input order. Whole batches, because a batch read on one
  process is then the very same batch a single process would read: the numbers
  do not depend on how many processes read them;
- :func:`run_everywhere` / :func:`on_main_then_share`: a failure on one process
  is raised on every process instead of leaving the others waiting forever.

A plain ``python -m ocr_space`` is a world of one: nothing is initialised, no
collective is called, and every function here is the identity. The process
group is created lazily, by the first call that needs it, with the backend
accelerate picks (NCCL on GPUs, gloo on CPU).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ocr_space.errors import OcrSpaceError

Item = TypeVar("Item")
Result = TypeVar("Result")


class ProcessFailed(OcrSpaceError):
    """Another process of a multi-process launch failed; its own message (on its stderr) says why."""


@dataclass(frozen=True)
class Topology:
    """This process's place among the processes a launcher started.

    >>> Topology().is_main, Topology(world_size=2, rank=1).is_main
    (True, False)
    """

    world_size: int = 1
    rank: int = 0
    local_rank: int = 0
    backend: str | None = None

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that writes files and prints results."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def as_dict(self) -> dict:
        return {"world_size": self.world_size, "rank": self.rank, "local_rank": self.local_rank,
                "backend": self.backend}


def launched_world_size() -> int:
    """How many processes the launcher started (``WORLD_SIZE``), without initialising anything.

    >>> launched_world_size() >= 1
    True
    """
    try:
        return max(int(os.environ.get("WORLD_SIZE", "1")), 1)
    except ValueError:
        return 1


def topology() -> Topology:
    """This process's topology; initialises the process group on first use under a launcher."""
    if launched_world_size() == 1:
        return Topology()
    state = _state()
    return Topology(world_size=state.num_processes, rank=state.process_index,
                    local_rank=state.local_process_index, backend=state.backend)


def is_main_process() -> bool:
    """True in a single process and on rank 0 of a launch."""
    return topology().is_main


def process_device(requested: str | None = "auto") -> str | None:
    """The device this process should use: under a launcher on GPUs, ``auto``/``cuda`` become ``cuda:LOCAL_RANK``.

    An explicit index (``cuda:1``) and ``cpu`` are kept: the user asked for them.

    >>> process_device("cpu")
    'cpu'
    """
    place = topology()
    if not place.distributed or requested not in (None, "", "auto", "cuda"):
        return requested
    import torch

    return f"cuda:{place.local_rank}" if torch.cuda.is_available() else requested


def batch_aligned_share(count: int, batch_size: int) -> range:
    """The indices of ``count`` items this process handles: a contiguous run of whole batches.

    Batches are dealt out as accelerate's ``split_between_processes`` deals
    out list items (the first processes get one more when they do not divide
    evenly); a process may get none when there are fewer batches than processes.

    >>> batch_aligned_share(10, 4)  # a world of one reads everything
    range(0, 10)
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    starts = list(range(0, count, batch_size))
    if not topology().distributed:
        return range(0, count)
    with _state().split_between_processes(starts) as mine:
        mine = list(mine)
    if not mine:
        return range(count, count)
    return range(mine[0], min(mine[-1] + batch_size, count))


def gather_objects(value: Any) -> list[Any]:
    """Every process's ``value`` (picklable), in rank order, on every process."""
    place = topology()
    if not place.distributed:
        return [value]
    import torch.distributed as dist

    gathered: list[Any] = [None] * place.world_size
    dist.all_gather_object(gathered, value)
    return gathered


def gather_in_order(local: Sequence[Item]) -> list[Item]:
    """Concatenate each process's list in rank order: with :func:`batch_aligned_share`, that is input order."""
    return [item for share in gather_objects(list(local)) for item in share]


def run_everywhere(work: Callable[[], Result]) -> list[Result]:
    """``work()`` here; every process's result in rank order, on every process.

    A failure on one process must not leave the others waiting in the gather
    (until a 30-minute timeout): it is gathered like a result, then this
    process re-raises its own exception and the others raise :class:`ProcessFailed`.

    >>> run_everywhere(lambda: 42)
    [42]
    """
    failure, result = None, None
    try:
        result = work()
    except Exception as exc:  # noqa: BLE001 - re-raised below, once the other processes know
        failure = exc
    if not topology().distributed:
        if failure is not None:
            raise failure
        return [result]
    outcomes = gather_objects((failure is None, result if failure is None else f"{type(failure).__name__}: "
                                                                                f"{failure}"))
    if failure is not None:
        raise failure
    failed = [f"process {rank}: {message}" for rank, (ok, message) in enumerate(outcomes) if not ok]
    if failed:
        raise ProcessFailed("Another process of this launch failed: " + "; ".join(failed))
    return [value for _, value in outcomes]


def on_main_then_share(work: Callable[[], Result]) -> Result:
    """``work()`` on rank 0 only (e.g. create a run folder); its result, or its failure, on every process.

    >>> on_main_then_share(lambda: "runs/a")
    'runs/a'
    """
    return run_everywhere(work if topology().is_main else lambda: None)[0]


def map_in_shares(items: Sequence[Item], batch_size: int,
                  work: Callable[[list[Item]], Sequence[Result]]) -> list[Result]:
    """``work`` on this process's share of ``items``; every process gets all results, in input order.

    >>> map_in_shares(["a", "b", "c"], 2, lambda share: [s.upper() for s in share])
    ['A', 'B', 'C']
    """
    share = batch_aligned_share(len(items), batch_size)
    shares = run_everywhere(lambda: list(work(list(items[share.start:share.stop]))) if len(share) else [])
    return [result for results in shares for result in results]


def barrier() -> None:
    """Wait until every process gets here (no-op in a world of one)."""
    if topology().distributed:
        _state().wait_for_everyone()


def shutdown() -> None:
    """Tear the process group down before exit, if one was created (torch warns otherwise)."""
    if launched_world_size() == 1:
        return
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _state():
    """accelerate's process state; on a machine without CUDA, the CPU (gloo) flavour.

    Without ``cpu=True`` accelerate does not treat a CPU launch as distributed
    (it reports one process), so the choice is made here, once per process.
    """
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())
