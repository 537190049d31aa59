"""RichProgressBar: a bar per epoch with the prog_bar metrics, left on screen with
leave=True, bars for test and predict, and Lightning's error without rich."""

import io
import sys

import pytest

from ember_lightning.callbacks import ProgressBar, RichProgressBar

from helpers import BoringModel, quiet_trainer, random_loader


class Shown(BoringModel):
    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        self.log("shown_loss", loss, prog_bar=True)
        return loss


def _bar(leave: bool):
    out = io.StringIO()
    return RichProgressBar(leave=leave, console_kwargs={"file": out, "width": 160,
                                                        "force_terminal": False}), out


@pytest.mark.parametrize("leave", [False, True])
def test_epochs_show_their_batches_and_metrics(tmp_path, leave):
    bar, out = _bar(leave)
    trainer = quiet_trainer(tmp_path, max_epochs=2, limit_train_batches=3, callbacks=[bar],
                            enable_progress_bar=True)
    trainer.fit(Shown(), random_loader())
    assert trainer.progress_bar_callback is bar and isinstance(bar, ProgressBar)
    text = out.getvalue()
    assert "Epoch 1" in text and "3/3" in text and "shown_loss:" in text
    # without leave the first epoch's bar is replaced by the second's
    assert ("Epoch 0" in text) == leave


def test_test_and_predict_bars(tmp_path):
    bar, out = _bar(False)
    trainer = quiet_trainer(tmp_path, callbacks=[bar], enable_progress_bar=True)
    trainer.test(BoringModel(), random_loader(n=8), verbose=False)
    preds = trainer.predict(BoringModel(), random_loader(n=8))
    assert len(preds) == 2
    text = out.getvalue()
    assert "Testing" in text and "Predicting" in text and "2/2" in text


def test_needs_rich(monkeypatch):
    monkeypatch.setitem(sys.modules, "rich", None)
    with pytest.raises(ModuleNotFoundError, match="requires `rich`"):
        RichProgressBar()
