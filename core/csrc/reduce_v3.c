/* The floating-point reductions again, compiled for x86-64-v3 (AVX2, FMA, F16C);
 * reduce.c calls them only when the CPU reports those features. */
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
#endif
