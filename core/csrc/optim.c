/* Fused optimizer steps (SGD, Adam/AdamW, RMSprop, Adagrad): one pass over a
 * parameter and its state instead of the five to eight tensor ops of the
 * unfused update. Per-dtype code in templates/optim.inc; float32 and float64. */

/* Contraction of a*b+c into an FMA would change float32 rounding relative to
 * torch's kernels; the template asks for fma() explicitly where torch does. */
#pragma GCC optimize("fp-contract=off")
#include "em_internal.h"

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
