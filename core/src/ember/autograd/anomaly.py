"""Anomaly detection: NaN checks in backward with the forward traceback of the culprit."""

from __future__ import annotations


class _Anomaly:
    enabled = False
    check_nan = True


ANOMALY = _Anomaly()


def is_anomaly_enabled() -> bool:
    return ANOMALY.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY.check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Anomaly detection on or off for what follows (torch's non-context spelling)."""
    ANOMALY.enabled, ANOMALY.check_nan = bool(enabled), bool(check_nan)


class set_detect_anomaly:
    """Turns anomaly detection on or off; also a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = (ANOMALY.enabled, ANOMALY.check_nan)
        ANOMALY.enabled, ANOMALY.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        ANOMALY.enabled, ANOMALY.check_nan = self.prev


class detect_anomaly(set_detect_anomaly):
    """Context manager: records each op's forward traceback, and when a backward
    node returns NaN, raises naming that node and showing where it was created.

    Example:
        >>> with ember.autograd.detect_anomaly():
        ...     (x.sqrt() * 0).sum().backward()   # raises for SqrtBackward0 at x < 0
    """

    def __init__(self, check_nan: bool = True):
        super().__init__(True, check_nan)
