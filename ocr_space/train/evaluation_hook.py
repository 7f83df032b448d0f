"""CER before and after training, on a capped number of test rows.

The number is the evaluation package's CER (same normalisation as the Compare
tab and the reports), so "before/after" here and in a comparison agree.
"""

from __future__ import annotations

from typing import Sequence


def measure_cer(loaded, images: Sequence, references: Sequence[str], mode: str | None = None,
                max_new_tokens: int = 256, batch_size: int = 8) -> float:
    """Corpus CER (all edits / all reference characters, default normalisation) of ``loaded`` on the given lines.

    >>> measure_cer(loaded, [image], ["你好"], mode="small")  # doctest: +SKIP
    0.5
    """
    from ocr_space.distributed import map_in_shares
    from ocr_space.evaluation.metrics import cer
    from ocr_space.recognize import recognize_batch

    was_training = loaded.model.training
    loaded.model.eval()
    try:
        # in a multi-process run each process reads a share of the lines and all get every reading
        results = map_in_shares(list(images), batch_size, lambda share: recognize_batch(
            loaded, share, prompt="ocr", max_new_tokens=max_new_tokens, mode=mode, batch_size=batch_size))
    finally:
        loaded.model.train(was_training)
    return float(cer(list(references), [result.text for result in results]))
