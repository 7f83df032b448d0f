"""The example files shipped in examples/, as tests read them."""

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example_manifest() -> list[tuple[str, str]]:
    """(file name, transcription) pairs of examples/lines/lines.txt."""
    lines = (EXAMPLES / "lines" / "lines.txt").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split(" ", 1)) for line in lines if line.strip() and not line.startswith("#")]
