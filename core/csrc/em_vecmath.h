/* Vector variants of libm functions (glibc's libmvec): declaring them `omp declare
 * simd` lets the compiler call the 4/8-lane versions in vectorized loops instead of
 * one scalar call per element (exp, erf, tanh, ... on 16M floats: several times
 * faster). libm.so pulls libmvec in as needed. Other C libraries keep scalar calls. */
#ifndef EM_VECMATH_H
#define EM_VECMATH_H
#include <math.h>

#if defined(__GLIBC__) && defined(__x86_64__) && !defined(__clang__)
#define EM_DECLARE_SIMD(name)                 \
    _Pragma("omp declare simd notinbranch")   \
    float name##f(float);                     \
    _Pragma("omp declare simd notinbranch")   \
    double (name)(double); /* parenthesised: tgmath.h defines name as a macro */
#define EM_DECLARE_SIMD2(name)                \
    _Pragma("omp declare simd notinbranch")   \
    float name##f(float, float);              \
    _Pragma("omp declare simd notinbranch")   \
    double (name)(double, double);

#if __GLIBC__ > 2 || __GLIBC_MINOR__ >= 22
EM_DECLARE_SIMD(exp)
EM_DECLARE_SIMD(log)
EM_DECLARE_SIMD(sin)
EM_DECLARE_SIMD(cos)
EM_DECLARE_SIMD2(pow)
#endif
#if __GLIBC__ > 2 || __GLIBC_MINOR__ >= 35
EM_DECLARE_SIMD(exp2)
EM_DECLARE_SIMD(expm1)
EM_DECLARE_SIMD(log2)
EM_DECLARE_SIMD(log10)
EM_DECLARE_SIMD(log1p)
EM_DECLARE_SIMD(tan)
EM_DECLARE_SIMD(asin)
EM_DECLARE_SIMD(acos)
EM_DECLARE_SIMD(atan)
EM_DECLARE_SIMD(sinh)
EM_DECLARE_SIMD(cosh)
EM_DECLARE_SIMD(tanh)
EM_DECLARE_SIMD(asinh)
EM_DECLARE_SIMD(acosh)
EM_DECLARE_SIMD(atanh)
EM_DECLARE_SIMD(erf)
EM_DECLARE_SIMD(erfc)
EM_DECLARE_SIMD2(atan2)
EM_DECLARE_SIMD2(hypot)
#endif
#undef EM_DECLARE_SIMD
#undef EM_DECLARE_SIMD2
#endif
#endif
