/* Fused loss kernels: cross entropy over class indices (forward and backward). */
#include "em_internal.h"
#include "em_vecmath.h"

#define EM_T EMT_F32
#include "templates/loss.inc"
#define EM_T EMT_F64
#include "templates/loss.inc"

int em_cross_entropy(int dtype, const void *x, const int64_t *target, const void *weight,
                     int64_t B, int64_t K, int64_t ignore_index, double label_smoothing,
                     void *loss, void *lse) {
    if (B < 0 || K < 1 || label_smoothing < 0 || label_smoothing > 1) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, cross_entropy, x, target, weight, B, K, ignore_index, label_smoothing,
                    loss, lse)
}

int em_cross_entropy_backward(int dtype, const void *x, const void *lse, const int64_t *target,
                              const void *weight, const void *grad, int64_t B, int64_t K,
                              int64_t ignore_index, double label_smoothing, void *gx) {
    if (B < 0 || K < 1 || label_smoothing < 0 || label_smoothing > 1) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, cross_entropy_backward, x, lse, target, weight, grad, B, K, ignore_index,
                    label_smoothing, gx)
}
