/* Fused, numerically stable softmax and log_softmax (forward and backward). */
#include <stdlib.h>
#include "em_internal.h"
#include "em_vecmath.h"

#define EM_T EMT_F32
#include "templates/softmax.inc"
#define EM_T EMT_F64
#include "templates/softmax.inc"

int em_softmax(int is_log, int dtype, const void *x, int64_t outer, int64_t n, int64_t inner,
               void *y) {
    if (outer < 0 || n < 0 || inner < 0) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, softmax, is_log, x, outer, n, inner, y)
}

int em_softmax_backward(int is_log, int dtype, const void *y, const void *gy, int64_t outer,
                        int64_t n, int64_t inner, void *gx) {
    if (outer < 0 || n < 0 || inner < 0) return EM_EINVAL;
    EM_FLOAT_SWITCH(dtype, softmax_backward, is_log, y, gy, outer, n, inner, gx)
}
