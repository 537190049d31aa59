"""Sliding-window cepstral mean (and variance) normalisation, as Kaldi's apply-cmvn-sliding."""

from __future__ import annotations

import ember

__all__ = ["sliding_window_cmn"]


def _windows(num_frames: int, cmn_window: int, min_cmn_window: int,
             center: bool) -> tuple[list[int], list[int]]:
    """Per frame, the [start, end) of the frames its statistics cover (Kaldi's rule)."""
    starts, ends = [], []
    for t in range(num_frames):
        if center:
            start = t - cmn_window // 2
            end = start + cmn_window
        else:
            start = t - cmn_window
            end = t + 1
        if start < 0:
            end -= start
            start = 0
        if not center and end > t:
            end = max(t + 1, min_cmn_window)
        if end > num_frames:
            start = max(start - (end - num_frames), 0)
            end = num_frames
        starts.append(start)
        ends.append(end)
    return starts, ends


def sliding_window_cmn(specgram: ember.Tensor, cmn_window: int = 600,
                       min_cmn_window: int = 100, center: bool = False,
                       norm_vars: bool = False) -> ember.Tensor:
    """Subtracts from each frame of ``(..., time, freq)`` the mean over a sliding window
    (and divides by the standard deviation with ``norm_vars``).

    Window sums come from one cumulative sum (differences of prefix sums) rather than
    torchaudio's per-frame Python loop; the windows are the same.

    Example:
        >>> x = ember.tensor([[1.0], [3.0], [5.0]])
        >>> sliding_window_cmn(x, cmn_window=600, min_cmn_window=100).tolist()
        [[-2.0], [0.0], [2.0]]
    """
    shape = specgram.shape
    num_frames, num_feats = shape[-2], shape[-1]
    x = specgram.reshape(-1, num_frames, num_feats)
    starts, ends = _windows(num_frames, cmn_window, min_cmn_window, center)
    dev = x.device
    start = ember.tensor(starts, dtype=ember.int64, device=dev)
    end = ember.tensor(ends, dtype=ember.int64, device=dev)
    count = (end - start).to(x.dtype).unsqueeze(-1)

    def window_sum(v: ember.Tensor) -> ember.Tensor:
        prefix = ember.cat([ember.zeros_like(v[:, :1]), ember.cumsum(v, 1)], dim=1)
        return prefix.index_select(1, end) - prefix.index_select(1, start)

    total = window_sum(x)
    out = x - total / count
    if norm_vars:
        variance = window_sum(x * x) / count - (total / count) ** 2
        out = ember.where(count == 1, ember.zeros_like(out), out * variance.pow(-0.5))
    out = out.reshape(shape)
    # torchaudio squeezes dim 0 of 2-D input, so a single frame comes back as (freq,)
    return out.squeeze(0) if len(shape) == 2 else out
