/* Reductions, arg-reductions and scans; per-dtype code in templates/reduce.inc. */
#include <stdlib.h>
#include "em_internal.h"

#define EM_TEMPLATE "templates/reduce.inc"
#include "templates/all_dtypes.h"

int em_reduce(int op, int dtype, int n_outer, const int64_t *outer_shape,
              const int64_t *x_outer_strides, const int64_t *y_strides, int n_red,
              const int64_t *red_shape, const int64_t *x_red_strides, const void *x, void *y,
              double p0) {
    (void)p0;
    if (n_outer < 0 || n_outer > EM_MAX_DIMS || n_red < 1 || n_red > EM_MAX_DIMS) return EM_EINVAL;
    if (op < EM_RSUM || op > EM_RNANSUM) return EM_EOP;
    if (em_numel(n_red, red_shape) == 0 && (op == EM_RMAX || op == EM_RMIN)) return EM_EINVAL;
#if EM_HAVE_V3
    if (dtype <= EM_BF16 && em_use_v3())
        return em_reduce_float_v3(op, dtype, n_outer, outer_shape, x_outer_strides, y_strides,
                                  n_red, red_shape, x_red_strides, x, y);
#endif
    EM_DTYPE_SWITCH(dtype, emk_reduce, op, n_outer, outer_shape, x_outer_strides, y_strides,
                    n_red, red_shape, x_red_strides, x, y)
}

int em_arg_reduce(int want_max, int dtype, int n_outer, const int64_t *outer_shape,
                  const int64_t *x_outer_strides, int64_t n_red, int64_t red_stride,
                  const void *x, void *values, int64_t *indices) {
    if (n_outer < 0 || n_outer > EM_MAX_DIMS || n_red < 1) return EM_EINVAL;
#if EM_HAVE_V3
    if (dtype <= EM_BF16 && em_use_v3())
        return em_arg_reduce_float_v3(want_max, dtype, n_outer, outer_shape, x_outer_strides,
                                      n_red, red_stride, x, values, indices);
#endif
    EM_DTYPE_SWITCH(dtype, emk_arg_reduce, want_max, n_outer, outer_shape, x_outer_strides,
                    n_red, red_stride, x, values, indices)
}

int em_scan(int op, int dtype, int64_t rows, int64_t n, const void *x, void *y,
            int64_t *indices) {
    if (rows < 0 || n < 0) return EM_EINVAL;
    if ((op == EM_CUMMAX || op == EM_CUMMIN) && !indices) return EM_EINVAL;
    if (op == EM_LOGCUMSUMEXP && dtype > EM_BF16) return EM_EDTYPE;
    EM_DTYPE_SWITCH(dtype, emk_scan, op, rows, n, x, y, indices)
}
