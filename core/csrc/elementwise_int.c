/* Integer loops are memory-bound; -O2 halves this file's build time at no measured cost. */
#pragma GCC optimize("O2")
/* Integer and bool instantiations of templates/elementwise.inc. */
#include "em_scalar.h"

#define EM_T EMT_I8
#include "templates/elementwise.inc"
#define EM_T EMT_I16
#include "templates/elementwise.inc"
#define EM_T EMT_I32
#include "templates/elementwise.inc"
#define EM_T EMT_I64
#include "templates/elementwise.inc"
#define EM_T EMT_U8
#include "templates/elementwise.inc"
#define EM_T EMT_BOOL
#include "templates/elementwise.inc"
