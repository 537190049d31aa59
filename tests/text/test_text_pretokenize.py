"""GPT-2 pre-tokenisation (C scanner) against a plain Python rendering of the regex."""

import pytest
from embertext.tokenizers import gpt2_pretokenize
from embertext.tokenizers.pretokenize import gpt2_pretokenize_bytes
from hypothesis import given, settings
from hypothesis import strategies as st
from textutil import gpt2_split


@pytest.mark.parametrize("text,pieces", [
    ("Hello world", ["Hello", " world"]),
    ("I'm here, aren't you?", ["I", "'m", " here", ",", " aren", "'t", " you", "?"]),
    ("they'll we've you're he'd", ["they", "'ll", " we", "'ve", " you", "'re", " he", "'d"]),
    ("'S upper", ["'", "S", " upper"]),
    ("a  b", ["a", " ", " b"]),
    ("a   \n\nb", ["a", "   \n", "\n", "b"]),
    ("end   ", ["end", "   "]),
    ("x\ny", ["x", "\n", "y"]),
    ("12345 678", ["12345", " 678"]),
    ("abc123def", ["abc", "123", "def"]),
    ("?!... ,,", ["?!...", " ,,"]),
    ("?'s", ["?'", "s"]),
    ("naïve café", ["naïve", " café"]),
    ("日本語 テキスト", ["日本語", " テキスト"]),
    ("\u00a0\u3000x", ["\u00a0", "\u3000", "x"]),
    ("½ ⅓", ["½", " ⅓"]),
    ("🙂🙂 ok", ["🙂🙂", " ok"]),
    ("", []),
    (" ", [" "]),
])
def test_known_splits(text, pieces):
    assert gpt2_pretokenize(text) == pieces
    assert gpt2_split(text) == pieces


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 '\n\t?.sd") + ["é", "\u00a0", "\u2003",
                                                                  "中", "٣", "🙂", "\u0301"])))
def test_matches_reference_on_tricky_alphabet(text):
    assert gpt2_pretokenize(text) == gpt2_split(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_matches_reference_on_any_text(text):
    pieces = gpt2_pretokenize(text)
    assert "".join(pieces) == text
    assert pieces == gpt2_split(text)


def test_invalid_utf8_raises_value_error():
    with pytest.raises(ValueError, match="UTF-8"):
        gpt2_pretokenize_bytes(b"abc \xff")
