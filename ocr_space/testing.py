"""Tiny random-weight models of the real architectures, for tests and offline demos.

The Hub is unreachable in CI and here, so tests cannot download weights.
Instead we build the *real* model class from a shrunken config, pair it with
the *real* processor and a locally built character-level tokenizer, and save
it with ``save_pretrained``: the folder then loads through exactly the code
path users take (:func:`ocr_space.models.load_model`). Its output is garbage
until trained, which is the point of the training tests.
"""

from __future__ import annotations

from pathlib import Path

from ocr_space.models.registry import DEFAULT_FAMILY, get_family

BOS, EOS, PAD, UNK = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>", "<unk>"
IMAGE = "<image>"
#: The special tokens DeepSeek-OCR prompts and grounded outputs use.
PROMPT_SPECIALS = ["<|grounding|>", "<|ref|>", "<|/ref|>", "<|det|>", "<|/det|>", "<|User|>", "<|Assistant|>"]


def tiny_charset() -> list[str]:
    """Printable ASCII, CJK punctuation, all CJK Unified Ideographs, full-width forms, newline."""
    ranges = [(0x20, 0x7F), (0x3000, 0x3040), (0x4E00, 0xA000), (0xFF00, 0xFF60)]
    return [chr(code) for start, end in ranges for code in range(start, end)] + ["\n"]


def build_tiny_tokenizer(characters: str | None = None):
    """A character-level fast tokenizer: one token per character, specials kept whole, BOS prepended.

    ``characters`` narrows the vocabulary to printable ASCII, newline and those characters.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = [BOS, EOS, PAD, UNK, IMAGE] + PROMPT_SPECIALS
    charset = tiny_charset() if characters is None else _narrow_charset(characters)
    vocab = {token: index for index, token in enumerate(specials + charset)}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    # one piece per character, newlines included ("." alone would leave "\n\n" as one unknown piece)
    backend.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    backend.decoder = decoders.Fuse()
    backend.add_special_tokens(specials)
    backend.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", pair=f"{BOS} $A $B",
                                                           special_tokens=[(BOS, vocab[BOS])])
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token=BOS, eos_token=EOS, pad_token=PAD,
                                   unk_token=UNK, extra_special_tokens={"image_token": IMAGE})


def _narrow_charset(characters: str) -> list[str]:
    ascii_and_newline = [chr(code) for code in range(0x20, 0x7F)] + ["\n"]
    return ascii_and_newline + sorted(set(characters) - set(ascii_and_newline))


def build_tiny_model(out_dir: str | Path, family: str = DEFAULT_FAMILY, seed: int = 0,
                     characters: str | None = None) -> Path:
    """Build, initialise (seeded) and save a tiny model + processor of ``family`` to ``out_dir``.

    ``characters`` limits the vocabulary to printable ASCII, newline and those
    characters: the same architecture with a ~100-token output layer instead of
    ~21,000, which is what lets a CPU test train it to read in a minute or two.

    >>> folder = build_tiny_model("/tmp/tiny-ocr")  # doctest: +SKIP
    >>> load_model(str(folder))  # doctest: +SKIP
    """
    import torch
    from transformers import AutoModelForImageTextToText

    spec = get_family(family)
    tokenizer = build_tiny_tokenizer(characters)
    config = spec.tiny_config(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        image_token_id=tokenizer.convert_tokens_to_ids(IMAGE),
    )
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    processor = spec.tiny_processor(tokenizer)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def loss_and_gradients(model, batch: dict) -> tuple:
    """One forward and backward of ``model`` on ``batch``: (logits as fp32, loss as fp32, {name: gradient}).

    For tests that compare two computations of the same model (kernels, layouts) number for number.
    """
    model.zero_grad(set_to_none=True)
    output = model(**batch)
    output.loss.backward()
    grads = {name: param.grad.clone() for name, param in model.named_parameters()
             if param.requires_grad and param.grad is not None}
    return output.logits.detach().float(), output.loss.detach().float(), grads
