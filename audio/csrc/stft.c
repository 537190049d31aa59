/* stft.c: spectrogram frames of real signals in one pass (window, FFT, magnitude/power).
 *
 * Frame f of a row is x[f hop .. f hop + n_fft) times the window. A real frame of even
 * length n = 2 h is transformed as the complex sequence z[j] = x[2j] + i x[2j+1] of length
 * h (a Stockham FFT, radices 4, 2, 3, 5), then split into the n / 2 + 1 bins of the real
 * transform:  X[k] = (Z[k] + conj Z[h-k]) / 2 - i W_n^k (Z[k] - conj Z[h-k]) / 2.
 *
 * ST_L frames go through the FFT together, stored lane-interleaved ([index][lane], real
 * and imaginary parts apart), so every butterfly is a short loop over the lanes that the
 * compiler turns into vector instructions: many short transforms (an STFT has thousands
 * of 400-point frames) run at vector speed instead of one scalar transform per frame.
 * The bins are written as complex values, magnitudes or powers, so a spectrogram makes
 * one pass over memory after the FFT. Blocks of frames share OpenMP threads.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "emberaudio.h"

#define ST_L 8
#define ST_MAX_STAGES 64

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define ST_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define ST_CLONES
#endif

/* Radices of a Stockham FFT of length h (4 first, then 2, 3, 5); 0 if h has another
 * prime factor. */
static int st_factor(int64_t h, int *radix) {
    int count = 0;
    while (h % 4 == 0) { radix[count++] = 4; h /= 4; }
    while (h % 2 == 0) { radix[count++] = 2; h /= 2; }
    while (h % 3 == 0) { radix[count++] = 3; h /= 3; }
    while (h % 5 == 0) { radix[count++] = 5; h /= 5; }
    return h == 1 ? count : 0;
}

#define DEFINE_STFT(NAME, T)                                                              \
    /* One Stockham stage: y[q + s (r p + j)] = W_len^(p j) DFT_r(x[q + s (p + k m)])_j,  \
     * each element being ST_L lanes. */                                                  \
    static inline __attribute__((always_inline)) void NAME##_stage(                       \
        int r, int64_t len, int64_t s, const T *restrict twr, const T *restrict twi,      \
        int64_t step, const T *restrict xr, const T *restrict xi, T *restrict yr,         \
        T *restrict yi) {                                                                 \
        const int64_t m = len / r;                                                        \
        /* radices 3 and 5 run the r-point DFT directly: c, sn = cos, sin of -2 pi e / r */ \
        T c[5], sn[5];                                                                    \
        for (int e = 0; e < r; ++e) {                                                     \
            c[e] = (T)cos(-2.0 * 3.14159265358979323846 * e / r);                         \
            sn[e] = (T)sin(-2.0 * 3.14159265358979323846 * e / r);                        \
        }                                                                                 \
        for (int64_t p = 0; p < m; ++p) {                                                 \
            T wr[5], wi[5];                                                               \
            for (int j = 0; j < r; ++j) {                                                 \
                wr[j] = twr[(p * j * step)];                                              \
                wi[j] = twi[(p * j * step)];                                              \
            }                                                                             \
            for (int64_t q = 0; q < s; ++q) {                                             \
                const int64_t in0 = (q + s * p) * ST_L, dm = s * m * ST_L;                \
                const int64_t out0 = (q + s * r * p) * ST_L, ds = s * ST_L;               \
                if (r == 2) {                                                             \
                    for (int l = 0; l < ST_L; ++l) {                                      \
                        const T ar = xr[in0 + l], ai = xi[in0 + l];                       \
                        const T br = xr[in0 + dm + l], bi = xi[in0 + dm + l];             \
                        const T dr = ar - br, di = ai - bi;                               \
                        yr[out0 + l] = ar + br; yi[out0 + l] = ai + bi;                   \
                        yr[out0 + ds + l] = dr * wr[1] - di * wi[1];                      \
                        yi[out0 + ds + l] = dr * wi[1] + di * wr[1];                      \
                    }                                                                     \
                } else if (r == 4) {                                                      \
                    for (int l = 0; l < ST_L; ++l) {                                      \
                        const T a0r = xr[in0 + l], a0i = xi[in0 + l];                     \
                        const T a1r = xr[in0 + dm + l], a1i = xi[in0 + dm + l];           \
                        const T a2r = xr[in0 + 2 * dm + l], a2i = xi[in0 + 2 * dm + l];   \
                        const T a3r = xr[in0 + 3 * dm + l], a3i = xi[in0 + 3 * dm + l];   \
                        const T t0r = a0r + a2r, t0i = a0i + a2i;                         \
                        const T t1r = a0r - a2r, t1i = a0i - a2i;                         \
                        const T t2r = a1r + a3r, t2i = a1i + a3i;                         \
                        const T t3r = a1i - a3i, t3i = a3r - a1r; /* (a1 - a3) * -i */    \
                        const T b1r = t1r + t3r, b1i = t1i + t3i;                         \
                        const T b2r = t0r - t2r, b2i = t0i - t2i;                         \
                        const T b3r = t1r - t3r, b3i = t1i - t3i;                         \
                        yr[out0 + l] = t0r + t2r; yi[out0 + l] = t0i + t2i;               \
                        yr[out0 + ds + l] = b1r * wr[1] - b1i * wi[1];                    \
                        yi[out0 + ds + l] = b1r * wi[1] + b1i * wr[1];                    \
                        yr[out0 + 2 * ds + l] = b2r * wr[2] - b2i * wi[2];                \
                        yi[out0 + 2 * ds + l] = b2r * wi[2] + b2i * wr[2];                \
                        yr[out0 + 3 * ds + l] = b3r * wr[3] - b3i * wi[3];                \
                        yi[out0 + 3 * ds + l] = b3r * wi[3] + b3i * wr[3];                \
                    }                                                                     \
                } else { /* 3 or 5: sums over k inside, the lanes innermost */           \
                    for (int j = 0; j < r; ++j) {                                         \
                        T sr[ST_L], si[ST_L];                                             \
                        for (int l = 0; l < ST_L; ++l) {                                  \
                            sr[l] = xr[in0 + l];                                          \
                            si[l] = xi[in0 + l];                                          \
                        }                                                                 \
                        for (int k = 1; k < r; ++k) {                                     \
                            const int e = (j * k) % r;                                    \
                            const T ce = c[e], se = sn[e];                                \
                            const T *pr = xr + in0 + k * dm, *pi = xi + in0 + k * dm;     \
                            for (int l = 0; l < ST_L; ++l) {                              \
                                sr[l] += pr[l] * ce - pi[l] * se;                         \
                                si[l] += pr[l] * se + pi[l] * ce;                         \
                            }                                                             \
                        }                                                                 \
                        for (int l = 0; l < ST_L; ++l) {                                  \
                            yr[out0 + j * ds + l] = sr[l] * wr[j] - si[l] * wi[j];        \
                            yi[out0 + j * ds + l] = sr[l] * wi[j] + si[l] * wr[j];        \
                        }                                                                 \
                    }                                                                     \
                }                                                                         \
            }                                                                             \
        }                                                                                 \
    }                                                                                     \
                                                                                          \
    ST_CLONES int NAME(const T *x, int64_t n_rows, int64_t len, const T *window,          \
                       int64_t n_fft, int64_t hop, int64_t n_frames, double scale,        \
                       int mode, T *out) {                                                \
        int radix[ST_MAX_STAGES];                                                         \
        if (n_rows < 0 || len < 0 || n_fft < 2 || n_fft % 2 || hop < 1 || n_frames < 0 ||  \
            mode < 0 || mode > 2 || n_fft > (1 << 24))                                    \
            return EA_ERR_ARG;                                                            \
        const int64_t h = n_fft / 2, bins = h + 1;                                        \
        const int nstages = st_factor(h, radix);                                          \
        if (nstages == 0 && h != 1) return EA_ERR_ARG;                                    \
        if (n_rows == 0 || n_frames == 0) return EA_OK;                                   \
        if (!x || !window || !out) return EA_ERR_ARG;                                     \
        if (n_rows > INT64_MAX / (len > 0 ? len : 1) ||                                   \
            n_rows > INT64_MAX / 2 / n_frames / bins)                                     \
            return EA_ERR_ARG;                                                            \
        if ((n_frames - 1) > (len - n_fft) / hop || len < n_fft) return EA_ERR_ARG;        \
        /* twiddles: W_h^k of the complex FFT, W_n^k of the real split, in T */           \
        T *tw = malloc(sizeof(T) * (size_t)(2 * h + 2 * bins));                           \
        if (!tw) return EA_ERR_NOMEM;                                                     \
        T *twr = tw, *twi = tw + h, *pwr = tw + 2 * h, *pwi = pwr + bins;                 \
        for (int64_t k = 0; k < h; ++k) {                                                 \
            twr[k] = (T)cos(-2.0 * 3.14159265358979323846 * (double)k / (double)h);       \
            twi[k] = (T)sin(-2.0 * 3.14159265358979323846 * (double)k / (double)h);       \
        }                                                                                 \
        for (int64_t k = 0; k < bins; ++k) {                                              \
            pwr[k] = (T)cos(-2.0 * 3.14159265358979323846 * (double)k / (double)n_fft);   \
            pwi[k] = (T)sin(-2.0 * 3.14159265358979323846 * (double)k / (double)n_fft);   \
        }                                                                                 \
        const int64_t blocks_per_row = (n_frames + ST_L - 1) / ST_L;                      \
        const int64_t tasks = n_rows * blocks_per_row;                                    \
        const T sc = (T)scale;                                                            \
        int status = EA_OK;                                                               \
        const int split = tasks > 1 && (double)n_rows * n_frames * n_fft >= 131072.0;      \
        _Pragma("omp parallel if (split)")                                                \
        {                                                                                 \
            /* two ping-pong buffers (real, imaginary parts) of h + 1 lane-interleaved     \
               values: the FFT ping-pongs between them, then the bins go to the free one */ \
            const int64_t hb = (h + 1) * ST_L;                                            \
            T *buf = malloc(sizeof(T) * (size_t)(4 * hb));                                \
            if (!buf) {                                                                   \
                _Pragma("omp atomic write") status = EA_ERR_NOMEM;                        \
            }                                                                             \
            _Pragma("omp for schedule(static)")                                           \
            for (int64_t task = 0; task < tasks; ++task) {                                \
                if (!buf) continue;                                                       \
                const int64_t row = task / blocks_per_row;                                \
                const int64_t f0 = (task % blocks_per_row) * ST_L;                        \
                const int64_t lanes = n_frames - f0 < ST_L ? n_frames - f0 : ST_L;        \
                T *ar = buf, *ai = buf + hb, *br = buf + 2 * hb, *bi = buf + 3 * hb;      \
                /* each frame read in order; lanes past the last frame repeat frame f0 */  \
                for (int l = 0; l < ST_L; ++l) {                                          \
                    const T *fr = x + row * len + (f0 + (l < lanes ? l : 0)) * hop;       \
                    for (int64_t j = 0; j < h; ++j) {                                     \
                        ar[j * ST_L + l] = fr[2 * j] * window[2 * j];                     \
                        ai[j * ST_L + l] = fr[2 * j + 1] * window[2 * j + 1];             \
                    }                                                                     \
                }                                                                         \
                int64_t slen = h, s = 1;                                                  \
                for (int st = 0; st < nstages; ++st) {                                    \
                    NAME##_stage(radix[st], slen, s, twr, twi, h / slen, ar, ai, br, bi); \
                    T *t = ar; ar = br; br = t;                                           \
                    t = ai; ai = bi; bi = t;                                              \
                    slen /= radix[st];                                                    \
                    s *= radix[st];                                                       \
                }                                                                         \
                /* the real transform's bins, all lanes at once, into (br, bi) */         \
                for (int64_t k = 0; k < bins; ++k) {                                      \
                    const T *z1r = ar + (k % h) * ST_L, *z1i = ai + (k % h) * ST_L;       \
                    const T *z2r = ar + ((h - k) % h) * ST_L, *z2i = ai + ((h - k) % h) * ST_L; \
                    const T wr_ = pwr[k], wi_ = pwi[k];                                   \
                    T *vr = br + k * ST_L, *vi = bi + k * ST_L;                           \
                    for (int l = 0; l < ST_L; ++l) {                                      \
                        const T er = (z1r[l] + z2r[l]) * (T)0.5;                          \
                        const T ei = (z1i[l] - z2i[l]) * (T)0.5;                          \
                        const T or_ = (z1i[l] + z2i[l]) * (T)0.5;                         \
                        const T oi = (z2r[l] - z1r[l]) * (T)0.5;                          \
                        const T re = (er + or_ * wr_ - oi * wi_) * sc;                    \
                        const T im = (ei + or_ * wi_ + oi * wr_) * sc;                    \
                        if (mode == 0) {                                                  \
                            vr[l] = re;                                                   \
                            vi[l] = im;                                                   \
                        } else {                                                          \
                            vr[l] = re * re + im * im;                                    \
                        }                                                                 \
                    }                                                                     \
                }                                                                         \
                /* each frame's bins written in order */                                  \
                for (int64_t l = 0; l < lanes; ++l) {                                     \
                    T *o = out + (row * n_frames + f0 + l) * bins * (mode == 0 ? 2 : 1);  \
                    if (mode == 0) {                                                      \
                        for (int64_t k = 0; k < bins; ++k) {                              \
                            o[2 * k] = br[k * ST_L + l];                                  \
                            o[2 * k + 1] = bi[k * ST_L + l];                              \
                        }                                                                 \
                    } else if (mode == 1) {                                               \
                        for (int64_t k = 0; k < bins; ++k)                                \
                            o[k] = (T)sqrt((double)br[k * ST_L + l]);                     \
                    } else {                                                              \
                        for (int64_t k = 0; k < bins; ++k) o[k] = br[k * ST_L + l];       \
                    }                                                                     \
                }                                                                         \
            }                                                                             \
            free(buf);                                                                    \
        }                                                                                 \
        free(tw);                                                                         \
        return status;                                                                    \
    }

DEFINE_STFT(ea_stft_f32, float)
DEFINE_STFT(ea_stft_f64, double)
