/* lfilter.c: the sequential part of an IIR filter (the feedback recursion).
 *
 * The feed-forward (FIR) half of lfilter is a matmul over sliding windows done in Python
 * with ember ops; only the recursion, which cannot be vectorised over time, lives here.
 * Each (batch, channel) row is independent; the inner loop keeps the last `order - 1`
 * outputs in registers-friendly order by reading y backwards from t - 1.
 */
#include <stddef.h>
#include <stdint.h>

#include "emberaudio.h"

#define DEFINE_IIR(NAME, T)                                                                 \
    int NAME(const T *x, T *y, const T *a, int64_t n_batch, int64_t n_channel,              \
             int64_t n_time, int64_t order) {                                               \
        if (!x || !y || !a || n_batch < 0 || n_channel < 0 || n_time < 0 || order < 1)      \
            return EA_ERR_ARG;                                                              \
        for (int64_t b = 0; b < n_batch; ++b) {                                             \
            for (int64_t c = 0; c < n_channel; ++c) {                                       \
                const T *ac = a + c * order;                                                \
                const T *xr = x + (b * n_channel + c) * n_time;                             \
                T *yr = y + (b * n_channel + c) * n_time;                                   \
                for (int64_t t = 0; t < n_time; ++t) {                                      \
                    double acc = (double)xr[t];                                             \
                    int64_t kmax = order - 1 < t ? order - 1 : t;                           \
                    for (int64_t k = 1; k <= kmax; ++k)                                     \
                        acc -= (double)ac[k] * (double)yr[t - k];                           \
                    yr[t] = (T)acc;                                                         \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
        return EA_OK;                                                                       \
    }

DEFINE_IIR(ea_iir_f32, float)
DEFINE_IIR(ea_iir_f64, double)
