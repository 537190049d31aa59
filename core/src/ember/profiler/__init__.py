"""ember.profiler: time ops and named blocks over scheduled steps, as torch.profiler.

Example:
    >>> from ember.profiler import ProfilerActivity, profile, record_function
    >>> with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    ...     with record_function("model_inference"):
    ...         model(x)
    >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    >>> prof.export_chrome_trace("trace.json")
"""

from ..autograd.profiler import record_function
from .profiler import (ProfilerAction, ProfilerActivity, profile, schedule,
                       supported_activities, tensorboard_trace_handler)

from .device_type import DeviceType

__all__ = ["DeviceType", "ProfilerAction", "ProfilerActivity", "kineto_available", "profile",
           "record_function", "schedule", "supported_activities", "tensorboard_trace_handler"]


def kineto_available() -> bool:
    """False: ember's profiler records on its own, without the Kineto library.

    Example:
        >>> ember.profiler.kineto_available()
        False
    """
    return False
