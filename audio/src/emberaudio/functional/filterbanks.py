"""Mel and linear triangular filterbanks, the DCT matrix for MFCCs, Hz <-> mel.

Built in float64 with ember ops and returned as float32 (torchaudio's dtype), so the
values are the correctly rounded ones.
"""

from __future__ import annotations

import math

import ember

__all__ = ["melscale_fbanks", "linear_fbanks", "create_dct"]

_F_SP = 200.0 / 3  # slaney: linear part, Hz per mel
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = math.log(6.4) / 27.0


def _hz_to_mel(freq: float, mel_scale: str) -> float:
    if mel_scale == "htk":
        return 2595.0 * math.log10(1.0 + freq / 700.0)
    if freq < _MIN_LOG_HZ:
        return freq / _F_SP
    return _MIN_LOG_MEL + math.log(freq / _MIN_LOG_HZ) / _LOGSTEP


def _mel_to_hz(mels: ember.Tensor, mel_scale: str) -> ember.Tensor:
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    linear = mels * _F_SP
    log_part = _MIN_LOG_HZ * ember.exp(_LOGSTEP * (mels - _MIN_LOG_MEL))
    return ember.where(mels >= _MIN_LOG_MEL, log_part, linear)


def _triangular(all_freqs: ember.Tensor, f_pts: ember.Tensor) -> ember.Tensor:
    """(n_freqs, n_filter): rising slope to f_pts[i + 1], falling to f_pts[i + 2]."""
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return ember.clamp(ember.minimum(down, up), min=0.0) + 0.0  # + 0.0 turns -0.0 into 0.0


def _check_scale(mel_scale: str, norm: str | None) -> None:
    if mel_scale not in ("htk", "slaney"):
        raise ValueError('mel_scale should be one of "htk" or "slaney".')
    if norm is not None and norm != "slaney":
        raise ValueError('norm must be one of None or "slaney"')


def melscale_fbanks(n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int,
                    norm: str | None = None, mel_scale: str = "htk") -> ember.Tensor:
    """Triangular mel filterbank, ``(n_freqs, n_mels)``; ``spec.mT @ fb`` applies it.

    Example:
        >>> fb = melscale_fbanks(201, 0.0, 8000.0, 40, 16000)
        >>> fb.shape, bool((fb.sum(0) > 0).all())
        (ember.Size([201, 40]), True)
    """
    _check_scale(mel_scale, norm)
    all_freqs = ember.linspace(0, sample_rate // 2, n_freqs, dtype=ember.float64)
    m_min, m_max = _hz_to_mel(f_min, mel_scale), _hz_to_mel(f_max, mel_scale)
    m_pts = ember.linspace(m_min, m_max, n_mels + 2, dtype=ember.float64)
    f_pts = _mel_to_hz(m_pts, mel_scale)
    fb = _triangular(all_freqs, f_pts)
    if norm == "slaney":
        fb = fb * (2.0 / (f_pts[2:n_mels + 2] - f_pts[:n_mels])).unsqueeze(0)
    if bool((fb.amax(dim=0) == 0.0).any()):
        import warnings
        warnings.warn(f"At least one mel filterbank has all zero values. The value for "
                      f"`n_mels` ({n_mels}) may be set too high. Or, the value for `n_freqs` "
                      f"({n_freqs}) may be set too low.", stacklevel=2)
    return fb.to(ember.float32)


def linear_fbanks(n_freqs: int, f_min: float, f_max: float, n_filter: int,
                  sample_rate: int) -> ember.Tensor:
    """Triangular filterbank with linearly spaced centres, ``(n_freqs, n_filter)``.

    Example:
        >>> linear_fbanks(5, 0.0, 4.0, 1, 8).tolist()
        [[0.0], [0.5], [1.0], [0.5], [0.0]]
    """
    all_freqs = ember.linspace(0, sample_rate // 2, n_freqs, dtype=ember.float64)
    f_pts = ember.linspace(f_min, f_max, n_filter + 2, dtype=ember.float64)
    return _triangular(all_freqs, f_pts).to(ember.float32)


def create_dct(n_mfcc: int, n_mels: int, norm: str | None) -> ember.Tensor:
    """DCT-II matrix ``(n_mels, n_mfcc)``; ``norm="ortho"`` makes it orthonormal.

    Example:
        >>> d = create_dct(3, 3, "ortho")
        >>> bool(ember.allclose(d.T @ d, ember.eye(3), atol=1e-6))
        True
    """
    if norm is not None and norm != "ortho":
        raise ValueError('norm must be either "ortho" or None')
    n = ember.arange(n_mels, dtype=ember.float64)
    k = ember.arange(n_mfcc, dtype=ember.float64).unsqueeze(1)
    dct = ember.cos(math.pi / n_mels * (n + 0.5) * k)  # (n_mfcc, n_mels)
    if norm is None:
        dct = dct * 2.0
    else:
        first = ember.ones(n_mfcc, 1, dtype=ember.float64)
        first[0] = 1.0 / math.sqrt(2.0)
        dct = dct * first * math.sqrt(2.0 / n_mels)
    return dct.t().contiguous().to(ember.float32)
