"""The quickstart example end to end, shortened to 2 epochs (needs the shared digits CSV)."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO.parent / "shared" / "data" / "vision" / "sklearn_digits" / "digits.csv.gz"


@pytest.mark.slow
@pytest.mark.skipif(not DIGITS.exists(), reason="needs ../shared/data/vision/sklearn_digits")
def test_quickstart_two_epochs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("PIL")
    monkeypatch.syspath_prepend(str(REPO / "examples"))
    sys.modules.pop("quickstart", None)
    import quickstart

    acc = quickstart.main(["--epochs", "2", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert acc > 0.85
    assert (tmp_path / "predictions.png").stat().st_size > 1000
    assert "Epoch 1: 100%" in out and "reloaded model: val_acc=" in out
    ckpts = list((tmp_path / "lightning_logs" / "version_0" / "checkpoints").glob("*.ckpt"))
    assert len(ckpts) == 1 and ckpts[0].name.startswith("epoch=")
