"""examples/finetune_vision.py: one short epoch on the shared ants/bees folder, and the clear
stop when pretrained weights can't be downloaded."""

import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import ember

REPO = Path(__file__).resolve().parents[2]
HYMENOPTERA = REPO.parent / "shared" / "data" / "vision" / "imagefolder_hymenoptera_mini"


@pytest.fixture
def finetune(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "examples"))
    sys.modules.pop("finetune_vision", None)
    import finetune_vision

    return finetune_vision


@pytest.mark.slow
@pytest.mark.skipif(not HYMENOPTERA.is_dir(),
                    reason="needs ../shared/data/vision/imagefolder_hymenoptera_mini")
def test_finetune_one_epoch(finetune, tmp_path, capsys):
    pytest.importorskip("PIL")
    out = tmp_path / "best.pt"
    best = finetune.main(["--data", str(HYMENOPTERA), "--weights", "none", "--epochs", "1",
                          "--image-size", "32", "--out", str(out)])
    text = capsys.readouterr().out
    assert "classes ['ants', 'bees']; 5 train and 6 val images" in text  # the .gif is skipped
    assert re.search(r"epoch 1/1  train loss \d+\.\d{4} acc \d\.\d{4}  val loss", text)
    # 6 validation images: the accuracy is a whole number of sixths
    assert 0 <= best <= 1 and abs(best * 6 - round(best * 6)) < 1e-9
    assert f"reloaded best weights: val acc {best:.4f}" in text

    from embervision.models import resnet18

    state = ember.load(out, weights_only=True)
    assert state["fc.weight"].shape == (2, 512) and state["fc.bias"].shape == (2,)
    model = resnet18(num_classes=2)
    model.load_state_dict(state)  # strict: every key of a resnet18 with a 2-way head
    assert ember.equal(model.conv1.weight, state["conv1.weight"])


def test_finetune_offline_weights_stop_clearly(finetune, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path))  # an empty cache

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(SystemExit) as info:
        finetune.make_model("DEFAULT", 2)
    message = str(info.value)
    assert "could not download the pretrained weights ResNet18_Weights.IMAGENET1K_V1" in message
    assert "Name or service not known" in message and "--weights none" in message
    assert not list((tmp_path / "hub" / "checkpoints").glob("*"))  # no half file left behind

    model = finetune.make_model("none", 3)
    assert model.fc.out_features == 3 and model.fc.in_features == 512


def test_finetune_unknown_weights_name(finetune):
    with pytest.raises(ValueError, match="Unknown weights 'IMAGENET9K' for ResNet18_Weights"):
        finetune.make_model("IMAGENET9K", 2)
