"""swap_in_optimizer_params_and_state: run an optimizer on other parameters and state."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from typing import Any, Iterator

from .._tensor import Tensor
from .optimizer import Optimizer

__all__ = ["swap_in_optimizer_params_and_state"]

_NAME = "swap_in_optimizer_params_and_state"


def _checked_state(state: Any) -> dict:
    if not isinstance(state, dict):
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['state'] to be a dict mapping "
                           "packed parameter ids to per-param state dicts, got "
                           f"{type(state).__name__}.")
    if any(isinstance(key, Tensor) for key in state):
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style state keyed by "
                           "packed parameter ids.")
    if any(isinstance(key, int) and not isinstance(value, dict) for key, value in state.items()):
        raise RuntimeError(f"{_NAME} requires per-parameter optimizer state entries to be "
                           "dictionaries.")
    return state


def _checked_group_ids(index: int, live: dict, group: Any) -> list[int]:
    """The packed parameter ids of a swap-in group shaped like the live one."""
    if not isinstance(group, dict):
        raise RuntimeError(f"{_NAME} requires each optimizer param group to be a dictionary.")
    ids = group.get("params")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style "
                           "param_groups[*]['params'] entries keyed by packed parameter ids.")
    if len(ids) != len(live["params"]):
        raise RuntimeError(f"swapin_optim_state param group {index} has a different number of "
                           "params than the live optimizer param group.")
    only_swapin = [k for k in group if k not in live]
    only_live = [k for k in live if k not in group]
    if only_swapin or only_live:
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style param group keys to "
                           "exactly match the live optimizer group keys for group "
                           f"{index}. Keys only in swap-in: {only_swapin}. Keys only in live: "
                           f"{only_live}.")
    return ids


def _swap_plan(optimizer: Optimizer, parameters: dict[str, Tensor],
               optim_state: dict) -> tuple[dict, list[tuple[dict, dict, list[Tensor]]]]:
    """Validates the inputs; returns the packed state and, per group, (live group,
    swap-in group, the parameters taking the live group's places)."""
    if not optimizer.state:
        raise RuntimeError(f"{_NAME} requires initialized optimizer state.")
    if not isinstance(optim_state, dict):
        raise RuntimeError(f"{_NAME} requires a DCP-style optimizer state_dict.")
    state = _checked_state(optim_state.get("state"))
    groups = optim_state.get("param_groups")
    if not isinstance(groups, list):
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['param_groups'] to be a list "
                           f"of param-group dicts, got {type(groups).__name__}.")
    if len(groups) != len(optimizer.param_groups):
        raise RuntimeError("swapin_optim_state has a different number of parameter groups "
                           "than the live optimizer.")
    # parameters come in the optimizer's order: group after group
    flat = list(parameters.values())
    plan, used, seen = [], 0, set()
    for index, (live, group) in enumerate(zip(optimizer.param_groups, groups)):
        ids = _checked_group_ids(index, live, group)
        seen.update(ids)
        if used + len(ids) > len(flat):
            raise RuntimeError(f"{_NAME} requires the explicit parameter state to match "
                               "optimizer.param_groups ordering.")
        plan.append((live, group, flat[used:used + len(ids)]))
        used += len(ids)
    extra = [key for key in state if key not in seen]
    if extra:
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['state'] to be keyed only by "
                           f"packed parameter ids from param_groups[*]['params']; got extra "
                           f"keys {extra!r}.")
    return state, plan


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer: Optimizer, swapin_parameters: dict[str, Tensor],
                                       swapin_optim_state: dict[str, Any]) -> Iterator[None]:
    """Within the block, ``optimizer`` works on ``swapin_parameters`` (in the order of its
    param groups) with the state and hyperparameters of ``swapin_optim_state`` (a
    ``state_dict()``-shaped dict), as ``torch.optim.swap_in_optimizer_params_and_state``;
    its own parameters, groups and state come back on exit. In-place updates of the
    swapped-in state tensors are seen by the caller; new entries are not kept.

    Example:
        >>> w = ember.ones(2, requires_grad=True)
        >>> opt = ember.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> w.sum().backward(); opt.step()
        >>> other = {"w": ember.zeros(2, requires_grad=True)}
        >>> other["w"].grad = ember.ones(2)
        >>> with ember.optim.swap_in_optimizer_params_and_state(opt, other, opt.state_dict()):
        ...     opt.step()          # moves other["w"], leaves w alone
    """
    state, plan = _swap_plan(optimizer, swapin_parameters, swapin_optim_state)
    live_state = optimizer.state
    # the group dicts themselves stay (callers may hold them); their contents come back
    snapshots = [dict(group) for group in optimizer.param_groups]
    try:
        swapped: defaultdict = defaultdict(dict)
        for live, group, params in plan:
            live.update({k: v for k, v in group.items() if k != "params"})
            live["params"] = params
            for param, packed_id in zip(params, group["params"]):
                # a shallow copy: tensors are shared, added or replaced entries are not
                swapped[param] = dict(state.get(packed_id, {}))
        optimizer.state = swapped
        yield
    finally:
        for group, snapshot in zip(optimizer.param_groups, snapshots):
            group.clear()
            group.update(snapshot)
        optimizer.state = live_state
