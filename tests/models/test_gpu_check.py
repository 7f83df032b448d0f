"""A GPU the app cannot use is said out loud: the probe's answers faked, as on a T4 with a 535 driver."""

from ocr_space.models.gpu_check import GpuProbe, UnusableGpu, proc_driver_gpus, unusable_gpu


def probe(gpus, build="13.0", usable=False) -> GpuProbe:
    return GpuProbe(gpus=lambda: gpus, torch_cuda=lambda: (build, usable))


def test_an_old_driver_under_a_cuda_13_torch_is_reported_with_the_fix():
    found = unusable_gpu(probe([("Tesla T4", "535.104.05")]))
    assert found == UnusableGpu(gpus=("Tesla T4",), driver="535.104.05", torch_cuda="13.0")
    message = found.message()
    assert "Tesla T4" in message and "535.104.05" in message and "CUDA 13.0" in message and "580" in message
    assert "torch==2.13.0+cu126" in message  # the requirements line the README gives


def test_a_gpu_torch_can_use_or_no_gpu_at_all_says_nothing():
    assert unusable_gpu(probe([("NVIDIA H200", "580.159.04")], usable=True)) is None
    assert unusable_gpu(probe([])) is None


def test_a_cpu_only_torch_on_a_gpu_machine_is_reported_too():
    found = unusable_gpu(probe([("Tesla T4", "550.54.15")], build=None))
    assert found.needed_driver is None and "CPU-only build" in found.message()


def test_the_kernel_module_answers_when_nvidia_smi_is_missing(tmp_path):
    (tmp_path / "version").write_text("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  535.161.07  Release "
                                      "Build  (dvs-builder@U16-I3-B03-4-3)  Tue Feb 20 2024\n")
    for bus, model in (("0000:00:04.0", "Tesla T4"), ("0000:00:05.0", "Tesla T4")):
        (tmp_path / "gpus" / bus).mkdir(parents=True)
        (tmp_path / "gpus" / bus / "information").write_text(f"Model: \t\t {model}\nIRQ:   \t\t 11\n")
    assert proc_driver_gpus(tmp_path) == [("Tesla T4", "535.161.07"), ("Tesla T4", "535.161.07")]
    assert proc_driver_gpus(tmp_path / "absent") == []


def test_the_app_shows_the_notice_above_the_tabs_in_the_visitors_language():
    from ocr_space.ui.notices import notices
    from ocr_space.ui.strings import in_language

    gpu = unusable_gpu(probe([("Tesla T4", "535.104.05")]))
    with in_language("zh-CN"):
        (notice,) = notices(gpu=gpu, lost_on_restart=False)
    assert "无法使用 GPU" in notice and "535.104.05" in notice and "580" in notice
    english = notices(gpu=gpu, lost_on_restart=True)
    assert "lost when it restarts" in english[0] and "CUDA 13.0 build" in english[1]


def test_a_model_command_says_it_first_on_stderr(monkeypatch, capsys, tmp_path):
    from ocr_space.cli import main
    from ocr_space.models import gpu_check

    found = unusable_gpu(probe([("Tesla T4", "535.104.05")]))
    monkeypatch.setattr(gpu_check, "this_machine", lambda: found)
    assert main(["recognize", "--model", str(tmp_path / "absent"), "x.png"]) == 2
    warning, error = capsys.readouterr().err.splitlines()[:2]
    assert warning.startswith("warning: This machine has Tesla T4 with NVIDIA driver 535.104.05")
    assert error.startswith("error: ")
