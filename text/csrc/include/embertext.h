/* embertext.h: every C entry point of embertext._C.
 *
 * Plain C declarations only: _C_build.py feeds this file verbatim to cffi's cdef, so it
 * must stay free of preprocessor logic other than the #define constants below.
 *
 * Conventions: every function returns an int status (ET_OK or a negative ET_ERR_*), writes
 * results through out-pointers, and checks every length it is given (C never trusts its
 * caller with bounds). Output buffers come with a capacity; when it is too small the
 * function returns ET_ERR_CAPACITY and stores the size it needs in *n_out, so the caller
 * can grow the buffer and retry. Text is UTF-8; invalid UTF-8 gives ET_ERR_UTF8.
 */

#define ET_OK 0
#define ET_ERR_ARG -1
#define ET_ERR_NOMEM -2
#define ET_ERR_CAPACITY -3
#define ET_ERR_UTF8 -4
#define ET_ERR_RANGE -5
#define ET_ERR_DUPLICATE -6

/* Unicode class bits, one byte per code point (tables generated at build time). */
#define ET_U_LETTER 1
#define ET_U_NUMBER 2
#define ET_U_SPACE 4
#define ET_U_BERT_PUNCT 8
#define ET_U_OTHER 16
#define ET_U_MN 32
#define ET_U_CJK 64
#define ET_U_HAS_LOWER 128

/* The class bits of one code point; for tests and for Python-side scanners. */
int et_unicode_flags(uint32_t cp, uint8_t *out);

/* Simple (per code point, context free) lowercase of one code point: up to 3 code
 * points are written to out (capacity 3), their count to *n_out. */
int et_unicode_lower(uint32_t cp, uint32_t *out, size_t cap, size_t *n_out);

/* ---------------------------------------------------------------- GPT-2 pre-tokenizer */

/* Splits text with the semantics of GPT-2's pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * writing the end byte offset of each piece to ends (piece i spans
 * [ends[i-1], ends[i]), with ends[-1] taken as 0). */
int et_gpt2_split(const char *text, size_t len, int64_t *ends, size_t cap, size_t *n_out);

/* ---------------------------------------------------------------- byte-level BPE */

typedef struct et_bpe et_bpe;

/* Builds a BPE model from n tokens: token i is blob[offsets[i]:offsets[i+1]] (offsets
 * has n + 1 entries), with merge priority ranks[i] (lower merges first; -1 marks a token
 * that is only decoded, never produced by encoding, such as special tokens) and output
 * id ids[i] (0 <= id < 2**31). Every one of the 256 single bytes must be a token with
 * rank >= 0, so any input can be encoded. The blob is copied. */
int et_bpe_new(const char *blob, size_t blob_len, const int64_t *offsets, const int32_t *ranks,
               const int32_t *ids, size_t n, et_bpe **out);
void et_bpe_free(et_bpe *model);

/* Ordinary encoding (no special tokens): GPT-2 split, then the merge loop on each piece. */
int et_bpe_encode(const et_bpe *model, const char *text, size_t len, int32_t *out, size_t cap,
                  size_t *n_out);

/* Ordinary encoding of many texts in one call: text i is blob[text_ends[i-1]:text_ends[i]]
 * (text_ends[-1] taken as 0), encoded on its own; its ids end at out_ends[i] in out. */
int et_bpe_encode_many(const et_bpe *model, const char *blob, size_t blob_len,
                       const int64_t *text_ends, size_t n_texts, int32_t *out, size_t cap,
                       int64_t *out_ends, size_t *n_out);

/* Encodes one piece of raw bytes with the merge loop alone (no splitting). */
int et_bpe_encode_bytes(const et_bpe *model, const char *bytes, size_t len, int32_t *out,
                        size_t cap, size_t *n_out);

/* Concatenates the bytes of the tokens ids[0..n). Unknown ids give ET_ERR_RANGE with the
 * position of the first bad id in *n_out. */
int et_bpe_decode(const et_bpe *model, const int32_t *ids, size_t n, char *out, size_t cap,
                  size_t *n_out);

/* ---------------------------------------------------------------- WordPiece (BERT) */

typedef struct et_wordpiece et_wordpiece;

#define ET_WP_CLEAN_TEXT 1
#define ET_WP_CHINESE_CHARS 2
#define ET_WP_STRIP_ACCENTS 4
#define ET_WP_LOWERCASE 8

/* Builds a WordPiece model from n vocabulary entries laid out as in et_bpe_new, with
 * output ids ids[i]. unk_id is emitted for words that cannot be split; prefix marks
 * word-continuing pieces ("##"); words longer than max_chars code points become unk.
 * flags is an OR of ET_WP_*. Accent stripping only removes non-spacing marks: the caller
 * applies NFD first. */
int et_wordpiece_new(const char *blob, size_t blob_len, const int64_t *offsets,
                     const int32_t *ids, size_t n, int32_t unk_id, const char *prefix,
                     size_t prefix_len, int64_t max_chars, int flags, et_wordpiece **out);
void et_wordpiece_free(et_wordpiece *model);

/* BERT normalisation, pre-tokenisation and greedy longest-match-first WordPiece. */
int et_wordpiece_encode(const et_wordpiece *model, const char *text, size_t len, int32_t *out,
                        size_t cap, size_t *n_out);

/* Many texts in one call, laid out as for et_bpe_encode_many. */
int et_wordpiece_encode_many(const et_wordpiece *model, const char *blob, size_t blob_len,
                             const int64_t *text_ends, size_t n_texts, int32_t *out, size_t cap,
                             int64_t *out_ends, size_t *n_out);
