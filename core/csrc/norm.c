/* Fused layer norm and batch norm kernels (forward, statistics, backward). */
#include <stdlib.h>
#include "em_internal.h"

#define EM_T EMT_F32
#include "templates/norm.inc"
#define EM_T EMT_F64
#include "templates/norm.inc"

int em_layer_norm(int dtype, const void *x, const void *w, const void *b, int64_t M, int64_t N,
                  double eps, void *y, void *mean, void *rstd) {
    if (M < 0 || N < 1) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, layer_norm, x, w, b, M, N, eps, y, mean, rstd)
}

int em_layer_norm_backward(int dtype, const void *x, const void *gy, const void *w,
                           const void *mean, const void *rstd, int64_t M, int64_t N, void *gx,
                           void *gw, void *gb) {
    if (M < 0 || N < 1) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, layer_norm_backward, x, gy, w, mean, rstd, M, N, gx, gw, gb)
}

int em_batch_norm_stats(int dtype, const void *x, int64_t N, int64_t C, int64_t L, double eps,
                        double momentum, void *mean, void *var, void *invstd,
                        void *running_mean, void *running_var) {
    if (N < 0 || C < 0 || L < 0) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, batch_norm_stats, x, N, C, L, eps, momentum, mean, var, invstd,
                    running_mean, running_var)
}

int em_batch_norm_apply(int dtype, const void *x, const void *mean, const void *invstd,
                        const void *w, const void *b, int64_t N, int64_t C, int64_t L, void *y) {
    if (N < 0 || C < 0 || L < 0) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, batch_norm_apply, x, mean, invstd, w, b, N, C, L, y)
}

int em_batch_norm_backward(int dtype, const void *x, const void *gy, const void *mean,
                           const void *invstd, const void *w, int training, int64_t N,
                           int64_t C, int64_t L, void *gx, void *gw, void *gb) {
    if (N < 0 || C < 0 || L < 0) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, batch_norm_backward, x, gy, mean, invstd, w, training, N, C, L, gx,
                    gw, gb)
}
