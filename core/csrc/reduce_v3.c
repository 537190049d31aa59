/* The floating-point reductions and arg-reductions again, compiled for x86-64-v3 (AVX2, FMA, F16C);
 * reduce.c calls them only when the CPU reports those features. */
#include <stdlib.h>
#include "em_internal.h"
#if EM_HAVE_V3
#pragma GCC target("avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,popcnt")
#define EM_ISA _v3

#define EM_T EMT_F32
#include "templates/reduce.inc"
#define EM_T EMT_F64
#include "templates/reduce.inc"
#define EM_T EMT_F16
#include "templates/reduce.inc"
#define EM_T EMT_BF16
#include "templates/reduce.inc"

int em_reduce_float_v3(int op, int dtype, int n_outer, const int64_t *outer_shape,
                       const int64_t *x_outer_strides, const int64_t *y_strides, int n_red,
                       const int64_t *red_shape, const int64_t *x_red_strides, const void *x,
                       void *y) {
    switch (dtype) {
    case EM_F32: return emk_reduce_f32_v3(op, n_outer, outer_shape, x_outer_strides, y_strides,
                                          n_red, red_shape, x_red_strides, x, y);
    case EM_F64: return emk_reduce_f64_v3(op, n_outer, outer_shape, x_outer_strides, y_strides,
                                          n_red, red_shape, x_red_strides, x, y);
    case EM_F16: return emk_reduce_f16_v3(op, n_outer, outer_shape, x_outer_strides, y_strides,
                                          n_red, red_shape, x_red_strides, x, y);
    default: return emk_reduce_bf16_v3(op, n_outer, outer_shape, x_outer_strides, y_strides,
                                       n_red, red_shape, x_red_strides, x, y);
    }
}

int em_arg_reduce_float_v3(int want_max, int dtype, int n_outer, const int64_t *outer_shape,
                           const int64_t *x_outer_strides, int64_t n_red, int64_t red_stride,
                           const void *x, void *values, int64_t *indices) {
#define EM_ARG_V3(sfx)                                                                     \
    return emk_arg_reduce_##sfx##_v3(want_max, n_outer, outer_shape, x_outer_strides, n_red,  \
                                     red_stride, x, values, indices)
    switch (dtype) {
    case EM_F32: EM_ARG_V3(f32);
    case EM_F64: EM_ARG_V3(f64);
    case EM_F16: EM_ARG_V3(f16);
    default: EM_ARG_V3(bf16);
    }
#undef EM_ARG_V3
}
#endif
