"""On a ZeroGPU Space, Recognize and Compare run inside @spaces.GPU and Fine-tune refuses to train, saying why.

A fresh interpreter gets the environment a ZeroGPU Space sets and, as ``spaces``, a recording stand-in (the real
package cannot enter its ZeroGPU mode with a CPU build of torch); it reports which handlers were wrapped and with
what lease."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys, types
wrapped = {}
def GPU(duration):
    def decorate(function):
        def leased(*args, **kwargs):
            return function(*args, **kwargs)
        leased.lease = duration
        wrapped[function.__name__] = leased
        return leased
    return decorate
sys.modules["spaces"] = types.SimpleNamespace(GPU=GPU)
from ocr_space.ui import compare_tab, finetune_tab, recognize_tab
from ocr_space.ui.strings import text
leases = {
    "run_recognize": wrapped["run_recognize"].lease(mode="tiles"),
    "run_compare": wrapped["run_compare"].lease(engines=["base", "tuned"], limit=16, batch_size=8, mode="small"),
}
try:
    finetune_tab.start_training.__wrapped__(model="m", data="d")
    refused = None
except Exception as exc:
    refused = getattr(exc, "message", str(exc))
print(json.dumps({"wrapped": sorted(wrapped), "leases": leases, "refused": refused,
                  "says": text("notice.zero_gpu_training")}))
"""


def test_recognize_and_compare_lease_a_gpu_and_training_is_refused_on_zero_gpu():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SPACES_ZERO_GPU": "true",
           "SPACES_ZERO_DEVICE_API_URL": "http://127.0.0.1:9/api", "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["wrapped"] == ["run_compare", "run_recognize"]
    assert report["leases"] == {"run_recognize": 60, "run_compare": 2 * (30 + 2 * 4)}
    assert report["refused"] == report["says"] and "dedicated GPU (T4 or better)" in report["refused"]
