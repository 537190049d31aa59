"""Transforms: each holds its constants (window, filterbank, DCT, resampling kernel) as
buffers, so ``.to(device)`` / ``.double()`` move them, and calls one functional op."""

from __future__ import annotations

import math
from collections.abc import Callable

import ember
from ember import nn

from .. import functional as F
from ..functional.resample import apply_sinc_resample_kernel, sinc_resample_kernel

__all__ = ["Spectrogram", "InverseSpectrogram", "GriffinLim", "MelScale", "MelSpectrogram",
           "MFCC", "LFCC", "AmplitudeToDB", "Resample", "MuLawEncoding", "MuLawDecoding",
           "ComputeDeltas", "Fade", "Vol", "FrequencyMasking", "TimeMasking", "TimeStretch",
           "PitchShift", "SlidingWindowCmn", "FFTConvolve", "InverseMelScale"]


class Spectrogram(nn.Module):
    """Magnitude/power spectrogram of ``(..., time)`` audio: ``(..., n_fft // 2 + 1, frames)``.

    Example:
        >>> Spectrogram(n_fft=64)(ember.randn(2, 320)).shape
        ember.Size([2, 33, 11])
    """

    def __init__(self, n_fft: int = 400, win_length: int | None = None,
                 hop_length: int | None = None, pad: int = 0,
                 window_fn: Callable[..., ember.Tensor] = F.hann_window, power: float | None = 2.0,
                 normalized: bool | str = False, wkwargs: dict | None = None,
                 center: bool = True, pad_mode: str = "reflect", onesided: bool = True,
                 return_complex: bool | None = None) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        window = window_fn(self.win_length, **(wkwargs or {}))
        self.register_buffer("window", window)
        self.pad = pad
        self.power = power
        self.normalized = normalized
        self.center = center
        self.pad_mode = pad_mode
        self.onesided = onesided
        if return_complex is not None:
            import warnings
            warnings.warn("`return_complex` argument is now deprecated and is not effective."
                          "`torchaudio.transforms.Spectrogram(power=None)` always returns a "
                          "tensor with complex dtype. Please remove the argument in the "
                          "function call.", stacklevel=2)

    def forward(self, waveform: ember.Tensor) -> ember.Tensor:
        return F.spectrogram(waveform, self.pad, self.window, self.n_fft, self.hop_length,
                             self.win_length, self.power, self.normalized, self.center,
                             self.pad_mode, self.onesided)


class InverseSpectrogram(nn.Module):
    """Complex ``(..., freq, time)`` spectrogram back to ``(..., time)`` audio.

    Example:
        >>> spec = Spectrogram(n_fft=64, power=None)(ember.randn(2, 320))
        >>> InverseSpectrogram(n_fft=64)(spec, 320).shape
        ember.Size([2, 320])
    """

    def __init__(self, n_fft: int = 400, win_length: int | None = None,
                 hop_length: int | None = None, pad: int = 0,
                 window_fn: Callable[..., ember.Tensor] = F.hann_window,
                 normalized: bool | str = False, wkwargs: dict | None = None,
                 center: bool = True, pad_mode: str = "reflect", onesided: bool = True) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", window_fn(self.win_length, **(wkwargs or {})))
        self.pad = pad
        self.normalized = normalized
        self.center = center
        self.pad_mode = pad_mode
        self.onesided = onesided

    def forward(self, spectrogram: ember.Tensor, length: int | None = None) -> ember.Tensor:
        return F.inverse_spectrogram(spectrogram, length, self.pad, self.window, self.n_fft,
                                     self.hop_length, self.win_length, self.normalized,
                                     self.center, self.pad_mode, self.onesided)


class GriffinLim(nn.Module):
    """Waveform from a magnitude/power spectrogram by fast Griffin-Lim phase recovery.

    Random initial phases (``rand_init``) come from ember's global generator
    (``ember.manual_seed``).

    Example:
        >>> spec = Spectrogram(n_fft=64)(ember.randn(320))
        >>> GriffinLim(n_fft=64, n_iter=4, length=320)(spec).shape
        ember.Size([320])
    """

    def __init__(self, n_fft: int = 400, n_iter: int = 32, win_length: int | None = None,
                 hop_length: int | None = None,
                 window_fn: Callable[..., ember.Tensor] = F.hann_window, power: float = 2.0,
                 wkwargs: dict | None = None, momentum: float = 0.99,
                 length: int | None = None, rand_init: bool = True) -> None:
        super().__init__()
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in the range [0, 1). Found: {momentum}")
        self.n_fft = n_fft
        self.n_iter = n_iter
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.register_buffer("window", window_fn(self.win_length, **(wkwargs or {})))
        self.length = length
        self.power = power
        self.momentum = momentum
        self.rand_init = rand_init

    def forward(self, specgram: ember.Tensor) -> ember.Tensor:
        return F.griffinlim(specgram, self.window, self.n_fft, self.hop_length, self.win_length,
                            self.power, self.n_iter, self.momentum, self.length,
                            self.rand_init)


class MelScale(nn.Module):
    """Projects a ``(..., n_stft, time)`` spectrogram onto ``n_mels`` triangular mel filters.

    Example:
        >>> MelScale(n_mels=10, sample_rate=8000, n_stft=33)(ember.rand(33, 5)).shape
        ember.Size([10, 5])
    """

    def __init__(self, n_mels: int = 128, sample_rate: int = 16000, f_min: float = 0.0,
                 f_max: float | None = None, n_stft: int = 201, norm: str | None = None,
                 mel_scale: str = "htk") -> None:
        super().__init__()
        self.n_mels = n_mels
        self.sample_rate = sample_rate
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.f_min = f_min
        self.norm = norm
        self.mel_scale = mel_scale
        if f_min > self.f_max:
            raise ValueError(f"Require f_min: {f_min} <= f_max: {self.f_max}")
        fb = F.melscale_fbanks(n_stft, self.f_min, self.f_max, n_mels, sample_rate, norm,
                               mel_scale)
        self.register_buffer("fb", fb)

    def forward(self, specgram: ember.Tensor) -> ember.Tensor:
        fb = self.fb if self.fb.dtype == specgram.dtype else self.fb.to(specgram.dtype)
        return ember.matmul(specgram.transpose(-1, -2), fb).transpose(-1, -2)


class InverseMelScale(nn.Module):
    """Estimates a ``(..., n_stft, time)`` linear-frequency spectrogram from a
    ``(..., n_mels, time)`` mel one: the least-squares solution of ``fb^T x = melspec``
    (``ember.linalg.lstsq`` with ``driver``), clamped at zero, as torchaudio 2.x.

    With ``driver="gels"`` the filterbank must have full rank (lstsq raises otherwise, as
    in torch: many ``n_mels`` for few ``n_stft`` give empty or repeated low filters);
    ``"gelsy"``, ``"gelsd"`` and ``"gelss"`` return the minimum-norm solution then.

    Example:
        >>> mel = MelScale(n_mels=20, sample_rate=8000, n_stft=65)(ember.rand(65, 4))
        >>> InverseMelScale(65, n_mels=20, sample_rate=8000)(mel).shape
        ember.Size([65, 4])
    """

    def __init__(self, n_stft: int, n_mels: int = 128, sample_rate: int = 16000,
                 f_min: float = 0.0, f_max: float | None = None, norm: str | None = None,
                 mel_scale: str = "htk", driver: str = "gels") -> None:
        super().__init__()
        self.n_mels = n_mels
        self.sample_rate = sample_rate
        self.f_max = f_max or float(sample_rate // 2)
        self.f_min = f_min
        self.driver = driver
        if f_min > self.f_max:
            raise ValueError(f"Require f_min: {f_min} <= f_max: {self.f_max}")
        if driver not in ("gels", "gelsy", "gelsd", "gelss"):
            raise ValueError(f'driver must be one of ["gels", "gelsy", "gelsd", "gelss"]. '
                             f"Found {driver}.")
        fb = F.melscale_fbanks(n_stft, self.f_min, self.f_max, self.n_mels, self.sample_rate,
                               norm, mel_scale)
        self.register_buffer("fb", fb)

    def forward(self, melspec: ember.Tensor) -> ember.Tensor:
        shape = melspec.shape
        n_mels, time = shape[-2], shape[-1]
        if self.n_mels != n_mels:
            raise ValueError(f"Expected an input with {self.n_mels} mel bins. Found: {n_mels}")
        fb = self.fb if self.fb.dtype == melspec.dtype else self.fb.to(melspec.dtype)
        batch = melspec.reshape(-1, n_mels, time)
        # one filterbank for every batch element: lstsq broadcasts it
        spec = ember.linalg.lstsq(fb.mT.unsqueeze(0), batch, driver=self.driver).solution
        return ember.relu(spec).reshape(*shape[:-2], fb.shape[0], time)


class MelSpectrogram(nn.Module):
    """Spectrogram followed by MelScale: ``(..., time)`` -> ``(..., n_mels, frames)``.

    Example:
        >>> MelSpectrogram(16000, n_fft=256, n_mels=20)(ember.randn(1, 1600)).shape
        ember.Size([1, 20, 13])
    """

    def __init__(self, sample_rate: int = 16000, n_fft: int = 400,
                 win_length: int | None = None, hop_length: int | None = None,
                 f_min: float = 0.0, f_max: float | None = None, pad: int = 0,
                 n_mels: int = 128, window_fn: Callable[..., ember.Tensor] = F.hann_window,
                 power: float = 2.0, normalized: bool = False, wkwargs: dict | None = None,
                 center: bool = True, pad_mode: str = "reflect", onesided: bool | None = None,
                 norm: str | None = None, mel_scale: str = "htk") -> None:
        super().__init__()
        if onesided is not None:
            import warnings
            warnings.warn("Argument 'onesided' has been deprecated and has no influence on the "
                          "behavior of this module.", stacklevel=2)
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 2
        self.pad = pad
        self.power = power
        self.normalized = normalized
        self.n_mels = n_mels
        self.f_max = f_max
        self.f_min = f_min
        self.spectrogram = Spectrogram(n_fft=n_fft, win_length=self.win_length,
                                       hop_length=self.hop_length, pad=pad, window_fn=window_fn,
                                       power=power, normalized=normalized, wkwargs=wkwargs,
                                       center=center, pad_mode=pad_mode, onesided=True)
        self.mel_scale = MelScale(n_mels, sample_rate, f_min, f_max, n_fft // 2 + 1, norm,
                                  mel_scale)

    def forward(self, waveform: ember.Tensor) -> ember.Tensor:
        return self.mel_scale(self.spectrogram(waveform))


class LFCC(nn.Module):
    """Linear-frequency cepstral coefficients: DCT-II of the dB linear-filterbank spectrogram.

    Example:
        >>> LFCC(16000, n_filter=32, n_lfcc=13, speckwargs={"n_fft": 256})(
        ...     ember.randn(1, 1600)).shape
        ember.Size([1, 13, 13])
    """

    def __init__(self, sample_rate: int = 16000, n_filter: int = 128, f_min: float = 0.0,
                 f_max: float | None = None, n_lfcc: int = 40, dct_type: int = 2,
                 norm: str = "ortho", log_lf: bool = False,
                 speckwargs: dict | None = None) -> None:
        super().__init__()
        if dct_type != 2:
            raise ValueError(f"DCT type not supported: {dct_type}")
        self.sample_rate = sample_rate
        self.f_min = f_min
        self.f_max = f_max if f_max is not None else float(sample_rate // 2)
        self.n_filter = n_filter
        self.n_lfcc = n_lfcc
        self.dct_type = dct_type
        self.norm = norm
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        self.Spectrogram = Spectrogram(**(speckwargs or {}))
        if n_lfcc > self.Spectrogram.n_fft:
            raise ValueError("Cannot select more LFCC coefficients than # fft bins")
        self.register_buffer("filter_mat", F.linear_fbanks(
            self.Spectrogram.n_fft // 2 + 1, self.f_min, self.f_max, n_filter, sample_rate))
        self.register_buffer("dct_mat", F.create_dct(n_lfcc, n_filter, norm))
        self.log_lf = log_lf

    def forward(self, waveform: ember.Tensor) -> ember.Tensor:
        spec = self.Spectrogram(waveform)
        spec = ember.matmul(spec.transpose(-1, -2), self.filter_mat).transpose(-1, -2)
        spec = ember.log(spec + 1e-6) if self.log_lf else self.amplitude_to_DB(spec)
        return ember.matmul(spec.transpose(-1, -2), self.dct_mat).transpose(-1, -2)


class TimeStretch(nn.Module):
    """Stretches a complex ``(..., freq, time)`` STFT in time by a phase vocoder.

    Example:
        >>> spec = Spectrogram(n_fft=64, power=None)(ember.randn(640))
        >>> TimeStretch(n_freq=33, fixed_rate=2.0)(spec).shape
        ember.Size([33, 11])
    """

    def __init__(self, hop_length: int | None = None, n_freq: int = 201,
                 fixed_rate: float | None = None) -> None:
        super().__init__()
        self.fixed_rate = fixed_rate
        n_fft = (n_freq - 1) * 2
        hop_length = hop_length if hop_length is not None else n_fft // 2
        self.register_buffer("phase_advance",
                             ember.linspace(0, math.pi * hop_length, n_freq).unsqueeze(-1))

    def forward(self, complex_specgrams: ember.Tensor,
                overriding_rate: float | None = None) -> ember.Tensor:
        if not complex_specgrams.is_complex():
            import warnings
            warnings.warn("The input to TimeStretch must be complex type. Providing non-complex "
                          "tensor produces invalid results.", stacklevel=2)
        if overriding_rate is None:
            if self.fixed_rate is None:
                raise ValueError("If no fixed_rate is specified, must pass a valid rate to the "
                                 "forward method.")
            rate = self.fixed_rate
        else:
            rate = overriding_rate
        return F.phase_vocoder(complex_specgrams, rate, self.phase_advance)


class PitchShift(nn.Module):
    """Shifts pitch by ``n_steps`` of ``1 / bins_per_octave`` octave, keeping the length.

    Example:
        >>> PitchShift(16000, 4)(ember.randn(1, 4000)).shape
        ember.Size([1, 4000])
    """

    def __init__(self, sample_rate: int, n_steps: int, bins_per_octave: int = 12,
                 n_fft: int = 512, win_length: int | None = None,
                 hop_length: int | None = None,
                 window_fn: Callable[..., ember.Tensor] = F.hann_window,
                 wkwargs: dict | None = None) -> None:
        super().__init__()
        self.n_steps = n_steps
        self.bins_per_octave = bins_per_octave
        self.sample_rate = sample_rate
        self.n_fft = n_fft
        self.win_length = win_length if win_length is not None else n_fft
        self.hop_length = hop_length if hop_length is not None else self.win_length // 4
        self.register_buffer("window", window_fn(self.win_length, **(wkwargs or {})))

    def forward(self, waveform: ember.Tensor) -> ember.Tensor:
        return F.pitch_shift(waveform, self.sample_rate, self.n_steps, self.bins_per_octave,
                             self.n_fft, self.win_length, self.hop_length, self.window)


class SlidingWindowCmn(nn.Module):
    """Sliding-window cepstral mean (and variance) normalisation of ``(..., time, freq)``.

    Example:
        >>> SlidingWindowCmn()(ember.tensor([[1.0], [3.0]])).tolist()
        [[-1.0], [1.0]]
    """

    def __init__(self, cmn_window: int = 600, min_cmn_window: int = 100, center: bool = False,
                 norm_vars: bool = False) -> None:
        super().__init__()
        self.cmn_window = cmn_window
        self.min_cmn_window = min_cmn_window
        self.center = center
        self.norm_vars = norm_vars

    def forward(self, specgram: ember.Tensor) -> ember.Tensor:
        return F.sliding_window_cmn(specgram, self.cmn_window, self.min_cmn_window, self.center,
                                    self.norm_vars)


class FFTConvolve(nn.Module):
    """Convolves two signals along their last dim with FFTs (see ``F.fftconvolve``).

    Example:
        >>> FFTConvolve("same")(ember.ones(1, 5), ember.ones(1, 3)).shape
        ember.Size([1, 5])
    """

    def __init__(self, mode: str = "full") -> None:
        super().__init__()
        if mode not in ("full", "valid", "same"):
            raise ValueError(f"Unrecognized mode value '{mode}'. Please specify one of "
                             f"['full', 'valid', 'same'].")
        self.mode = mode

    def forward(self, x: ember.Tensor, y: ember.Tensor) -> ember.Tensor:
        return F.fftconvolve(x, y, mode=self.mode)


class AmplitudeToDB(nn.Module):
    """Power (``stype="power"``) or magnitude spectrogram to decibels, floored at max - top_db.

    Example:
        >>> AmplitudeToDB()(ember.tensor([1.0, 10.0])).tolist()
        [0.0, 10.0]
    """

    def __init__(self, stype: str = "power", top_db: float | None = None) -> None:
        super().__init__()
        self.stype = stype
        if top_db is not None and top_db < 0:
            raise ValueError("top_db must be positive value")
        self.top_db = top_db
        self.multiplier = 10.0 if stype == "power" else 20.0
        self.amin = 1e-10
        self.ref_value = 1.0
        self.db_multiplier = math.log10(max(self.amin, self.ref_value))

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        return F.amplitude_to_DB(x, self.multiplier, self.amin, self.db_multiplier, self.top_db)


class MFCC(nn.Module):
    """Mel-frequency cepstral coefficients: DCT-II of the log (dB) mel spectrogram.

    Example:
        >>> MFCC(16000, n_mfcc=13, melkwargs={"n_fft": 256, "n_mels": 40})(
        ...     ember.randn(1, 1600)).shape
        ember.Size([1, 13, 13])
    """

    def __init__(self, sample_rate: int = 16000, n_mfcc: int = 40, dct_type: int = 2,
                 norm: str = "ortho", log_mels: bool = False,
                 melkwargs: dict | None = None) -> None:
        super().__init__()
        if dct_type != 2:
            raise ValueError(f"DCT type not supported: {dct_type}")
        self.sample_rate = sample_rate
        self.n_mfcc = n_mfcc
        self.dct_type = dct_type
        self.norm = norm
        self.top_db = 80.0
        self.amplitude_to_DB = AmplitudeToDB("power", self.top_db)
        melkwargs = melkwargs or {}
        self.MelSpectrogram = MelSpectrogram(sample_rate=sample_rate, **melkwargs)
        if n_mfcc > self.MelSpectrogram.n_mels:
            raise ValueError("Cannot select more MFCC coefficients than # mel bins")
        self.register_buffer("dct_mat", F.create_dct(n_mfcc, self.MelSpectrogram.n_mels, norm))
        self.log_mels = log_mels

    def forward(self, waveform: ember.Tensor) -> ember.Tensor:
        mel = self.MelSpectrogram(waveform)
        if self.log_mels:
            mel = ember.log(mel + 1e-6)
        else:
            mel = self.amplitude_to_DB(mel)
        dct = self.dct_mat if self.dct_mat.dtype == mel.dtype else self.dct_mat.to(mel.dtype)
        return ember.matmul(mel.transpose(-1, -2), dct).transpose(-1, -2)


class Resample(nn.Module):
    """Band-limited resampling; the polyphase kernel is built once and kept as a buffer.

    Example:
        >>> Resample(44100, 16000)(ember.randn(2, 4410)).shape
        ember.Size([2, 1600])
    """

    def __init__(self, orig_freq: int = 16000, new_freq: int = 16000,
                 resampling_method: str = "sinc_interp_hann", lowpass_filter_width: int = 6,
                 rolloff: float = 0.99, beta: float | None = None, *,
                 dtype: ember.dtype | None = None) -> None:
        super().__init__()
        self.orig_freq = orig_freq
        self.new_freq = new_freq
        self.gcd = math.gcd(int(orig_freq), int(new_freq))
        self.resampling_method = resampling_method
        self.lowpass_filter_width = lowpass_filter_width
        self.rolloff = rolloff
        self.beta = beta
        if self.orig_freq != self.new_freq:
            kernel, self.width = sinc_resample_kernel(orig_freq, new_freq, self.gcd,
                                                      lowpass_filter_width, rolloff,
                                                      resampling_method, beta, dtype)
            self.register_buffer("kernel", kernel, persistent=False)

    def forward(self, waveform: ember.Tensor) -> ember.Tensor:
        if self.orig_freq == self.new_freq:
            return waveform
        return apply_sinc_resample_kernel(waveform, self.orig_freq, self.new_freq, self.gcd,
                                          self.kernel, self.width)


class MuLawEncoding(nn.Module):
    """Mu-law companding to ``quantization_channels`` integer levels.

    Example:
        >>> MuLawEncoding(256)(ember.tensor([0.0])).tolist()
        [128]
    """

    def __init__(self, quantization_channels: int = 256) -> None:
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        return F.mu_law_encoding(x, self.quantization_channels)


class MuLawDecoding(nn.Module):
    """Inverse of :class:`MuLawEncoding`.

    Example:
        >>> MuLawDecoding(256)(ember.tensor([255])).tolist()
        [1.0]
    """

    def __init__(self, quantization_channels: int = 256) -> None:
        super().__init__()
        self.quantization_channels = quantization_channels

    def forward(self, x_mu: ember.Tensor) -> ember.Tensor:
        return F.mu_law_decoding(x_mu, self.quantization_channels)


class ComputeDeltas(nn.Module):
    """Delta (time-derivative) coefficients of a ``(..., freq, time)`` feature tensor.

    Example:
        >>> ComputeDeltas(win_length=3)(ember.arange(4.0).reshape(1, 4)).tolist()
        [[0.5, 1.0, 1.0, 0.5]]
    """

    def __init__(self, win_length: int = 5, mode: str = "replicate") -> None:
        super().__init__()
        self.win_length = win_length
        self.mode = mode

    def forward(self, specgram: ember.Tensor) -> ember.Tensor:
        return F.compute_deltas(specgram, self.win_length, self.mode)


class Fade(nn.Module):
    """Fades in and out over the last dim.

    Example:
        >>> Fade(fade_in_len=2, fade_out_len=2)(ember.ones(5)).tolist()
        [0.0, 1.0, 1.0, 1.0, 0.0]
    """

    def __init__(self, fade_in_len: int = 0, fade_out_len: int = 0,
                 fade_shape: str = "linear") -> None:
        super().__init__()
        self.fade_in_len = fade_in_len
        self.fade_out_len = fade_out_len
        self.fade_shape = fade_shape

    def forward(self, waveform: ember.Tensor) -> ember.Tensor:
        return F.fade(waveform, self.fade_in_len, self.fade_out_len, self.fade_shape)


class Vol(nn.Module):
    """Scales volume (``gain_type`` ``"amplitude"``, ``"power"`` or ``"db"``) and clips to [-1, 1].

    Example:
        >>> Vol(2.0)(ember.tensor([0.25, 0.75])).tolist()
        [0.5, 1.0]
    """

    def __init__(self, gain: float, gain_type: str = "amplitude") -> None:
        super().__init__()
        if gain_type not in ("amplitude", "power", "db"):
            raise ValueError(f"gain_type must be amplitude, power or db, got {gain_type!r}")
        if gain_type in ("amplitude", "power") and gain < 0:
            raise ValueError("If gain_type = amplitude or power, gain must be positive.")
        self.gain = gain
        self.gain_type = gain_type

    def forward(self, waveform: ember.Tensor) -> ember.Tensor:
        if self.gain_type == "amplitude":
            waveform = waveform * self.gain
        elif self.gain_type == "db":
            waveform = F.gain(waveform, self.gain)
        else:
            waveform = F.gain(waveform, 10 * math.log10(self.gain))
        return ember.clamp(waveform, -1, 1)


class Vad(nn.Module):
    """Voice activity detector: trims leading silence like SoX's ``vad`` (see
    :func:`emberaudio.functional.vad` for the parameters).

    Example:
        >>> Vad(16000)(ember.zeros(2, 16000)).shape  # nothing triggers: nothing is kept
        ember.Size([2, 0])
    """

    def __init__(self, sample_rate: int, trigger_level: float = 7.0, trigger_time: float = 0.25,
                 search_time: float = 1.0, allowed_gap: float = 0.25,
                 pre_trigger_time: float = 0.0, boot_time: float = 0.35,
                 noise_up_time: float = 0.1, noise_down_time: float = 0.01,
                 noise_reduction_amount: float = 1.35, measure_freq: float = 20.0,
                 measure_duration: float | None = None, measure_smooth_time: float = 0.4,
                 hp_filter_freq: float = 50.0, lp_filter_freq: float = 6000.0,
                 hp_lifter_freq: float = 150.0, lp_lifter_freq: float = 2000.0) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self.trigger_level = trigger_level
        self.trigger_time = trigger_time
        self.search_time = search_time
        self.allowed_gap = allowed_gap
        self.pre_trigger_time = pre_trigger_time
        self.boot_time = boot_time
        self.noise_up_time = noise_up_time
        self.noise_down_time = noise_down_time
        self.noise_reduction_amount = noise_reduction_amount
        self.measure_freq = measure_freq
        self.measure_duration = measure_duration
        self.measure_smooth_time = measure_smooth_time
        self.hp_filter_freq = hp_filter_freq
        self.lp_filter_freq = lp_filter_freq
        self.hp_lifter_freq = hp_lifter_freq
        self.lp_lifter_freq = lp_lifter_freq

    def forward(self, waveform: ember.Tensor) -> ember.Tensor:
        return F.vad(waveform, self.sample_rate, self.trigger_level, self.trigger_time,
                     self.search_time, self.allowed_gap, self.pre_trigger_time, self.boot_time,
                     self.noise_up_time, self.noise_down_time, self.noise_reduction_amount,
                     self.measure_freq, self.measure_duration, self.measure_smooth_time,
                     self.hp_filter_freq, self.lp_filter_freq, self.hp_lifter_freq,
                     self.lp_lifter_freq)


class _AxisMasking(nn.Module):
    def __init__(self, mask_param: int, axis: int, iid_masks: bool, p: float = 1.0) -> None:
        super().__init__()
        self.mask_param = mask_param
        self.axis = axis
        self.iid_masks = iid_masks
        self.p = p

    def forward(self, specgram: ember.Tensor, mask_value: float = 0.0) -> ember.Tensor:
        axis = self.axis + specgram.ndim - 3  # axis 1 = freq, 2 = time of (C, F, T)
        if self.iid_masks and specgram.ndim >= 3:
            return F.mask_along_axis_iid(specgram, self.mask_param, mask_value, axis, p=self.p)
        return F.mask_along_axis(specgram, self.mask_param, mask_value, axis, p=self.p)


class FrequencyMasking(_AxisMasking):
    """SpecAugment frequency masking: one band of up to ``freq_mask_param`` bins zeroed.

    ``iid_masks=True`` draws a band per example of a batched ``(batch, channel, freq, time)``
    input.

    Example:
        >>> FrequencyMasking(3)(ember.ones(1, 8, 5)).shape
        ember.Size([1, 8, 5])
    """

    def __init__(self, freq_mask_param: int, iid_masks: bool = False) -> None:
        super().__init__(freq_mask_param, 1, iid_masks)


class TimeMasking(_AxisMasking):
    """SpecAugment time masking: one span of up to ``time_mask_param`` frames zeroed.

    ``p`` caps the span at ``p`` times the number of frames.

    Example:
        >>> TimeMasking(3, p=0.5)(ember.ones(1, 8, 5)).shape
        ember.Size([1, 8, 5])
    """

    def __init__(self, time_mask_param: int, iid_masks: bool = False, p: float = 1.0) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"The value of p must be between 0.0 and 1.0 ({p} given).")
        super().__init__(time_mask_param, 2, iid_masks, p)
