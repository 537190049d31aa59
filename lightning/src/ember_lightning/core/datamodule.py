"""LightningDataModule: the data side of an experiment (download, split, loaders) in one class.

Example:
    >>> import ember
    >>> from ember.utils.data import TensorDataset
    >>> ds = TensorDataset(ember.randn(8, 2), ember.randn(8, 1))
    >>> dm = LightningDataModule.from_datasets(train_dataset=ds, val_dataset=ds, batch_size=4)
    >>> len(dm.train_dataloader())
    2
"""

from __future__ import annotations

from typing import Any

from .hparams import HyperparametersMixin


class LightningDataModule(HyperparametersMixin):
    """Override ``prepare_data`` (download once), ``setup(stage)`` (build datasets for
    "fit", "validate", "test" or "predict"), the ``*_dataloader`` methods and, for state that
    must survive a resume, ``state_dict``/``load_state_dict``."""

    def __init__(self) -> None:
        self.trainer = None

    def prepare_data(self) -> None: ...
    def setup(self, stage: str) -> None: ...
    def teardown(self, stage: str) -> None: ...

    def train_dataloader(self) -> Any:
        raise NotImplementedError("`train_dataloader` must be implemented to be used with "
                                  "`Trainer.fit`")

    def val_dataloader(self) -> Any:
        raise NotImplementedError

    def test_dataloader(self) -> Any:
        raise NotImplementedError

    def predict_dataloader(self) -> Any:
        raise NotImplementedError

    def on_before_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        return batch

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        return batch

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        pass

    @classmethod
    def from_datasets(cls, train_dataset: Any = None, val_dataset: Any = None,
                      test_dataset: Any = None, predict_dataset: Any = None,
                      batch_size: int = 1, num_workers: int = 0,
                      **datamodule_kwargs: Any) -> LightningDataModule:
        """A datamodule whose loaders wrap the given datasets (each may also be a list or a
        dict of datasets). The train loader shuffles, the others do not."""
        from ember.utils.data import DataLoader

        def loaders(ds: Any, shuffle: bool) -> Any:
            if isinstance(ds, dict):
                return {k: loaders(v, shuffle) for k, v in ds.items()}
            if isinstance(ds, (list, tuple)):
                return [loaders(v, shuffle) for v in ds]
            return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, num_workers=num_workers)

        dm = cls(**datamodule_kwargs)
        if train_dataset is not None:
            dm.train_dataloader = lambda: loaders(train_dataset, True)
        if val_dataset is not None:
            dm.val_dataloader = lambda: loaders(val_dataset, False)
        if test_dataset is not None:
            dm.test_dataloader = lambda: loaders(test_dataset, False)
        if predict_dataset is not None:
            dm.predict_dataloader = lambda: loaders(predict_dataset, False)
        return dm
