/* Floating-point instantiations of templates/elementwise.inc. */
#include "em_scalar.h"

#define EM_T EMT_F32
#include "templates/elementwise.inc"
#define EM_T EMT_F64
#include "templates/elementwise.inc"
#define EM_T EMT_F16
#include "templates/elementwise.inc"
#define EM_T EMT_BF16
#include "templates/elementwise.inc"
