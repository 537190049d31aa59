/* Every C entry point of ember._C.
 *
 * This file is also the cffi cdef: keep it plain C declarations, enums and
 * integer #defines (the builder drops the include guard and #include lines).
 *
 * Conventions:
 *   - Shapes and strides are int64 arrays counted in elements, not bytes.
 *   - Every function returns an em_status; EM_OK is 0.
 *   - Pointers point at the first element of the operand (offset already applied).
 *   - Callers validate in Python first; C checks again where it is cheap.
 */
#ifndef EMBER_H
#define EMBER_H
#include <stdint.h>

/* ---- status codes (mapped to Python exceptions in backends/cpu.py) ---- */
enum em_status {
    EM_OK = 0,
    EM_EINVAL = 1,       /* bad argument: ValueError / RuntimeError */
    EM_ENOMEM = 2,       /* MemoryError */
    EM_EINDEX = 3,       /* index out of range: IndexError */
    EM_EDTYPE = 4,       /* dtype not supported by this kernel: TypeError */
    EM_EOP = 5,          /* unknown op code */
    EM_EZERODIV = 6      /* integer division by zero: ZeroDivisionError */
};

/* ---- dtypes: the order matches ember._dtype ---- */
enum em_dtype {
    EM_F32 = 0, EM_F64 = 1, EM_F16 = 2, EM_BF16 = 3,
    EM_I8 = 4, EM_I16 = 5, EM_I32 = 6, EM_I64 = 7, EM_U8 = 8, EM_BOOL = 9
};

#define EM_MAX_DIMS 64

/* ---- unary ops: y = f(x), same dtype in and out ---- */
enum em_unary_op {
    EM_ABS, EM_NEG, EM_EXP, EM_EXP2, EM_LOG, EM_LOG2, EM_LOG10, EM_LOG1P, EM_EXPM1,
    EM_SQRT, EM_RSQRT, EM_SQUARE, EM_SIN, EM_COS, EM_TAN, EM_ASIN, EM_ACOS, EM_ATAN,
    EM_SINH, EM_COSH, EM_TANH, EM_ASINH, EM_ACOSH, EM_ATANH, EM_SIGMOID, EM_LOGIT,
    EM_ERF, EM_ERFC, EM_ERFINV, EM_LGAMMA, EM_DIGAMMA, EM_FLOOR, EM_CEIL, EM_ROUND,
    EM_TRUNC, EM_FRAC, EM_SIGN, EM_RECIPROCAL, EM_RELU, EM_GELU, EM_GELU_TANH, EM_SILU,
    EM_MISH, EM_SOFTPLUS, EM_SOFTSIGN, EM_LOGSIGMOID, EM_SELU, EM_HARDSIGMOID,
    EM_HARDSWISH, EM_BITWISE_NOT, EM_ELU, EM_LEAKY_RELU, EM_CLAMP, EM_HARDTANH,
    EM_THRESHOLD, EM_NAN_TO_NUM, EM_ROUND_DECIMALS, EM_CELU, EM_POW_SCALAR,
    EM_RPOW_SCALAR, EM_GELU_GRAD, EM_GELU_TANH_GRAD, EM_ADD_SCALAR, EM_MUL_SCALAR,
    EM_DIV_SCALAR, EM_RSUB_SCALAR,
    EM_UNARY_OP_COUNT
};

/* ---- unary predicates: bool y = p(x) ---- */
enum em_pred_op {
    EM_ISNAN, EM_ISINF, EM_ISPOSINF, EM_ISNEGINF, EM_ISFINITE, EM_SIGNBIT, EM_LOGICAL_NOT,
    EM_NONZERO
};

/* ---- binary ops: y = f(a, b), same dtype for a, b and y ---- */
enum em_binary_op {
    EM_ADD, EM_SUB, EM_MUL, EM_DIV, EM_DIV_TRUNC, EM_DIV_FLOOR, EM_REMAINDER, EM_FMOD,
    EM_POW, EM_ATAN2, EM_HYPOT, EM_MAXIMUM, EM_MINIMUM, EM_FMAX, EM_FMIN, EM_COPYSIGN,
    EM_BITWISE_AND, EM_BITWISE_OR, EM_BITWISE_XOR, EM_LSHIFT, EM_RSHIFT, EM_XLOGY,
    EM_TANH_BACKWARD, EM_SIGMOID_BACKWARD, EM_RELU_BACKWARD, /* u: gradient; w: forward output */
    EM_BINARY_OP_COUNT
};

/* ---- comparisons and logical ops: bool y = f(a, b) ---- */
enum em_compare_op {
    EM_EQ, EM_NE, EM_LT, EM_LE, EM_GT, EM_GE, EM_LOGICAL_AND, EM_LOGICAL_OR, EM_LOGICAL_XOR
};

/* ---- reductions ---- */
enum em_reduce_op {
    EM_RSUM, EM_RPROD, EM_RMAX, EM_RMIN, EM_RALL, EM_RANY, EM_RNANSUM
};

enum em_scan_op { EM_CUMSUM, EM_CUMPROD, EM_CUMMAX, EM_CUMMIN, EM_LOGCUMSUMEXP };

/* elementwise.c */
int em_copy(int src_dtype, int dst_dtype, int ndim, const int64_t *shape,
            const void *src, const int64_t *src_strides, void *dst, const int64_t *dst_strides);
int em_fill(int dtype, int ndim, const int64_t *shape, void *dst, const int64_t *dst_strides,
            double value, int64_t ivalue);
int em_unary(int op, int dtype, int ndim, const int64_t *shape,
             const void *x, const int64_t *x_strides, void *y, const int64_t *y_strides,
             double p0, double p1, double p2);
int em_pred(int op, int dtype, int ndim, const int64_t *shape,
            const void *x, const int64_t *x_strides, void *y, const int64_t *y_strides);
int em_binary(int op, int dtype, int ndim, const int64_t *shape,
              const void *a, const int64_t *a_strides, const void *b, const int64_t *b_strides,
              void *y, const int64_t *y_strides, double alpha);
int em_compare(int op, int dtype, int ndim, const int64_t *shape,
               const void *a, const int64_t *a_strides, const void *b, const int64_t *b_strides,
               void *y, const int64_t *y_strides);
int em_where(int dtype, int ndim, const int64_t *shape,
             const void *cond, const int64_t *c_strides, const void *a, const int64_t *a_strides,
             const void *b, const int64_t *b_strides, void *y, const int64_t *y_strides);

/* reduce.c: x is viewed as [outer dims | reduced dims]; y has the outer dims only.
 * y has x's dtype, except EM_RALL/EM_RANY, which write bool. */
int em_reduce(int op, int dtype, int n_outer, const int64_t *outer_shape,
              const int64_t *x_outer_strides, const int64_t *y_strides,
              int n_red, const int64_t *red_shape, const int64_t *x_red_strides,
              const void *x, void *y, double p0);
/* max/min with their index along one dim; values and indices are contiguous. */
int em_arg_reduce(int want_max, int dtype, int n_outer, const int64_t *outer_shape,
                  const int64_t *x_outer_strides, int64_t n_red, int64_t red_stride,
                  const void *x, void *values, int64_t *indices);
/* rows: `rows` contiguous rows of length n; y rows contiguous too. */
int em_scan(int op, int dtype, int64_t rows, int64_t n, const void *x, void *y,
            int64_t *indices);

/* sort.c: rows contiguous; stable merge sort, NaN sorts as the largest value. */
int em_sort(int dtype, int64_t rows, int64_t n, int descending,
            const void *x, void *values, int64_t *indices);
/* sort.c: insertion points of `rows` contiguous rows of m values into contiguous sorted
 * rows of n elements (seq_rows is rows, or 1 for one shared sequence); out is int64. */
int em_searchsorted(int dtype, const void *seq, int64_t seq_rows, int64_t n,
                    const void *values, int64_t rows, int64_t m, int right, int64_t *out);

/* index.c: gather/scatter through precomputed element offsets into a storage of
 * `storage_numel` elements; every offset is checked against that bound. */
int em_take(int dtype, const void *base, int64_t storage_numel,
            const int64_t *offsets, int64_t n, void *out);
int em_put(int dtype, void *base, int64_t storage_numel, const int64_t *offsets, int64_t n,
           const void *values, int accumulate);
int em_check_index(const int64_t *idx, int64_t n, int64_t size, int64_t *bad);
/* base[offsets[i]] = base[offsets[i]] (op) values[i] in order; op: 0 product, 1 max, 2 min
 * (NaN wins max and min) */
int em_scatter_reduce(int dtype, int op, void *base, int64_t storage_numel,
                      const int64_t *offsets, int64_t n, const void *values);

/* random.c: Philox4x32-10; `counter` is the generator offset, advanced by the caller. */
int em_random_uniform(int dtype, void *out, int64_t n, uint64_t seed, uint64_t counter,
                      double low, double high);
int em_random_normal(int dtype, void *out, int64_t n, uint64_t seed, uint64_t counter,
                     double mean, double std);
int em_random_bits(uint64_t *out, int64_t n, uint64_t seed, uint64_t counter);
/* gamma / Poisson samples of n contiguous float32/float64 parameters (alpha, rate) into
 * out of the same dtype; element i draws from Philox counter `counter + i` only (the
 * caller reserves n counters). em_standard_gamma_grad: d sample / d alpha (implicit
 * reparameterization) for samples x of Gamma(alpha, 1). */
int em_random_gamma(int dtype, const void *param, void *out, int64_t n, uint64_t seed,
                    uint64_t counter);
int em_random_poisson(int dtype, const void *param, void *out, int64_t n, uint64_t seed,
                      uint64_t counter);
int em_standard_gamma_grad(int dtype, const void *alpha, const void *x, void *out, int64_t n);
/* binomial samples of n contiguous (count, prob) pairs of out's float dtype, laid out on
 * the Philox stream as em_random_gamma */
int em_random_binomial(int dtype, const void *count, const void *prob, void *out, int64_t n,
                       uint64_t seed, uint64_t counter);

/* special.c: the regularized incomplete gamma P(a, x) (upper = 0) or Q(a, x) (upper = 1)
 * of n contiguous float32/float64 pairs. */
int em_igamma(int dtype, int upper, const void *a, const void *x, void *out, int64_t n);
/* torch.special's Bessel, Airy, Hurwitz zeta and orthogonal-polynomial functions of n
 * contiguous float32/float64 elements (computed in double). fn: the EM_SF_* codes of
 * ember/backends/em_special_math.h, in this order. unary: bessel_j0, bessel_j1, bessel_y0,
 * bessel_y1, modified_bessel_k0, modified_bessel_k1, scaled_modified_bessel_k0,
 * scaled_modified_bessel_k1, spherical_bessel_j0, airy_ai. binary (x, y): zeta(x, q = y),
 * then the polynomials of x with degree y: chebyshev t, u, v, w, shifted chebyshev t, u,
 * v, w, hermite h, hermite he, laguerre l, legendre p. */
int em_special_unary(int fn, int dtype, const void *x, void *out, int64_t n);
int em_special_binary(int fn, int dtype, const void *x, const void *y, void *out, int64_t n);

/* optim.c: fused optimizer steps over n contiguous elements (float32/float64; every state
 * buffer has the param's dtype). Each follows torch's single-tensor update op by op.
 * sgd: buf may be NULL when momentum == 0; init_buf copies the first (decayed) grad into it.
 * adam: step is the already-incremented step count; max_exp_avg_sq NULL unless amsgrad;
 * decoupled selects AdamW's weight decay. rmsprop: grad_avg NULL unless centered,
 * momentum_buf NULL unless momentum > 0. adagrad: clr is the decayed learning rate. */
int em_sgd_step(int dtype, int64_t n, void *param, const void *grad, void *buf, double lr,
                double weight_decay, double momentum, double dampening, int nesterov,
                int maximize, int init_buf);
int em_adam_step(int dtype, int64_t n, void *param, const void *grad, void *exp_avg,
                 void *exp_avg_sq, void *max_exp_avg_sq, double lr, double beta1, double beta2,
                 double eps, double weight_decay, int decoupled, int maximize, double step);
int em_rmsprop_step(int dtype, int64_t n, void *param, const void *grad, void *square_avg,
                    void *grad_avg, void *momentum_buf, double lr, double alpha, double eps,
                    double weight_decay, double momentum, int maximize);
int em_adagrad_step(int dtype, int64_t n, void *param, const void *grad, void *sum, double clr,
                    double weight_decay, double eps, int maximize);

/* ---- nn kernels: float32 and float64 (callers cast other dtypes), contiguous operands ---- */

/* conv.c: x (N, C, H, W) <-> cols (C*KH*KW, N, OH*OW); col2im overwrites x with the sum. */
int em_im2col(int dtype, const void *x, int64_t N, int64_t C, int64_t H, int64_t W, int64_t KH,
              int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
              int64_t dw, int64_t OH, int64_t OW, void *cols);
int em_col2im(int dtype, const void *cols, int64_t N, int64_t C, int64_t H, int64_t W,
              int64_t KH, int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
              int64_t dh, int64_t dw, int64_t OH, int64_t OW, void *x);
/* conv.c: a whole convolution (x (N, C, H, W), w (OC, C/groups*KH*KW), y (N, OC, OH, OW),
 * all contiguous) with the columns built one sample at a time, each thread in its own
 * slice of scratch (slices x C*KH*KW x OH*OW); mode 0 writes y = conv(x, w), mode 1 x = the
 * input gradient of y, mode 2 w = the weight gradient of y against x through partial
 * (slices x C*KH*KW x OC/groups). Needs em_gemm_use_blas first. */
int em_conv2d_per_sample(int mode, int dtype, void *x, void *w, void *y, int64_t N, int64_t C,
                         int64_t H, int64_t W, int64_t OC, int64_t groups, int64_t KH,
                         int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                         int64_t dw, int64_t OH, int64_t OW, void *scratch, int slices,
                         void *partial);
/* winograd.c: y (N, OC, OH, OW) = a 3x3, stride-1 float32 convolution of x (N, C, H, W) with
 * w (OC, C, 3, 3), or with adjoint set, with w read as (C, OC, 3, 3) flipped (the input
 * gradient of a convolution by w); padding 0..2; all contiguous. Tiles run in blocks of
 * `block`; scratch holds 16*OC*C + slices*(16*(C*block+16) + 16*(OC*block+16) +
 * 8*((OW+1)/2+1)) floats. Needs em_gemm_use_blas first. */
int em_conv2d_winograd(const void *x, const void *w, void *y, int64_t N, int64_t C,
                       int64_t H, int64_t W, int64_t OC, int64_t ph, int64_t pw, int64_t OH,
                       int64_t OW, int adjoint, int64_t block, void *scratch,
                       int64_t scratch_len, int slices);
/* conv.c: y (N, OC, OH, OW) = the stride-1 convolution of x (N, C, H, W) by w (OC, C, KH, KW)
 * computed directly, for layers with few channels; with adjoint, w is read as (C, OC, KH,
 * KW) flipped (y is then the input gradient of a convolution by w). float32 or float64, all
 * contiguous. scratch holds slices * (C*(H+2ph)*(W+2pw) + 16) values, plus OC*C*KH*KW with
 * adjoint. */
int em_conv2d_direct(int dtype, const void *x, const void *w, void *y, int64_t N, int64_t C,
                     int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW, int64_t ph,
                     int64_t pw, int64_t dh, int64_t dw, int64_t OH, int64_t OW, int adjoint,
                     void *scratch, int64_t scratch_len, int slices);
/* conv.c: gw (OC, C, KH, KW) = the weight gradient of a stride-1 convolution of x (N, C, H, W)
 * with output gradient g (N, OC, OH, OW), computed directly; KW <= 7. float32 or float64,
 * all contiguous. scratch holds N*C*(H+2ph)*(W+2pw) + 16 + N*OC*OH*OWp values, OWp being OW
 * rounded up to a multiple of 16. */
int em_conv2d_direct_wgrad(int dtype, const void *x, const void *g, void *gw, int64_t N,
                           int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                           int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t OH,
                           int64_t OW, void *scratch, int64_t scratch_len, int slices);
/* conv.c: depthwise 2-d convolution (groups == C, one filter per channel), no im2col.
 * mode 0: out = y (N, C, OH, OW) from a = x (N, C, H, W), b = w (C, 1, KH, KW);
 * mode 1: out = gx (N, C, H, W) from a = g (N, C, OH, OW), b = w;
 * mode 2: out = gw (C, 1, KH, KW) from a = x, b = g. All contiguous. */
int em_depthwise_conv2d(int mode, int dtype, const void *a, const void *b, int64_t N, int64_t C,
                        int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t sh, int64_t sw,
                        int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t OH, int64_t OW,
                        void *out);

/* rnn.c: an LSTM layer's recurrence over T steps, all buffers contiguous, float32 or
 * float64; W_hh is (4H, H) and the gate order i, f, g, o. Steps run from T-1 down when
 * reverse. Needs em_gemm_use_blas first.
 * forward: from xp (T, B, 4H), each step's input projection x W_ih^T + b, and h0, c0
 * (B, H): acts (T, B, 4H) gets each step's gate activations, cs, tcs, hs (T, B, H) its c,
 * tanh(c) and h.
 * backward: from the forward's acts, cs, tcs and c0, the outputs' gradient d_hs (T, B, H; or
 * NULL for none) and dh, dc (B, H), the gradients of the last h and c (overwritten with
 * those of h0 and c0): d_gates (T, B, 4H), the gradient of every step's pre-activations. */
int em_lstm_forward(int dtype, int64_t T, int64_t B, int64_t H, int reverse, const void *w_hh,
                    const void *h0, const void *c0, const void *xp, void *acts, void *cs,
                    void *tcs, void *hs);
int em_lstm_backward(int dtype, int64_t T, int64_t B, int64_t H, int reverse, const void *w_hh,
                     const void *c0, const void *acts, const void *cs, const void *tcs,
                     const void *d_hs, void *dh, void *dc, void *d_gates);
/* rnn.c: a GRU layer's recurrence, the same way; W_hh is (3H, H), b_hh (3H) and the gate
 * order r, z, n.
 * forward: from xp (T, B, 3H), each step's input projection x W_ih^T + b_ih, and h0 (B, H):
 * acts (T, B, 3H) gets r, z and h_prev W_hn^T + b_hn of each step, ns and hs (T, B, H) its n
 * and h.
 * backward: from those, h0, the outputs' gradient d_hs (T, B, H; or NULL) and dh (B, H),
 * the last h's gradient (overwritten with h0's): dhp (T, B, 3H), the gradient of every
 * step's h_prev W_hh^T + b_hh, and dxp (T, B, 3H), that of its input projection. */
int em_gru_forward(int dtype, int64_t T, int64_t B, int64_t H, int reverse, const void *w_hh,
                   const void *b_hh, const void *h0, const void *xp, void *acts, void *ns,
                   void *hs);
int em_gru_backward(int dtype, int64_t T, int64_t B, int64_t H, int reverse, const void *w_hh,
                    const void *h0, const void *acts, const void *ns, const void *hs,
                    const void *d_hs, void *dh, void *dhp, void *dxp);

/* pool.c: planes of (H, W); indices are flat positions within a plane. */
int em_max_pool2d(int dtype, const void *x, int64_t planes, int64_t H, int64_t W, int64_t KH,
                  int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                  int64_t dw, int64_t OH, int64_t OW, void *y, int64_t *idx);
int em_max_pool_backward(int dtype, const void *gy, const int64_t *idx, int64_t planes,
                         int64_t in_size, int64_t out_size, void *gx);
int em_gather_planes(int dtype, const void *x, const int64_t *idx, int64_t planes,
                     int64_t in_size, int64_t out_size, void *y);
/* backward = 0: y = avg_pool(x); backward = 1: x = avg_pool's adjoint applied to y. */
int em_avg_pool2d(int backward, int dtype, void *x, int64_t planes, int64_t H, int64_t W,
                  int64_t KH, int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                  int count_include_pad, int64_t divisor_override, int64_t OH, int64_t OW,
                  void *y);
/* mode 0: average, 1: max (idx), 2: average backward (x = adjoint applied to y). */
int em_adaptive_pool2d(int mode, int dtype, void *x, int64_t planes, int64_t H, int64_t W,
                       int64_t OH, int64_t OW, void *y, int64_t *idx);

/* softmax.c: x, y contiguous (outer, n, inner), along n. */
int em_softmax(int is_log, int dtype, const void *x, int64_t outer, int64_t n, int64_t inner,
               void *y);
int em_softmax_backward(int is_log, int dtype, const void *y, const void *gy, int64_t outer,
                        int64_t n, int64_t inner, void *gx);

/* loss.c: logits (B, K), int64 targets (B), optional class weights (K); lse is (B, 2):
 * per row the max and the log-sum-exp of x - max, written forward, read backward. */
int em_cross_entropy(int dtype, const void *x, const int64_t *target, const void *weight,
                     int64_t B, int64_t K, int64_t ignore_index, double label_smoothing,
                     void *loss, void *lse);
int em_cross_entropy_backward(int dtype, const void *x, const void *lse, const int64_t *target,
                              const void *weight, const void *grad, int64_t B, int64_t K,
                              int64_t ignore_index, double label_smoothing, void *gx);

/* norm.c: layer norm over rows (M, N); batch norm over (N, C, L) per channel. */
int em_layer_norm(int dtype, const void *x, const void *w, const void *b, int64_t M, int64_t N,
                  double eps, void *y, void *mean, void *rstd);
int em_layer_norm_backward(int dtype, const void *x, const void *gy, const void *w,
                           const void *mean, const void *rstd, int64_t M, int64_t N, void *gx,
                           void *gw, void *gb);
int em_batch_norm_stats(int dtype, const void *x, int64_t N, int64_t C, int64_t L, double eps,
                        double momentum, void *mean, void *var, void *invstd,
                        void *running_mean, void *running_var);
int em_batch_norm_apply(int dtype, const void *x, const void *mean, const void *invstd,
                        const void *w, const void *b, int64_t N, int64_t C, int64_t L, void *y);
int em_batch_norm_backward(int dtype, const void *x, const void *gy, const void *mean,
                           const void *invstd, const void *w, int training, int64_t N,
                           int64_t C, int64_t L, void *gx, void *gw, void *gb);

/* fft.c: DFTs of `rows` contiguous rows, transform length n, in float (EM_F32) or double
 * (EM_F64) components. Input rows hold in_len values: complex pairs (in_kind 0), reals
 * (1), or the first half of a Hermitian spectrum (2, extended to n by symmetry); they are
 * zero-padded or trimmed to n. Output rows hold out_len values of the result, complex
 * pairs or (out_real) real parts, zero beyond n. inverse picks exp(+2 pi i k t / n);
 * every output is multiplied by scale. */
int em_fft(int dtype, int64_t rows, int64_t n, const void *in, int64_t in_len, int in_kind,
           void *out, int64_t out_len, int out_real, int inverse, double scale);

/* linalg.c: dense linear algebra over `batch` contiguous row-major matrices, float32 and
 * float64. info (one per matrix) is 0 or LAPACK's 1-based index of the failure.
 * lu_factor: a (n x n) = P L U in place, piv[j] the row swapped with row j (getrf; info:
 * first exactly zero pivot). lu_solve: b (n x k) = A^-1 b from those factors. lu_det: any
 * of det, sign, logabsdet (batch values each) may be NULL. cholesky: a's lower triangle
 * becomes L (the upper zeroed; info: first leading minor not positive definite).
 * triangular_solve: b (n x k) = T^-1 b for a's lower or upper triangle T (unit: ones on
 * its diagonal). lstsq: a (m x n, destroyed), b (max(m, n) x k: the right-hand side in
 * the first m rows, the solution comes back in the first n); pivot 0 is gels (full rank,
 * info: zero diagonal of R), 1 a column-pivoted QR whose rank is rank_in (may be NULL, or
 * -1 per matrix) or the count of |R_ii| > rcond |R_00|, finished as the minimum-norm
 * solution (gelsy); residuals (batch x k, may be NULL): ||Q^T b [n:m]||^2 when m > n and
 * the rank is n. svdvals: singular values, descending, of a (p x q, p <= q, destroyed)
 * into s (batch x p). lu_factor_rect: lu_factor of an m x n a (piv: min(m, n) per matrix).
 * svd: a (p x q, p <= q, destroyed) = u diag(s) vt[:p], s descending (batch x p), u
 * (p x p) orthogonal, vt (vrows x q, p <= vrows <= q) orthonormal rows, those past p (or
 * past a zero singular value) completing the basis. eigh: eigenvalues ascending (batch x
 * n) of the symmetric matrices whose lower triangles a (n x n, destroyed) holds; v (may be
 * NULL): eigenvectors as its columns. qr: a (m x n) = Q R in place as geqrf (R on and above
 * the diagonal, reflectors below, tau: batch x min(m, n)); q (may be NULL): the first
 * qcols (min(m, n) <= qcols <= m) columns of Q, m x qcols per matrix. */
int em_lu_factor(int dtype, int64_t batch, int64_t n, void *a, int64_t *piv, int64_t *info);
int em_lu_factor_rect(int dtype, int64_t batch, int64_t m, int64_t n, void *a, int64_t *piv,
                      int64_t *info);
int em_lu_solve(int dtype, int64_t batch, int64_t n, int64_t k, const void *lu,
                const int64_t *piv, void *b);
int em_lu_det(int dtype, int64_t batch, int64_t n, const void *lu, const int64_t *piv,
              void *det, void *sign, void *logabsdet);
int em_cholesky(int dtype, int64_t batch, int64_t n, void *a, int64_t *info);
int em_triangular_solve(int dtype, int64_t batch, int64_t n, int64_t k, const void *a,
                        void *b, int upper, int unit);
int em_lstsq(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k, void *a, void *b,
             double rcond, int pivot, const int64_t *rank_in, int64_t *rank, void *residuals,
             int64_t *info);
int em_svdvals(int dtype, int64_t batch, int64_t p, int64_t q, void *a, void *s);
int em_svd(int dtype, int64_t batch, int64_t p, int64_t q, void *a, void *s, void *u, void *vt,
           int64_t vrows);
int em_eigh(int dtype, int64_t batch, int64_t n, void *a, void *w, void *v);
int em_qr(int dtype, int64_t batch, int64_t m, int64_t n, void *a, void *tau, void *q,
          int64_t qcols);
/* Q's first n columns (orgqr) from em_qr's reflectors a (m x n, m >= n) and k <= n taus;
 * and op(Q) c or c op(Q) (ormqr) for the reflectors in a (rows x acols, rows = cm when
 * left, else cn), op(Q) = Q^T with trans. */
int em_orgqr(int dtype, int64_t batch, int64_t m, int64_t n, int64_t k, const void *a,
             const void *tau, void *q);
int em_ormqr(int dtype, int64_t batch, int64_t rows, int64_t acols, int64_t k, const void *a,
             const void *tau, void *c, int64_t cm, int64_t cn, int left, int trans);

/* eig.c: eigenvalues w (batch, n) and, unless v is NULL, right eigenvectors v (batch, n, n;
 * columns, unit 2-norm) of the real matrices a (batch, n, n, read only), both interleaved
 * complex of a's precision; info (batch): 0, or nonzero where the QR iteration did not
 * converge (that matrix's v is then NaN). */
int em_eig(int dtype, int64_t batch, int64_t n, const void *a, void *w, void *v, int64_t *info);

/* upsample.c: (bi)linear interpolation of x (P, H, W) to y (P, OH, OW), both contiguous.
 * h_idx holds each output row's two source rows (2*OH entries, in [0, H)) and h_lambda the
 * second one's weight (OH entries, in the tensor's dtype); w_idx/w_lambda the same for the
 * columns. mode 0 writes y from x; mode 1, the adjoint, writes x from y (x overwritten). */
int em_upsample_linear(int mode, int dtype, void *x, void *y, int64_t P, int64_t H, int64_t W,
                       int64_t OH, int64_t OW, const int64_t *h_idx, const void *h_lambda,
                       const int64_t *w_idx, const void *w_lambda);
/* upsample.c: a separable filter of KH (KW) consecutive taps per output row (column):
 * output row oh reads input rows h_start[oh] .. + KH - 1 with weights h_weights (OH x KH),
 * and likewise for columns. tmp is scratch of (P, H, OW). Modes as em_upsample_linear. */
int em_resample_taps(int mode, int dtype, void *x, void *y, void *tmp, int64_t P, int64_t H,
                     int64_t W, int64_t OH, int64_t OW, const int64_t *h_start, int64_t KH,
                     const void *h_weights, const int64_t *w_start, int64_t KW,
                     const void *w_weights);

/* gemm.c: matrix products through the BLAS NumPy loaded. em_gemm_use_blas takes its
 * ILP64 cblas_sgemm and cblas_dgemm once. em_gemm: c = a @ b for float32 or float64 over
 * ndim - 3 broadcast batch dims; shape is (batch..., n, k, m) and each strides array has
 * the operand's batch strides (0 where broadcast), then its row and column strides. Each
 * matrix needs unit stride along one dim and c along its rows (EINVAL otherwise). */
typedef void (*em_sgemm_fn)(int order, int trans_a, int trans_b, int64_t n, int64_t m,
                            int64_t k, float alpha, const float *a, int64_t lda,
                            const float *b, int64_t ldb, float beta, float *c, int64_t ldc);
typedef void (*em_dgemm_fn)(int order, int trans_a, int trans_b, int64_t n, int64_t m,
                            int64_t k, double alpha, const double *a, int64_t lda,
                            const double *b, int64_t ldb, double beta, double *c,
                            int64_t ldc);
int em_gemm_use_blas(em_sgemm_fn sgemm, em_dgemm_fn dgemm);
int em_gemm(int dtype, int ndim, const int64_t *shape, const void *a, const int64_t *a_strides,
            const void *b, const int64_t *b_strides, void *c, const int64_t *c_strides);

/* threads */
int em_get_num_threads(void);
void em_set_num_threads(int n);
int em_set_flush_denormal(int on);
#endif
