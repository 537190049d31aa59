"""BertTokenizer.__call__: template, truncation strategies, padding, batches."""

import pytest
from embertext.tokenizers import BertTokenizer
from embertext.tokenizers.bert import _truncate_longest_first

CLS, SEP, PAD = 2, 3, 0
A, B, C, D, E = 22, 23, 24, 25, 26


@pytest.fixture
def tok(bert_vocab_file):
    return BertTokenizer.from_file(bert_vocab_file)


def test_single_and_pair_template(tok):
    assert tok("a b") == {"input_ids": [CLS, A, B, SEP], "token_type_ids": [0, 0, 0, 0],
                          "attention_mask": [1, 1, 1, 1]}
    out = tok("a b", "c")
    assert out["input_ids"] == [CLS, A, B, SEP, C, SEP]
    assert out["token_type_ids"] == [0, 0, 0, 0, 1, 1]
    assert tok("a", "b", add_special_tokens=False)["input_ids"] == [A, B]


@pytest.mark.parametrize("n1,n2,room,expected", [
    (3, 10, 8, (3, 5)),   # the shorter fits: the longer takes the rest
    (10, 3, 8, (5, 3)),
    (6, 10, 8, (4, 4)),   # neither fits in half: split evenly
    (10, 6, 9, (5, 4)),   # odd room: the longer gets the extra token
    (6, 10, 9, (4, 5)),
    (20, 30, 4, (2, 2)),
])
def test_longest_first_rule(n1, n2, room, expected):
    assert _truncate_longest_first(n1, n2, room) == expected


def test_truncation_strategies(tok):
    first, second = "a b c d e", "e d c"
    out = tok(first, second, truncation=True, max_length=8)  # room 5: (5, 3) -> (3, 2)
    assert out["input_ids"] == [CLS, A, B, C, SEP, E, D, SEP]
    out = tok(first, second, truncation="only_first", max_length=8)
    assert out["input_ids"] == [CLS, A, B, SEP, E, D, C, SEP]
    out = tok(first, second, truncation="only_second", max_length=9)  # room 6: keep 5 + 1
    assert out["input_ids"] == [CLS, A, B, C, D, E, SEP, E, SEP]
    out = tok(first, truncation=True, max_length=4)
    assert out["input_ids"] == [CLS, A, B, SEP]
    with pytest.raises(ValueError, match="only_second"):
        tok(first, truncation="only_second", max_length=4)
    with pytest.raises(ValueError, match="cannot fit"):
        tok(first, second, truncation="only_first", max_length=5)
    with pytest.raises(ValueError, match="unknown truncation"):
        tok(first, truncation="middle")


def test_truncation_defaults_to_model_max_length(bert_vocab_file):
    tok = BertTokenizer.from_file(bert_vocab_file, model_max_length=5)
    assert tok("a b c d e", truncation=True)["input_ids"] == [CLS, A, B, C, SEP]
    assert len(tok("a b c d e")["input_ids"]) == 7


def test_padding(tok):
    out = tok(["a b c", "d"], padding=True)
    assert out["input_ids"] == [[CLS, A, B, C, SEP], [CLS, D, SEP, PAD, PAD]]
    assert out["attention_mask"] == [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
    assert out["token_type_ids"] == [[0] * 5, [0] * 5]
    out = tok(["a", "b"], ["c d", "e"], padding="max_length", max_length=7)
    assert out["input_ids"] == [[CLS, A, SEP, C, D, SEP, PAD], [CLS, B, SEP, E, SEP, PAD, PAD]]
    assert out["token_type_ids"] == [[0, 0, 0, 1, 1, 1, 0], [0, 0, 0, 1, 1, 0, 0]]
    single = tok("a", padding="max_length", max_length=4)
    assert single["input_ids"] == [CLS, A, SEP, PAD]
    with pytest.raises(ValueError, match="unknown padding"):
        tok("a", padding="left")


def test_truncate_and_pad_together(tok):
    out = tok(["a b c d e", "a"], truncation=True, padding="max_length", max_length=4)
    assert out["input_ids"] == [[CLS, A, B, SEP], [CLS, A, SEP, PAD]]


def test_batch_pair_length_mismatch(tok):
    with pytest.raises(ValueError, match="2 texts but 1"):
        tok(["a", "b"], ["c"])


def test_special_token_ids(tok):
    assert (tok.cls_token_id, tok.sep_token_id, tok.pad_token_id) == (CLS, SEP, PAD)
    with pytest.raises(ValueError, match="cls_token"):
        BertTokenizer(["[UNK]", "[SEP]", "[PAD]"])
