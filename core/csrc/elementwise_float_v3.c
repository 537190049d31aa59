/* The floating-point kernels again, compiled for x86-64-v3 (AVX2, FMA, F16C).
 * elementwise.c calls them only when the CPU reports those features, so the library
 * still runs on any x86-64. */
#include "em_internal.h"
#if EM_HAVE_V3
#pragma GCC target("avx2,fma,f16c,bmi,bmi2,lzcnt,movbe,popcnt")
#define EM_ISA _v3
#include "em_scalar.h"

#define EM_T EMT_F32
#include "templates/elementwise.inc"
#define EM_T EMT_F64
#include "templates/elementwise.inc"
#define EM_T EMT_F16
#include "templates/elementwise.inc"
#define EM_T EMT_BF16
#include "templates/elementwise.inc"
#endif
