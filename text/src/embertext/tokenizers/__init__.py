"""Tokenizers with their hot loops in C: byte-level BPE (GPT-2/tiktoken), WordPiece (BERT),
and SentencePiece through the optional ``sentencepiece`` package.

Example:
    >>> from embertext.tokenizers import gpt2_pretokenize
    >>> gpt2_pretokenize("Hi there")
    ['Hi', ' there']
"""

from embertext.tokenizers.bert import BertTokenizer
from embertext.tokenizers.bpe import ByteLevelBPETokenizer
from embertext.tokenizers.bpe_trainer import train_bpe
from embertext.tokenizers.byte_level import (
    byte_to_unicode,
    bytes_to_token_string,
    token_string_to_bytes,
)
from embertext.tokenizers.pretokenize import GPT2_PATTERN, gpt2_pretokenize
from embertext.tokenizers.sentencepiece import SentencePieceTokenizer
from embertext.tokenizers.wordpiece import WordPieceTokenizer, load_vocab_txt

__all__ = ["BertTokenizer", "ByteLevelBPETokenizer", "GPT2_PATTERN", "SentencePieceTokenizer",
           "WordPieceTokenizer", "byte_to_unicode", "bytes_to_token_string", "gpt2_pretokenize",
           "load_vocab_txt", "token_string_to_bytes", "train_bpe"]
