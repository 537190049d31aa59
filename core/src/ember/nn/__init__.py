"""ember.nn: modules, parameters, initialisation and functional ops (torch.nn's API).

Example:
    >>> from ember import nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> model(ember.randn(3, 4)).shape
    ember.Size([3, 2])
"""

from . import attention, functional, grad, init, utils
from . import parallel
from .parallel import DataParallel
from .modules import *  # noqa: F403
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter

