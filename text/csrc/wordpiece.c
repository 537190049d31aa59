/* wordpiece.c: BERT's normaliser, pre-tokenizer and WordPiece model in one pass.
 *
 * Follows HF tokenizers' BertNormalizer -> BertPreTokenizer -> WordPiece pipeline, code
 * point by code point: clean text (drop NUL, U+FFFD and "other" (C*) code points except
 * \t \n \r), isolate CJK ideographs, drop non-spacing marks (the caller applied NFD),
 * lowercase per code point, split on white space and isolate punctuation. Each word is
 * then cut greedily into the longest vocabulary pieces, continuation pieces carrying the
 * prefix ("##"); a word with no full cover, or longer than max_chars, becomes unk.
 */
#include <stdlib.h>

#include "internal.h"

struct et_wordpiece {
    char *blob;
    et_table words;        /* every vocabulary entry as written */
    et_table continuation; /* entries starting with the prefix, keyed without it */
    int32_t unk_id;
    int64_t max_chars;
    int flags;
};

void et_wordpiece_free(et_wordpiece *m) {
    if (!m) return;
    et_table_free(&m->words);
    et_table_free(&m->continuation);
    free(m->blob);
    free(m);
}

int et_wordpiece_new(const char *blob, size_t blob_len, const int64_t *offsets,
                     const int32_t *ids, size_t n, int32_t unk_id, const char *prefix,
                     size_t prefix_len, int64_t max_chars, int flags, et_wordpiece **out) {
    if (!out || (!blob && blob_len) || !ids || (!prefix && prefix_len) || max_chars < 0)
        return ET_ERR_ARG;
    *out = NULL;
    int st = et_check_offsets(blob_len, offsets, n);
    if (st != ET_OK) return st;
    et_wordpiece *m = calloc(1, sizeof(et_wordpiece));
    if (!m) return ET_ERR_NOMEM;
    m->blob = malloc(blob_len ? blob_len : 1);
    if (!m->blob) { et_wordpiece_free(m); return ET_ERR_NOMEM; }
    if (blob_len) memcpy(m->blob, blob, blob_len);
    m->unk_id = unk_id;
    m->max_chars = max_chars;
    m->flags = flags;
    if ((st = et_table_init(&m->words, m->blob, n)) != ET_OK ||
        (st = et_table_init(&m->continuation, m->blob, n)) != ET_OK) {
        et_wordpiece_free(m);
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t off = (uint32_t)offsets[i], len = (uint32_t)(offsets[i + 1] - offsets[i]);
        st = et_table_insert(&m->words, off, len, 0, ids[i]);
        if (st == ET_OK && prefix_len && len > prefix_len &&
            memcmp(m->blob + off, prefix, prefix_len) == 0)
            st = et_table_insert(&m->continuation, off + (uint32_t)prefix_len,
                                 len - (uint32_t)prefix_len, 0, ids[i]);
        if (st != ET_OK) { et_wordpiece_free(m); return st; }
    }
    *out = m;
    return ET_OK;
}

/* The word being collected, as UTF-8, and the output cursor. */
typedef struct {
    uint8_t *buf;
    size_t len, cap, chars;
    int32_t *out;
    size_t out_cap, n;
} state;

static inline void emit(state *s, int32_t id) {
    if (s->n < s->out_cap) s->out[s->n] = id;
    s->n++;
}

static int push_cp(state *s, uint32_t cp) {
    if (s->cap - s->len < 4) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        uint8_t *b = realloc(s->buf, cap);
        if (!b) return ET_ERR_NOMEM;
        s->buf = b;
        s->cap = cap;
    }
    s->len += et_utf8_encode(cp, s->buf + s->len);
    s->chars++;
    return ET_OK;
}

/* Greedy longest-match-first over the collected word, then clears it. */
static void flush_word(const et_wordpiece *m, state *s) {
    if (!s->len) return;
    size_t first = s->n;
    if ((int64_t)s->chars > m->max_chars) {
        emit(s, m->unk_id);
    } else {
        size_t start = 0;
        while (start < s->len) {
            size_t end = s->len;
            const et_entry *e = NULL;
            while (end > start) {
                const et_table *t = start ? &m->continuation : &m->words;
                e = et_table_find(t, (const char *)s->buf + start, end - start);
                if (e) break;
                do end--; while (end > start && (s->buf[end] & 0xC0) == 0x80);
            }
            if (!e) {
                s->n = first; /* no cover: the whole word is unknown */
                emit(s, m->unk_id);
                break;
            }
            emit(s, e->id);
            start = end;
        }
    }
    s->len = 0;
    s->chars = 0;
}

/* Pre-tokenizer step for one normalised code point. */
static int pre_tokenize(const et_wordpiece *m, state *s, uint32_t cp) {
    uint8_t f = et_uflags(cp);
    if (f & ET_U_SPACE) {
        flush_word(m, s);
        return ET_OK;
    }
    if (f & ET_U_BERT_PUNCT) {
        flush_word(m, s);
        int st = push_cp(s, cp);
        if (st != ET_OK) return st;
        flush_word(m, s);
        return ET_OK;
    }
    return push_cp(s, cp);
}

/* Encodes t[0:len], appending to the state's output. */
static int encode_text(const et_wordpiece *m, state *s, const uint8_t *t, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = et_utf8_decode(t, len, i, &cp);
        if (!k) return ET_ERR_UTF8;
        i += k;
        uint8_t f = et_uflags(cp);
        int st;
        if (m->flags & ET_WP_CLEAN_TEXT) {
            int keep_ctl = cp == '\t' || cp == '\n' || cp == '\r';
            if (cp == 0 || cp == 0xFFFD || ((f & ET_U_OTHER) && !keep_ctl)) continue;
        }
        if ((m->flags & ET_WP_CHINESE_CHARS) && (f & ET_U_CJK)) {
            flush_word(m, s);
            if ((st = push_cp(s, cp)) != ET_OK) return st;
            flush_word(m, s);
            continue;
        }
        if ((m->flags & ET_WP_STRIP_ACCENTS) && (f & ET_U_MN)) continue;
        if ((m->flags & ET_WP_LOWERCASE) && (f & ET_U_HAS_LOWER)) {
            uint32_t low[3];
            size_t nl;
            if ((st = et_unicode_lower(cp, low, 3, &nl)) != ET_OK) return st;
            for (size_t q = 0; q < nl; q++)
                if ((st = pre_tokenize(m, s, low[q])) != ET_OK) return st;
            continue;
        }
        if ((st = pre_tokenize(m, s, cp)) != ET_OK) return st;
    }
    flush_word(m, s);
    return ET_OK;
}

int et_wordpiece_encode(const et_wordpiece *m, const char *text, size_t len, int32_t *out,
                        size_t cap, size_t *n_out) {
    if (!m || (!text && len) || (!out && cap) || !n_out) return ET_ERR_ARG;
    state s = {.out = out, .out_cap = cap};
    int st = encode_text(m, &s, (const uint8_t *)text, len);
    free(s.buf);
    *n_out = s.n;
    if (st != ET_OK) return st;
    return s.n > cap ? ET_ERR_CAPACITY : ET_OK;
}

int et_wordpiece_encode_many(const et_wordpiece *m, const char *blob, size_t blob_len,
                             const int64_t *text_ends, size_t n_texts, int32_t *out, size_t cap,
                             int64_t *out_ends, size_t *n_out) {
    if (!m || (!blob && blob_len) || (!out && cap) || (!out_ends && n_texts) || !n_out)
        return ET_ERR_ARG;
    int st = et_check_ends(blob_len, text_ends, n_texts);
    if (st != ET_OK) return st;
    state s = {.out = out, .out_cap = cap};
    size_t start = 0;
    for (size_t t = 0; t < n_texts && st == ET_OK; t++) {
        size_t end = (size_t)text_ends[t];
        st = encode_text(m, &s, (const uint8_t *)blob + start, end - start);
        out_ends[t] = (int64_t)s.n;
        start = end;
    }
    free(s.buf);
    *n_out = s.n;
    if (st != ET_OK) return st;
    return s.n > cap ? ET_ERR_CAPACITY : ET_OK;
}
