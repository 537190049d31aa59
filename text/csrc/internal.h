/* internal.h: helpers shared by the C files of embertext._C (not part of the cffi API). */
#ifndef EMBERTEXT_INTERNAL_H
#define EMBERTEXT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "embertext.h"

/* ---- Unicode tables, generated at build time (tools/gen_unicode.py) ---- */
extern const uint16_t et_ustage1[];
extern const uint8_t et_ustage2[];
extern const uint32_t et_lower_keys[];
extern const uint32_t et_lower_vals[];
extern const uint8_t et_lower_lens[];
extern const size_t et_lower_count;

static inline uint8_t et_uflags(uint32_t cp) {
    if (cp >= 0x110000) return 0;
    return et_ustage2[((size_t)et_ustage1[cp >> 8] << 8) | (cp & 0xFF)];
}

/* Decodes one UTF-8 code point at s[i] (i < len). Returns its byte length, or 0 when the
 * bytes are not well-formed UTF-8 (overlong forms, surrogates and values past U+10FFFF are
 * rejected). */
static inline size_t et_utf8_decode(const uint8_t *s, size_t len, size_t i, uint32_t *cp) {
    uint8_t b0 = s[i];
    if (b0 < 0x80) { *cp = b0; return 1; }
    size_t n;
    uint32_t c, min;
    if ((b0 & 0xE0) == 0xC0) { n = 2; c = b0 & 0x1F; min = 0x80; }
    else if ((b0 & 0xF0) == 0xE0) { n = 3; c = b0 & 0x0F; min = 0x800; }
    else if ((b0 & 0xF8) == 0xF0) { n = 4; c = b0 & 0x07; min = 0x10000; }
    else return 0;
    if (len - i < n) return 0;
    for (size_t k = 1; k < n; k++) {
        uint8_t b = s[i + k];
        if ((b & 0xC0) != 0x80) return 0;
        c = (c << 6) | (b & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return n;
}

/* Encodes cp (a valid scalar value) as UTF-8 into out (room for 4 bytes); returns the
 * byte count. */
static inline size_t et_utf8_encode(uint32_t cp, uint8_t *out) {
    if (cp < 0x80) { out[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6)); out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12)); out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18)); out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- byte-string hash table (open addressing, linear probing) ---- */
typedef struct {
    uint64_t hash;
    uint32_t off;   /* key = blob[off : off + len] */
    uint32_t len;   /* ET_SLOT_EMPTY marks a free slot */
    int32_t rank;
    int32_t id;
} et_entry;

#define ET_SLOT_EMPTY UINT32_MAX

typedef struct {
    et_entry *slots;
    size_t mask;    /* capacity - 1, capacity a power of two */
    size_t count;
    const char *blob; /* owned by the model that owns the table */
} et_table;

uint64_t et_hash_bytes(const char *p, size_t n);
/* Allocates room for n keys over blob; keys are then added with et_table_insert. */
int et_table_init(et_table *t, const char *blob, size_t n);
/* Adds blob[off:off+len]; ET_ERR_DUPLICATE if present. */
int et_table_insert(et_table *t, uint32_t off, uint32_t len, int32_t rank, int32_t id);
const et_entry *et_table_find(const et_table *t, const char *key, size_t len);
void et_table_free(et_table *t);

/* Checks an offsets array of n + 1 entries against a blob of blob_len bytes: monotone,
 * within bounds, and below 4 GiB (offsets are stored as uint32). */
int et_check_offsets(size_t blob_len, const int64_t *offsets, size_t n);

/* Checks text_ends (n entries, monotone, within blob_len) for the *_encode_many calls. */
int et_check_ends(size_t blob_len, const int64_t *ends, size_t n);

/* GPT-2 pre-tokenizer: the end of the piece that starts at byte i (< len). */
int et_gpt2_next(const uint8_t *s, size_t len, size_t i, size_t *end);

#endif
