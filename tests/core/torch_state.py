"""Nested state (optimizer and scheduler state_dicts) carried between ember and torch
tensors, for the tests that load one framework's state into the other."""

import numpy as np
import torch

import ember


def to_torch(obj):
    """obj with every ember tensor, however nested in dicts and lists, as a torch tensor."""
    if isinstance(obj, ember.Tensor):
        return torch.from_numpy(np.array(obj.cpu().numpy()))
    if isinstance(obj, dict):
        return {k: to_torch(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_torch(v) for v in obj]
    return obj


def to_ember(obj):
    """obj with every torch tensor, however nested in dicts and lists, as an ember tensor."""
    if isinstance(obj, torch.Tensor):
        return ember.from_numpy(np.array(obj.cpu().numpy()))
    if isinstance(obj, dict):
        return {k: to_ember(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_ember(v) for v in obj]
    return obj
