"""LightningModule: an ``ember.nn.Module`` that also says how to train, validate, test and
predict, which optimizers to use, and what to log.

Example:
    >>> import ember
    >>> from ember import nn
    >>> class Regressor(LightningModule):
    ...     def __init__(self, lr=0.1):
    ...         super().__init__()
    ...         self.save_hyperparameters()
    ...         self.net = nn.Linear(3, 1)
    ...     def training_step(self, batch, batch_idx):
    ...         x, y = batch
    ...         loss = nn.functional.mse_loss(self.net(x), y)
    ...         self.log("train_loss", loss)
    ...         return loss
    ...     def configure_optimizers(self):
    ...         return ember.optim.SGD(self.parameters(), lr=self.hparams.lr)
"""

from __future__ import annotations

import inspect
import os
from typing import Any

import ember
from ember import nn

from ..utilities.types import AttributeDict, apply_to_collection
from .hparams import HyperparametersMixin


class LightningModule(HyperparametersMixin, nn.Module):
    """The model and its training recipe, with Lightning's hooks (all optional except
    ``training_step`` and ``configure_optimizers`` for ``fit``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        object.__setattr__(self, "_trainer", None)
        object.__setattr__(self, "_automatic_optimization", True)
        object.__setattr__(self, "_device", ember.device("cpu"))

    # ------------------------------------------------------------------ trainer-provided state
    @property
    def trainer(self):
        t = self.__dict__.get("_trainer")
        if t is None:
            raise RuntimeError(f"{self.__class__.__qualname__} is not attached to a `Trainer`.")
        return t

    @trainer.setter
    def trainer(self, trainer) -> None:
        object.__setattr__(self, "_trainer", trainer)

    @property
    def automatic_optimization(self) -> bool:
        return self.__dict__.get("_automatic_optimization", True)

    @automatic_optimization.setter
    def automatic_optimization(self, value: bool) -> None:
        object.__setattr__(self, "_automatic_optimization", bool(value))

    @property
    def device(self):
        return self.__dict__.get("_device", ember.device("cpu"))

    @property
    def current_epoch(self) -> int:
        t = self.__dict__.get("_trainer")
        return t.current_epoch if t is not None else 0

    @property
    def global_step(self) -> int:
        t = self.__dict__.get("_trainer")
        return t.global_step if t is not None else 0

    @property
    def logger(self):
        t = self.__dict__.get("_trainer")
        return t.logger if t is not None else None

    @property
    def loggers(self) -> list:
        t = self.__dict__.get("_trainer")
        return t.loggers if t is not None else []

    @property
    def on_gpu(self) -> bool:
        return self.device.type == "cuda"

    @property
    def local_rank(self) -> int:
        t = self.__dict__.get("_trainer")
        return t.local_rank if t is not None else 0

    @property
    def global_rank(self) -> int:
        t = self.__dict__.get("_trainer")
        return t.global_rank if t is not None else 0

    def __getstate__(self) -> dict[str, Any]:
        # as Lightning: a copy or a pickle of the module does not take the Trainer along
        state = super().__getstate__()
        state["_trainer"] = None
        return state

    def to(self, *args: Any, **kwargs: Any):
        out = super().to(*args, **kwargs)
        for p in self.parameters():
            object.__setattr__(self, "_device", p.device)
            break
        return out

    # ------------------------------------------------------------------ steps (user code)
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return super().forward(*args, **kwargs)

    def training_step(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("`training_step` must be implemented to be used with the "
                                  "Lightning Trainer")

    def validation_step(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def test_step(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def predict_step(self, batch: Any, batch_idx: int = 0, dataloader_idx: int = 0) -> Any:
        """By default calls the module on the batch (``self(batch)``)."""
        return self(batch)

    def configure_optimizers(self) -> Any:
        raise NotImplementedError("`configure_optimizers` must be implemented to be used with "
                                  "the Lightning Trainer")

    def configure_callbacks(self) -> Any:
        return []

    # ------------------------------------------------------------------ hooks (all no-ops)
    def prepare_data(self) -> None: ...
    def setup(self, stage: str) -> None: ...
    def teardown(self, stage: str) -> None: ...
    def configure_model(self) -> None: ...
    def on_fit_start(self) -> None: ...
    def on_fit_end(self) -> None: ...
    def on_train_start(self) -> None: ...
    def on_train_end(self) -> None: ...
    def on_train_epoch_start(self) -> None: ...
    def on_train_epoch_end(self) -> None: ...
    def on_train_batch_start(self, batch: Any, batch_idx: int) -> int | None: ...
    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None: ...
    def on_validation_start(self) -> None: ...
    def on_validation_end(self) -> None: ...
    def on_validation_epoch_start(self) -> None: ...
    def on_validation_epoch_end(self) -> None: ...
    def on_validation_batch_start(self, batch: Any, batch_idx: int,
                                  dataloader_idx: int = 0) -> None: ...
    def on_validation_batch_end(self, outputs: Any, batch: Any, batch_idx: int,
                                dataloader_idx: int = 0) -> None: ...
    def on_test_start(self) -> None: ...
    def on_test_end(self) -> None: ...
    def on_test_epoch_start(self) -> None: ...
    def on_test_epoch_end(self) -> None: ...
    def on_test_batch_start(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None: ...
    def on_test_batch_end(self, outputs: Any, batch: Any, batch_idx: int,
                          dataloader_idx: int = 0) -> None: ...
    def on_predict_start(self) -> None: ...
    def on_predict_end(self) -> None: ...
    def on_predict_epoch_start(self) -> None: ...
    def on_predict_epoch_end(self) -> None: ...
    def on_predict_batch_start(self, batch: Any, batch_idx: int,
                               dataloader_idx: int = 0) -> None: ...
    def on_predict_batch_end(self, outputs: Any, batch: Any, batch_idx: int,
                             dataloader_idx: int = 0) -> None: ...
    def on_before_backward(self, loss) -> None: ...
    def on_after_backward(self) -> None: ...
    def on_before_optimizer_step(self, optimizer) -> None: ...
    def on_before_zero_grad(self, optimizer) -> None: ...
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None: ...
    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None: ...

    def on_validation_model_eval(self) -> None:
        self.eval()

    def on_validation_model_train(self) -> None:
        self.train()

    def on_test_model_eval(self) -> None:
        self.eval()

    def on_test_model_train(self) -> None:
        self.train()

    def on_predict_model_eval(self) -> None:
        self.eval()

    def on_before_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        return batch

    def transfer_batch_to_device(self, batch: Any, device, dataloader_idx: int) -> Any:
        """Moves every tensor in the (nested) batch to device."""
        return apply_to_collection(batch, ember.Tensor, lambda t: t.to(device))

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        return batch

    # ------------------------------------------------------------------ optimisation
    def backward(self, loss, *args: Any, **kwargs: Any) -> None:
        """Computes gradients; override for custom backward passes."""
        loss.backward(*args, **kwargs)

    def manual_backward(self, loss, *args: Any, **kwargs: Any) -> None:
        """Backward in manual optimisation, with the ``on_before_backward`` and
        ``on_after_backward`` hooks (use instead of ``loss.backward()``)."""
        self.trainer._backward(self, loss, *args, **kwargs)

    def optimizer_zero_grad(self, epoch: int, batch_idx: int, optimizer) -> None:
        optimizer.zero_grad()

    def optimizer_step(self, epoch: int, batch_idx: int, optimizer, optimizer_closure=None) -> None:
        """Steps the optimizer; the closure runs training_step, zero_grad and backward.
        Override for e.g. learning-rate warm-up, and call ``optimizer.step(closure=...)``."""
        optimizer.step(closure=optimizer_closure)

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None,
                                    gradient_clip_algorithm=None) -> None:
        self.clip_gradients(optimizer, gradient_clip_val, gradient_clip_algorithm)

    def clip_gradients(self, optimizer, gradient_clip_val=None,
                       gradient_clip_algorithm=None) -> None:
        """Clips the gradients of optimizer's parameters by norm (default) or value."""
        if gradient_clip_val is None or gradient_clip_val == 0:
            return
        algorithm = gradient_clip_algorithm or "norm"
        params = [p for g in optimizer.param_groups for p in g["params"]]
        if algorithm == "norm":
            nn.utils.clip_grad_norm_(params, gradient_clip_val)
        elif algorithm == "value":
            nn.utils.clip_grad_value_(params, gradient_clip_val)
        else:
            raise ValueError(f"`gradient_clip_algorithm` {algorithm!r} is invalid. Allowed "
                             "algorithms: ['value', 'norm'].")

    def optimizers(self, use_pl_optimizer: bool = True):
        """The optimizers from ``configure_optimizers`` (one, or a list when several)."""
        opts = self.trainer._lightning_optimizers if use_pl_optimizer else self.trainer.optimizers
        return opts[0] if len(opts) == 1 else list(opts)

    def lr_schedulers(self):
        """The schedulers from ``configure_optimizers``: None, one, or a list."""
        scheds = [c.scheduler for c in self.trainer.lr_scheduler_configs]
        if not scheds:
            return None
        return scheds[0] if len(scheds) == 1 else scheds

    def toggle_optimizer(self, optimizer) -> None:
        """Makes only optimizer's parameters require grad (GANs), until ``untoggle_optimizer``."""
        opt = getattr(optimizer, "optimizer", optimizer)
        mine = {id(p) for g in opt.param_groups for p in g["params"]}
        saved = {}
        for p in self.parameters():
            saved[id(p)] = (p, p.requires_grad)
            if id(p) not in mine:
                p.requires_grad_(False)
        object.__setattr__(self, "_param_requires_grad_state", saved)

    def untoggle_optimizer(self, optimizer) -> None:
        for p, flag in self.__dict__.get("_param_requires_grad_state", {}).values():
            p.requires_grad_(flag)
        object.__setattr__(self, "_param_requires_grad_state", {})

    # ------------------------------------------------------------------ logging
    def log(self, name: str, value: Any, prog_bar: bool = False, logger: bool | None = None,
            on_step: bool | None = None, on_epoch: bool | None = None, reduce_fx: Any = "mean",
            enable_graph: bool = False, sync_dist: bool = False, sync_dist_group: Any = None,
            add_dataloader_idx: bool = True, batch_size: int | None = None,
            metric_attribute: str | None = None, rank_zero_only: bool = False) -> None:
        """Records a scalar metric. Inside ``training_step`` the default is ``on_step=True,
        on_epoch=False``; in evaluation and epoch hooks ``on_step=False, on_epoch=True``.
        With both, ``name_step`` and ``name_epoch`` are logged. ``reduce_fx`` ("mean", "sum",
        "max", "min" or a function) combines the step values of an epoch; the mean is weighted
        by ``batch_size`` (inferred from the batch when not given)."""
        trainer = self.__dict__.get("_trainer")
        if trainer is None:
            return
        if sync_dist and trainer.world_size > 1:
            from ..trainer.ddp import reduce_metric
            value = reduce_metric(value, reduce_fx)
        trainer._metrics.log(name, value, prog_bar=prog_bar,
                             logger=True if logger is None else logger, on_step=on_step,
                             on_epoch=on_epoch, reduce_fx=reduce_fx, batch_size=batch_size,
                             add_dataloader_idx=add_dataloader_idx)

    def log_dict(self, dictionary: dict[str, Any], prog_bar: bool = False,
                 logger: bool | None = None, on_step: bool | None = None,
                 on_epoch: bool | None = None, reduce_fx: Any = "mean",
                 enable_graph: bool = False, sync_dist: bool = False, sync_dist_group: Any = None,
                 add_dataloader_idx: bool = True, batch_size: int | None = None,
                 rank_zero_only: bool = False) -> None:
        """``self.log`` for every item of dictionary."""
        for k, v in dictionary.items():
            self.log(k, v, prog_bar=prog_bar, logger=logger, on_step=on_step, on_epoch=on_epoch,
                     reduce_fx=reduce_fx, sync_dist=sync_dist,
                     add_dataloader_idx=add_dataloader_idx, batch_size=batch_size)

    def print(self, *args: Any, **kwargs: Any) -> None:
        """``print`` that goes around the progress bar (rank zero only in distributed runs)."""
        t = self.__dict__.get("_trainer")
        bar = t.progress_bar_callback if t is not None else None
        if bar is not None:
            bar.print(*args, **kwargs)
        else:
            print(*args, **kwargs)

    # ------------------------------------------------------------------ freezing
    def freeze(self) -> None:
        """No parameter requires grad, and the module is in eval mode."""
        for p in self.parameters():
            p.requires_grad_(False)
        self.eval()

    def unfreeze(self) -> None:
        for p in self.parameters():
            p.requires_grad_(True)
        self.train()

    # ------------------------------------------------------------------ checkpoints
    @classmethod
    def load_from_checkpoint(cls, checkpoint_path: str | os.PathLike, map_location: Any = None,
                             hparams_file: str | os.PathLike | None = None,
                             strict: bool | None = None, **kwargs: Any):
        """Builds the module from the hyperparameters saved in the checkpoint (``kwargs``
        override or add to them) and loads its weights.

        Example:
            >>> model = LitModel.load_from_checkpoint("best.ckpt")        # doctest: +SKIP
            >>> model = LitModel.load_from_checkpoint("best.ckpt", lr=1e-4)  # doctest: +SKIP
        """
        from ..trainer.checkpoint import load_checkpoint_file
        ckpt = load_checkpoint_file(checkpoint_path, map_location)
        hparams = dict(ckpt.get("hyper_parameters", {}))
        if hparams_file is not None:
            from ..loggers.csv_logs import load_yaml
            hparams.update(load_yaml(hparams_file))
        hparams.update(kwargs)
        model = cls(**_init_kwargs(cls, hparams))
        model.on_load_checkpoint(ckpt)
        model.load_state_dict(ckpt["state_dict"], strict=True if strict is None else strict)
        if isinstance(map_location, (str, ember.device)):
            model.to(map_location)
        return model


def _init_kwargs(cls: type, hparams: dict[str, Any]) -> dict[str, Any]:
    """The hparams that cls.__init__ accepts (all of them when it takes ``**kwargs``)."""
    params = inspect.signature(cls.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return hparams
    return {k: v for k, v in hparams.items() if k in params}


__all__ = ["LightningModule", "AttributeDict"]
