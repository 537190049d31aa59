"""The order of hook calls, compared with the order Lightning documents for
``LightningModule`` ("Hooks" pseudo-code) and the Trainer's callback hooks."""

import ember
import pytest
from helpers import BoringModel, quiet_trainer, random_loader

import ember_lightning as L

MODULE_HOOKS = [
    "configure_callbacks", "prepare_data", "setup", "configure_model", "configure_optimizers",
    "on_fit_start", "on_fit_end", "on_train_start", "on_train_end", "on_train_epoch_start",
    "on_train_epoch_end", "on_train_batch_start", "on_train_batch_end",
    "on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
    "training_step", "on_before_zero_grad", "optimizer_zero_grad", "on_before_backward",
    "backward", "on_after_backward", "on_before_optimizer_step", "configure_gradient_clipping",
    "optimizer_step", "on_validation_model_eval", "on_validation_model_train",
    "on_validation_start", "on_validation_end", "on_validation_epoch_start",
    "on_validation_epoch_end", "on_validation_batch_start", "on_validation_batch_end",
    "validation_step", "on_test_model_eval", "on_test_start", "on_test_end",
    "on_test_epoch_start", "on_test_epoch_end", "on_test_batch_start", "on_test_batch_end",
    "test_step", "on_predict_model_eval", "on_predict_start", "on_predict_end",
    "on_predict_epoch_start", "on_predict_epoch_end", "on_predict_batch_start",
    "on_predict_batch_end", "predict_step", "teardown", "on_save_checkpoint",
]
CALLBACK_HOOKS = [n for n in dir(L.Callback) if n.startswith("on_") or n in ("setup", "teardown")]


class Recorder:
    def __init__(self):
        self.calls = []


def recording_model(rec: Recorder):
    def wrap(name):
        base = getattr(BoringModel, name)

        def hook(self, *args, **kwargs):
            rec.calls.append(name)
            return base(self, *args, **kwargs)
        return hook
    cls = type("RecordingModel", (BoringModel,), {n: wrap(n) for n in MODULE_HOOKS})
    return cls()


def recording_callback(rec: Recorder):
    def wrap(name):
        def hook(self, *args, **kwargs):
            rec.calls.append("Callback." + name)
        return hook
    return type("RecordingCallback", (L.Callback,), {n: wrap(n) for n in CALLBACK_HOOKS})()


# Lightning's documented per-batch order with automatic optimisation (LightningModule docs,
# "Hooks": fit_loop pseudo-code), callbacks called right before the module's hook. One
# difference from the pseudo-code, as in Lightning's implementation (and its own
# tests_pytorch/models/test_hooks.py): the batch is transferred before on_*_batch_start, which
# receives the transferred batch.
TRAIN_BATCH = [
    "Callback.on_train_batch_start", "on_train_batch_start",
    "on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
    "optimizer_step", "training_step",
    "Callback.on_before_zero_grad", "on_before_zero_grad", "optimizer_zero_grad",
    "Callback.on_before_backward", "on_before_backward", "backward",
    "Callback.on_after_backward", "on_after_backward",
    "Callback.on_before_optimizer_step", "on_before_optimizer_step",
    "configure_gradient_clipping",
    "Callback.on_train_batch_end", "on_train_batch_end",
]


def val_loop(n_batches):
    batch = ["Callback.on_validation_batch_start", "on_validation_batch_start",
             "on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
             "validation_step", "Callback.on_validation_batch_end", "on_validation_batch_end"]
    # (transfer hooks come before the batch-start hooks in our loop, as in the training loop)
    batch = batch[2:5] + batch[:2] + batch[5:]
    return (["on_validation_model_eval", "Callback.on_validation_start", "on_validation_start",
             "Callback.on_validation_epoch_start", "on_validation_epoch_start"]
            + batch * n_batches
            + ["Callback.on_validation_epoch_end", "on_validation_epoch_end",
               "Callback.on_validation_end", "on_validation_end", "on_validation_model_train"])


def train_batch():
    # the batch transfer runs before on_train_batch_start (it is what the hook receives)
    return TRAIN_BATCH[2:5] + TRAIN_BATCH[:2] + TRAIN_BATCH[5:]


def test_fit_hook_order(tmp_path):
    rec = Recorder()
    model = recording_model(rec)
    trainer = quiet_trainer(tmp_path, max_epochs=1, limit_train_batches=2, limit_val_batches=1,
                            num_sanity_val_steps=1, callbacks=[recording_callback(rec)])
    trainer.fit(model, random_loader(), random_loader())
    expected = (
        ["configure_callbacks", "prepare_data", "Callback.setup", "setup", "configure_model",
         "configure_optimizers", "Callback.on_fit_start", "on_fit_start",
         "Callback.on_sanity_check_start"] + val_loop(1) + ["Callback.on_sanity_check_end",
         "Callback.on_train_start", "on_train_start",
         "Callback.on_train_epoch_start", "on_train_epoch_start"]
        + train_batch() + train_batch() + val_loop(1)
        + ["Callback.on_train_epoch_end", "on_train_epoch_end",
           "Callback.on_train_end", "on_train_end", "Callback.on_fit_end", "on_fit_end",
           "Callback.teardown", "teardown"])
    assert rec.calls == expected


def test_accumulation_hook_order(tmp_path):
    """With accumulate_grad_batches=2, zero_grad runs on the window's first batch and the
    optimizer hooks only on its last."""
    rec = Recorder()
    model = recording_model(rec)
    trainer = quiet_trainer(tmp_path, max_epochs=1, limit_train_batches=2,
                            accumulate_grad_batches=2)
    trainer.fit(model, random_loader())
    batches = [c for c in rec.calls if c in ("training_step", "optimizer_zero_grad",
                                             "backward", "optimizer_step",
                                             "on_before_optimizer_step")]
    assert batches == ["training_step", "optimizer_zero_grad", "backward",
                       "optimizer_step", "training_step", "backward", "on_before_optimizer_step"]
    assert trainer.global_step == 1


@pytest.mark.parametrize("fn", ["validate", "test", "predict"])
def test_eval_hook_order(tmp_path, fn):
    rec = Recorder()
    model = recording_model(rec)
    trainer = quiet_trainer(tmp_path, limit_val_batches=1, limit_test_batches=1,
                            limit_predict_batches=1, callbacks=[recording_callback(rec)])
    getattr(trainer, fn)(model, random_loader(), verbose=False) if fn != "predict" else \
        trainer.predict(model, random_loader())
    p = {"validate": "validation", "test": "test", "predict": "predict"}[fn]
    step = {"validate": "validation_step", "test": "test_step", "predict": "predict_step"}[fn]
    model_eval = f"on_{p}_model_eval" if fn != "validate" else "on_validation_model_eval"
    expected = (["configure_callbacks", "prepare_data", "Callback.setup", "setup", "configure_model",
                 model_eval, f"Callback.on_{p}_start", f"on_{p}_start",
                 f"Callback.on_{p}_epoch_start", f"on_{p}_epoch_start",
                 "on_before_batch_transfer", "transfer_batch_to_device", "on_after_batch_transfer",
                 f"Callback.on_{p}_batch_start", f"on_{p}_batch_start", step,
                 f"Callback.on_{p}_batch_end", f"on_{p}_batch_end",
                 f"Callback.on_{p}_epoch_end", f"on_{p}_epoch_end",
                 f"Callback.on_{p}_end", f"on_{p}_end", "Callback.teardown", "teardown"])
    assert rec.calls == expected


def test_checkpoint_hooks_and_manual_backward(tmp_path):
    rec = Recorder()
    model = recording_model(rec)
    trainer = quiet_trainer(tmp_path, max_epochs=1, limit_train_batches=1,
                            callbacks=[recording_callback(rec)])
    trainer.fit(model, random_loader())
    rec.calls.clear()
    trainer.save_checkpoint(tmp_path / "x.ckpt")
    assert rec.calls == ["Callback.on_save_checkpoint", "on_save_checkpoint"]
    assert (tmp_path / "x.ckpt").exists()
    ckpt = ember.load(tmp_path / "x.ckpt")
    assert ckpt["global_step"] == 1 and ckpt["epoch"] == 1
