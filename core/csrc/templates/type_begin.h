/* Defines the dtype parameters of a template file for the dtype EM_T:
 *   S      storage type          C      compute type
 *   LOAD   storage -> compute    STORE  compute -> storage
 *   FN(x)  x with a dtype suffix, naming this instantiation
 * type_end.h undefines them again. */
#define EM_CAT_(a, b) a##b
#define EM_CAT(a, b) EM_CAT_(a, b)
#if EM_T == EMT_F32
#define S float
#define C float
#define SFX _f32
#elif EM_T == EMT_F64
#define S double
#define C double
#define SFX _f64
#elif EM_T == EMT_F16
#define S em_f16
#define C float
#define SFX _f16
#elif EM_T == EMT_BF16
#define S em_bf16
#define C float
#define SFX _bf16
#elif EM_T == EMT_I8
#define S int8_t
#define C int64_t
#define SFX _i8
#elif EM_T == EMT_I16
#define S int16_t
#define C int64_t
#define SFX _i16
#elif EM_T == EMT_I32
#define S int32_t
#define C int64_t
#define SFX _i32
#elif EM_T == EMT_I64
#define S int64_t
#define C int64_t
#define SFX _i64
#elif EM_T == EMT_U8
#define S uint8_t
#define C int64_t
#define SFX _u8
#elif EM_T == EMT_BOOL
#define S em_bool
#define C int64_t
#define SFX _bool
#endif
#if EM_T == EMT_BF16
#define LOAD(v) em_bf16_load(v)
#define STORE(v) em_bf16_store(v)
#elif EM_T == EMT_BOOL
#define LOAD(v) ((int64_t)((v) != 0))
#define STORE(v) ((em_bool)((v) != 0))
#else
#define LOAD(v) ((C)(v))
#define STORE(v) ((S)(v))
#endif
/* EM_ISA names a second build of a template for another instruction set */
#ifdef EM_ISA
#define FN(x) EM_CAT(EM_CAT(x, SFX), EM_ISA)
#else
#define FN(x) EM_CAT(x, SFX)
#endif
#define K(x) ((C)(x))
#if EM_T <= EMT_BF16
#define IS_FLOAT 1
#else
#define IS_FLOAT 0
#endif
