"""Lightning's attribute lookup across the module, its ``hparams`` and the datamodule (what the
Tuner uses to find and set ``lr`` or ``batch_size``).

Example:
    >>> lightning_setattr(model, "batch_size", 64)    # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any


def _attr_holders(model: Any, attribute: str) -> list[Any]:
    """Every object or dict that holds attribute: the module, its hparams, the Trainer's
    datamodule and that datamodule's hparams, in this order."""
    holders: list[Any] = []
    if hasattr(model, attribute):
        holders.append(model)
    if hasattr(model, "hparams") and attribute in model.hparams:
        holders.append(model.hparams)
    trainer = model.__dict__.get("_trainer")
    dm = getattr(trainer, "datamodule", None)
    if dm is not None:
        if hasattr(dm, attribute):
            holders.append(dm)
        if hasattr(dm, "hparams") and attribute in dm.hparams:
            holders.append(dm.hparams)
    return holders


def lightning_hasattr(model: Any, attribute: str) -> bool:
    """Whether the module, its hparams or the datamodule has attribute."""
    return bool(_attr_holders(model, attribute))


def lightning_getattr(model: Any, attribute: str) -> Any:
    """attribute from the last of its holders (the datamodule before the module, as Lightning)."""
    holders = _attr_holders(model, attribute)
    if not holders:
        raise AttributeError(f"{attribute} is neither stored in the model namespace nor the "
                             "`hparams` namespace/dict, nor the datamodule.")
    holder = holders[-1]
    return holder[attribute] if isinstance(holder, dict) else getattr(holder, attribute)


def lightning_setattr(model: Any, attribute: str, value: Any) -> None:
    """Sets attribute on every holder of it."""
    holders = _attr_holders(model, attribute)
    if not holders:
        raise AttributeError(f"{attribute} is neither stored in the model namespace nor the "
                             "`hparams` namespace/dict, nor the datamodule.")
    for holder in holders:
        if isinstance(holder, dict):
            holder[attribute] = value
        else:
            setattr(holder, attribute, value)
