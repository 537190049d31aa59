"""TensorBoardLogger: version folders, event files with the logged metrics, hparams.yaml.

Event files are read with the reader of tests/core/utils/test_tensorboard.py's format, written
again here in a few lines (the lightning tests do not import the core's tests)."""

import glob
import os
import struct
from argparse import Namespace

import pytest
from helpers import BoringModel, quiet_trainer, random_loader

from ember_lightning.loggers import CSVLogger, TensorBoardLogger
from ember_lightning.loggers.csv_logs import load_yaml


def _varint(buf, pos):
    shift = value = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def _decode(buf):
    fields, pos = {}, 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, pos = _varint(buf, pos)
        elif wire == 1:
            v, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            v, pos = buf[pos:pos + 4], pos + 4
        else:
            n, pos = _varint(buf, pos)
            v, pos = buf[pos:pos + n], pos + n
        fields.setdefault(num, []).append(v)
    return fields


def read_scalars(logdir):
    """{tag: [(step, value)]} of every simple_value in the event files of logdir, and the set
    of all summary tags."""
    scalars, tags = {}, set()
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        data, pos = open(path, "rb").read(), 0
        while pos < len(data):
            (n,) = struct.unpack("<Q", data[pos:pos + 8])
            event = _decode(data[pos + 12:pos + 12 + n])
            pos += 16 + n
            for summary in event.get(5, []):
                for value in _decode(summary)[1]:
                    v = _decode(value)
                    tag = v[1][0].decode()
                    tags.add(tag)
                    if 2 in v:
                        scalars.setdefault(tag, []).append(
                            (event.get(2, [0])[0], struct.unpack("<f", v[2][0])[0]))
    return scalars, tags


class EpochLogged(BoringModel):
    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        self.log("per_epoch", float(self.current_epoch), on_step=False, on_epoch=True)
        return loss


def test_fit_writes_metrics_and_versions(tmp_path):
    for expected_version in (0, 1):
        logger = TensorBoardLogger(tmp_path, name="exp")
        trainer = quiet_trainer(tmp_path, max_epochs=2, limit_train_batches=2,
                                limit_val_batches=1, logger=logger, log_every_n_steps=1)
        trainer.fit(EpochLogged(lr=0.05), random_loader(n=8), random_loader(n=8))
        assert logger.version == expected_version
        log_dir = tmp_path / "exp" / f"version_{expected_version}"
        assert logger.log_dir == str(log_dir) and trainer.log_dir == str(log_dir)
        assert logger.experiment.get_logdir() == str(log_dir)
    assert sorted(os.listdir(tmp_path / "exp")) == ["version_0", "version_1"]

    scalars, tags = read_scalars(str(tmp_path / "exp" / "version_0"))
    assert [s for s, _ in scalars["train_loss"]] == [0, 1, 2, 3]
    assert scalars["per_epoch"] == [(1, 0.0), (3, 1.0)]
    assert [s for s, _ in scalars["val_loss"]] == [1, 3]
    assert scalars["hp_metric"] == [(0, -1.0)]  # default_hp_metric
    assert {"_hparams_/experiment", "_hparams_/session_start_info",
            "_hparams_/session_end_info"} <= tags
    losses = [v for _, v in scalars["train_loss"]]
    assert all(v > 0 for v in losses)
    hp = load_yaml(tmp_path / "exp" / "version_0" / "hparams.yaml")
    assert hp == {"lr": 0.05, "features": 4}


def test_prefix_sub_dir_and_explicit_version(tmp_path):
    logger = TensorBoardLogger(tmp_path, name="", version="run_a", prefix="p",
                               sub_dir="tb", default_hp_metric=False)
    assert logger.root_dir == str(tmp_path)
    assert logger.log_dir == str(tmp_path / "run_a" / "tb")
    logger.log_metrics({"x": 2.0, "pair": {"a": 1.0, "b": 3.0}}, step=5)
    logger.log_hyperparams(Namespace(depth=3, nested={"k": [1, 2]}))
    logger.finalize("success")
    scalars, tags = read_scalars(logger.log_dir)
    assert scalars == {"p-x": [(5, 2.0)]}
    assert "hp_metric" not in tags                   # no metrics: no hparams summaries
    sub, _ = read_scalars(os.path.join(logger.log_dir, "p-pair_b"))
    assert sub == {"p-pair": [(5, 3.0)]}
    assert load_yaml(os.path.join(logger.log_dir, "hparams.yaml"))["depth"] == 3


def test_log_hyperparams_with_metric_value(tmp_path):
    logger = TensorBoardLogger(tmp_path, version=2)
    logger.log_hyperparams({"opt": {"name": "sgd", "lr": 0.1}}, metrics=0.5)
    logger.finalize("success")
    scalars, tags = read_scalars(logger.log_dir)
    assert logger.log_dir.endswith(os.path.join("lightning_logs", "version_2"))
    assert scalars == {"hp_metric": [(0, 0.5)]}
    assert "_hparams_/session_start_info" in tags


def test_unsupported_value_and_log_graph_warning(tmp_path):
    logger = TensorBoardLogger(tmp_path, log_graph=True)
    with pytest.raises(ValueError, match="not supported"):
        logger.log_metrics({"bad": "text"}, 0)
    with pytest.warns(UserWarning, match="graph"):
        logger.log_graph(BoringModel())
    logger.finalize("failed")


def test_csv_logger_is_still_the_default(tmp_path):
    trainer = quiet_trainer(tmp_path, max_epochs=1, limit_train_batches=1, logger=True)
    assert isinstance(trainer.logger, CSVLogger)
