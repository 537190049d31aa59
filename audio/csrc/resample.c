/* resample.c: polyphase resampling by a banded kernel, one pass over each row.
 *
 * For orig -> new (reduced by their gcd) output sample f new + j is the dot product of the
 * padded input x[f orig + start[j] .. + taps) with phase j's band of the windowed-sinc
 * kernel (kernel[j, 0 .. taps)). The full kernel of functional/resample.py spans
 * 2 width + orig inputs per phase, but each phase's sinc window covers only about 2 width
 * of them: the band skips the rest, which are zeros up to rounding (44.1 -> 16 kHz: 35 of
 * 475 taps). Dot products accumulate in 8 partial sums (vector lanes) of the tensor's
 * type, as a convolution in that type would. Rows, then blocks of frames, share OpenMP
 * threads.
 */
#include <stddef.h>
#include <stdint.h>

#include "emberaudio.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define RS_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define RS_CLONES
#endif

#define RS_LANES 8
#define RS_FRAME_BLOCK 64

#define DEFINE_RESAMPLE(NAME, T)                                                          \
    RS_CLONES int NAME(const T *x, int64_t n_rows, int64_t len, const T *kernel,          \
                       const int64_t *start, int64_t taps, int64_t orig, int64_t new_,     \
                       int64_t n_out, T *out) {                                           \
        if (n_rows < 0 || len < 0 || taps < 1 || orig < 1 || new_ < 1 || n_out < 0)        \
            return EA_ERR_ARG;                                                            \
        if (n_rows == 0 || n_out == 0) return EA_OK;                                      \
        if (!x || !kernel || !start || !out) return EA_ERR_ARG;                           \
        if (n_rows > INT64_MAX / (len > 0 ? len : 1) || n_rows > INT64_MAX / n_out)       \
            return EA_ERR_ARG;                                                            \
        const int64_t n_frames = (n_out + new_ - 1) / new_;                               \
        /* every read stays inside the row: frame f, phase j reads x[f orig + start[j] +   \
           i], i < taps */                                                                \
        for (int64_t j = 0; j < new_; ++j)                                                \
            if (start[j] < 0 || start[j] > len - taps ||                                  \
                (n_frames - 1) > (len - taps - start[j]) / orig)                          \
                return EA_ERR_ARG;                                                        \
        const int64_t blocks = (n_frames + RS_FRAME_BLOCK - 1) / RS_FRAME_BLOCK;           \
        const int split = (double)n_rows * (double)n_out * (double)taps >= 262144.0;       \
        _Pragma("omp parallel for collapse(2) schedule(static) if (split)")               \
        for (int64_t r = 0; r < n_rows; ++r) {                                            \
            for (int64_t blk = 0; blk < blocks; ++blk) {                                  \
                const T *xr = x + r * len;                                                \
                T *yr = out + r * n_out;                                                  \
                const int64_t f1 = (blk + 1) * RS_FRAME_BLOCK < n_frames                  \
                                       ? (blk + 1) * RS_FRAME_BLOCK : n_frames;           \
                for (int64_t f = blk * RS_FRAME_BLOCK; f < f1; ++f) {                     \
                    const int64_t jn = n_out - f * new_ < new_ ? n_out - f * new_ : new_; \
                    for (int64_t j = 0; j < jn; ++j) {                                    \
                        const T *xs = xr + f * orig + start[j];                           \
                        const T *kj = kernel + j * taps;                                  \
                        T acc[RS_LANES] = {0};                                            \
                        int64_t i = 0;                                                    \
                        for (; i + RS_LANES <= taps; i += RS_LANES)                       \
                            for (int l = 0; l < RS_LANES; ++l) acc[l] += xs[i + l] * kj[i + l]; \
                        T sum = 0;                                                        \
                        for (; i < taps; ++i) sum += xs[i] * kj[i];                       \
                        for (int l = 0; l < RS_LANES; ++l) sum += acc[l];                 \
                        yr[f * new_ + j] = sum;                                           \
                    }                                                                     \
                }                                                                         \
            }                                                                             \
        }                                                                                 \
        return EA_OK;                                                                     \
    }

DEFINE_RESAMPLE(ea_resample_f32, float)
DEFINE_RESAMPLE(ea_resample_f64, double)
