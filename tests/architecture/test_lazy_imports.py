"""`import ocr_space` and the dataset commands stay light: no torch, no transformers.

Each check runs in a fresh interpreter (this test session has long since
imported torch) and lists which heavy modules are in ``sys.modules`` when it
is done.
"""

import json
import subprocess
import sys

from import_graph import ROOT

HEAVY = ("torch", "transformers")


def _loaded_after(code: str) -> dict:
    """Run ``code`` in a fresh interpreter at the repo root; the heavy modules it left loaded, and its output."""
    probe = (f"{code}\nimport json, sys\n"
             f"print('\\n' + json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return {"heavy": json.loads(done.stdout.strip().splitlines()[-1]), "stdout": done.stdout}


def _run_cli(*argv: str) -> str:
    """`python -m ocr_space ARGV` as runpy runs it, keeping the interpreter alive to inspect it afterwards."""
    return ("import runpy, sys\n"
            f"sys.argv = ['ocr_space', *{list(argv)!r}]\n"
            "try:\n"
            "    runpy.run_module('ocr_space', run_name='__main__', alter_sys=True)\n"
            "except SystemExit as exit:\n"
            "    assert exit.code in (0, None), exit.code\n")


def test_import_ocr_space_loads_neither_torch_nor_transformers():
    assert _loaded_after("import ocr_space")["heavy"] == []


def test_the_public_names_resolve_on_first_use():
    import ocr_space

    assert set(ocr_space.__all__) == set(ocr_space._EXPORTS)
    for name in ocr_space.__all__:
        assert getattr(ocr_space, name) is not None, name
    assert ocr_space.cer("abc", "abd") == 1 / 3


def test_reading_the_model_families_loads_neither():
    assert _loaded_after("from ocr_space.models.registry import families; assert families()")["heavy"] == []


def test_dataset_help_loads_neither():
    run = _loaded_after(_run_cli("dataset", "--help"))
    assert "build" in run["stdout"]
    assert run["heavy"] == []


def test_dataset_build_loads_neither(tmp_path):
    out = tmp_path / "demo"
    run = _loaded_after(_run_cli("dataset", "build", "examples/demo/manifest.txt", "--out", str(out)))
    assert sorted(path.name for path in out.glob("*.parquet")) == ["data_test.parquet", "data_train.parquet",
                                                                   "data_validation.parquet"]
    assert run["heavy"] == []


def test_every_cli_command_is_in_the_lazy_command_table():
    from ocr_space.cli import COMMANDS, build_parser

    parser = build_parser()
    commands = next(action for action in parser._subparsers._group_actions).choices
    assert set(commands) == set(COMMANDS)
    for command, module in COMMANDS.items():
        assert command in build_parser(command)._subparsers._group_actions[0].choices, (command, module)


def test_an_export_named_like_its_submodule_stays_the_export_after_the_submodule_is_imported():
    run = _loaded_after("import ocr_space.recognize, ocr_space.train.job\n"
                        "from ocr_space import recognize, train\n"
                        "import types\n"
                        "assert isinstance(recognize, types.FunctionType)\n"
                        "assert recognize.__module__ == 'ocr_space.recognize'\n"
                        "assert isinstance(train, types.FunctionType), train")
    assert run["heavy"] == ["torch", "transformers"]  # recognition and training do need them
