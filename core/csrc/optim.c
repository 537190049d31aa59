/* Fused optimizer steps (SGD, Adam/AdamW, RMSprop, Adagrad): one pass over a
 * parameter and its state instead of the five to eight tensor ops of the
 * unfused update. Per-dtype code in templates/optim.inc; float32 and float64. */

/* Contraction of a*b+c into an FMA would change float32 rounding relative to
 * torch's kernels; the template asks for fma() explicitly where torch does. */
#pragma GCC optimize("fp-contract=off")
#include "em_internal.h"

/* target_clones("arch=haswell") dispatches on the CPU model, so AMD and newer Intel
 * CPUs run the baseline copy (measured: 15x slower Adam here, on an AMD EPYC);
 * "arch=x86-64-v3" dispatches on the AVX2/FMA feature level instead. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && \
    !defined(EM_NO_CLONES)
#undef EM_HOT
#define EM_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif

/* Runs CALL over [lo_, hi_): split across the OpenMP team above the threshold. */
#ifdef _OPENMP
#define EM_CHUNKED(n, CALL)                                                 \
    do {                                                                  \
        if ((n) > EM_PAR_THRESHOLD) {                                     \
            EM_PRAGMA(omp parallel)                                       \
            {                                                             \
                int64_t nt_ = omp_get_num_threads(), t_ = omp_get_thread_num(); \
                int64_t lo_ = (n) * t_ / nt_, hi_ = (n) * (t_ + 1) / nt_; \
                CALL;                                                     \
            }                                                             \
        } else {                                                          \
            int64_t lo_ = 0, hi_ = (n);                                   \
            CALL;                                                         \
        }                                                                 \
    } while (0)
#else
#define EM_CHUNKED(n, CALL) do { int64_t lo_ = 0, hi_ = (n); CALL; } while (0)
#endif

#define EM_T EMT_F32
#include "templates/optim.inc"
#define EM_T EMT_F64
#include "templates/optim.inc"

#define EM_OPTIM_SWITCH(dtype, name, ...)                       \
    switch (dtype) {                                            \
    case EM_F32: return name##_f32(__VA_ARGS__);                \
    case EM_F64: return name##_f64(__VA_ARGS__);                \
    default: return EM_EDTYPE;                                  \
    }

int em_sgd_step(int dtype, int64_t n, void *param, const void *grad, void *buf, double lr,
                double weight_decay, double momentum, double dampening, int nesterov,
                int maximize, int init_buf) {
    if (n < 0 || !param || !grad || (momentum != 0 && !buf)) return EM_EINVAL;
    EM_OPTIM_SWITCH(dtype, emk_sgd, n, param, grad, buf, lr, weight_decay, momentum, dampening,
                    nesterov, maximize, init_buf)
}

int em_adam_step(int dtype, int64_t n, void *param, const void *grad, void *exp_avg,
                 void *exp_avg_sq, void *max_exp_avg_sq, double lr, double beta1, double beta2,
                 double eps, double weight_decay, int decoupled, int maximize, double step) {
    if (n < 0 || !param || !grad || !exp_avg || !exp_avg_sq || step < 1) return EM_EINVAL;
    EM_OPTIM_SWITCH(dtype, emk_adam, n, param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr,
                    beta1, beta2, eps, weight_decay, decoupled, maximize, step)
}

int em_rmsprop_step(int dtype, int64_t n, void *param, const void *grad, void *square_avg,
                    void *grad_avg, void *momentum_buf, double lr, double alpha, double eps,
                    double weight_decay, double momentum, int maximize) {
    if (n < 0 || !param || !grad || !square_avg || (momentum > 0 && !momentum_buf))
        return EM_EINVAL;
    EM_OPTIM_SWITCH(dtype, emk_rmsprop, n, param, grad, square_avg, grad_avg,
                    momentum > 0 ? momentum_buf : NULL, lr, alpha, eps, weight_decay, momentum,
                    maximize)
}

int em_adagrad_step(int dtype, int64_t n, void *param, const void *grad, void *sum, double clr,
                    double weight_decay, double eps, int maximize) {
    if (n < 0 || !param || !grad || !sum) return EM_EINVAL;
    EM_OPTIM_SWITCH(dtype, emk_adagrad, n, param, grad, sum, clr, weight_decay, eps, maximize)
}
