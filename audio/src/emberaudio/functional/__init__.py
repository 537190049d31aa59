"""torchaudio.functional for ember: spectral analysis, filterbanks, filtering and effects."""

from .cmn import sliding_window_cmn
from .effects import (DB_to_amplitude, add_noise, amplitude_to_DB, compute_deltas, convolve,
                      dither, fade, fftconvolve, gain, mask_along_axis, mask_along_axis_iid,
                      mu_law_decoding, mu_law_encoding)
from .filterbanks import create_dct, linear_fbanks, melscale_fbanks
from .filtering import (allpass_biquad, band_biquad, bandpass_biquad, bandreject_biquad,
                        bass_biquad, biquad, deemph_biquad, deemphasis, equalizer_biquad,
                        filtfilt, highpass_biquad, lfilter, lowpass_biquad, preemphasis,
                        riaa_biquad, treble_biquad)
from .pitch import detect_pitch_frequency
from .resample import resample
from .spectral import (griffinlim, inverse_spectrogram, real_dft, spectral_centroid,
                       spectrogram, stft_parts)
from .stretch import phase_vocoder, pitch_shift
from .vad import vad
from .windows import (bartlett_window, blackman_window, hamming_window, hann_window,
                      kaiser_window)
