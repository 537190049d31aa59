/* Instantiates the template file named by EM_TEMPLATE once per dtype.
 * Usage: #define EM_TEMPLATE "templates/x.inc" then #include "templates/all_dtypes.h" */
#define EM_T EMT_F32
#include EM_TEMPLATE
#define EM_T EMT_F64
#include EM_TEMPLATE
#define EM_T EMT_F16
#include EM_TEMPLATE
#define EM_T EMT_BF16
#include EM_TEMPLATE
#define EM_T EMT_I8
#include EM_TEMPLATE
#define EM_T EMT_I16
#include EM_TEMPLATE
#define EM_T EMT_I32
#include EM_TEMPLATE
#define EM_T EMT_I64
#include EM_TEMPLATE
#define EM_T EMT_U8
#include EM_TEMPLATE
#define EM_T EMT_BOOL
#include EM_TEMPLATE
#undef EM_TEMPLATE
