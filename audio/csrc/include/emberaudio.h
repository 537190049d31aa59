/* emberaudio.h: every C entry point of emberaudio._C.
 *
 * Plain C declarations only: _C_build.py feeds this file verbatim to cffi's cdef.
 * Every function returns EA_OK or a negative EA_ERR_* status and checks the sizes it is
 * given (C never trusts its caller with bounds).
 */

#define EA_OK 0
#define EA_ERR_ARG -1
#define EA_ERR_NOMEM -2

/* IIR filter along time over (n_batch, n_channel, n_time) signals, strides in elements
 * (any sign; y may be x itself, with the same strides, but may not overlap it otherwise):
 *
 *     a[c, 0] y[b, c, t] = sum_{k<n_coef} b[c, k] x[b, c, t-k]
 *                          - sum_{1<=k<n_coef} a[c, k] y[b, c, t-k]
 *
 * with zero initial state. a and b are contiguous (n_channel, n_coef). Accumulates in
 * double; clamp != 0 clips what is stored to [-1, 1] (the recursion uses the unclipped
 * values). Rows share OpenMP threads when there is enough work. */
int ea_lfilter_f32(const float *x, int64_t sx_b, int64_t sx_c, int64_t sx_t, float *y,
                   int64_t sy_b, int64_t sy_c, int64_t sy_t, const float *a, const float *b,
                   int64_t n_batch, int64_t n_channel, int64_t n_time, int64_t n_coef,
                   int clamp);
int ea_lfilter_f64(const double *x, int64_t sx_b, int64_t sx_c, int64_t sx_t, double *y,
                   int64_t sy_b, int64_t sy_c, int64_t sy_t, const double *a,
                   const double *b, int64_t n_batch, int64_t n_channel, int64_t n_time,
                   int64_t n_coef, int clamp);

/* Spectrogram frames of n_rows contiguous real signals of length len (already padded):
 * frame f is x[row, f hop .. f hop + n_fft) times window (n_fft values), transformed by a
 * DFT (n_fft even, n_fft / 2 with no prime factor above 5) into bins = n_fft / 2 + 1
 * values, each multiplied by scale. out is contiguous (n_rows, n_frames, bins): complex
 * values as (re, im) pairs for mode 0, magnitudes for mode 1, squared magnitudes for
 * mode 2. Requires (n_frames - 1) hop + n_fft <= len. Blocks of frames share OpenMP
 * threads when there is enough work. */
int ea_stft_f32(const float *x, int64_t n_rows, int64_t len, const float *window,
                int64_t n_fft, int64_t hop, int64_t n_frames, double scale, int mode,
                float *out);
int ea_stft_f64(const double *x, int64_t n_rows, int64_t len, const double *window,
                int64_t n_fft, int64_t hop, int64_t n_frames, double scale, int mode,
                double *out);

/* Polyphase resampling of n_rows contiguous signals of length len (already padded):
 *
 *     out[row, f new + j] = sum_{i<taps} x[row, f orig + start[j] + i] kernel[j, i]
 *
 * for f new + j < n_out. kernel is contiguous (new, taps): each phase's band of the
 * windowed-sinc kernel, beginning at input offset start[j]. Every read is checked to stay
 * inside the row. Rows and blocks of frames share OpenMP threads. */
int ea_resample_f32(const float *x, int64_t n_rows, int64_t len, const float *kernel,
                    const int64_t *start, int64_t taps, int64_t orig, int64_t new_,
                    int64_t n_out, float *out);
int ea_resample_f64(const double *x, int64_t n_rows, int64_t len, const double *kernel,
                    const int64_t *start, int64_t taps, int64_t orig, int64_t new_,
                    int64_t n_out, double *out);
