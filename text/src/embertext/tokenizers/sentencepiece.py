"""SentencePiece models through the optional ``sentencepiece`` package.

Install with ``pip install ember-text[sentencepiece]``. The import happens when a model is
loaded, so ``import embertext`` never needs the package.

Example:
    >>> sp = SentencePieceTokenizer("spm.model")  # doctest: +SKIP
    >>> sp.encode_as_pieces("Hello world")  # doctest: +SKIP
    ['▁Hello', '▁world']
"""

from __future__ import annotations

import os
from collections.abc import Sequence

__all__ = ["SentencePieceTokenizer", "import_sentencepiece"]


def import_sentencepiece():
    """The ``sentencepiece`` module, or an ImportError that says how to get it."""
    try:
        import sentencepiece
    except ImportError as e:
        raise ImportError(
            "SentencePiece support needs the 'sentencepiece' package: "
            "pip install 'ember-text[sentencepiece]' (or pip install sentencepiece)") from e
    return sentencepiece


class SentencePieceTokenizer:
    """A loaded SentencePiece ``.model``: encode to ids or pieces, decode back.

    Args:
        model_path: path of a serialized SentencePiece model.
    """

    def __init__(self, model_path: str | os.PathLike) -> None:
        spm = import_sentencepiece()
        if not os.path.isfile(model_path):
            raise FileNotFoundError(f"SentencePiece model not found: {model_path}")
        self.model_path = os.fspath(model_path)
        self._sp = spm.SentencePieceProcessor(model_file=self.model_path)

    def encode(self, text: str | Sequence[str]) -> list[int] | list[list[int]]:
        """Ids of a text, or of each text of a list."""
        return self._sp.encode(text if isinstance(text, str) else list(text), out_type=int)

    def encode_as_ids(self, text: str) -> list[int]:
        return self._sp.encode(text, out_type=int)

    def encode_as_pieces(self, text: str | Sequence[str]) -> list[str] | list[list[str]]:
        """Pieces (``'▁'`` marks a preceding space) of a text or of each text of a list."""
        return self._sp.encode(text if isinstance(text, str) else list(text), out_type=str)

    def decode(self, ids_or_pieces: Sequence[int] | Sequence[str]) -> str:
        """Text from ids or pieces."""
        items = list(ids_or_pieces)
        if items and isinstance(items[0], str):
            return self._sp.decode_pieces(items)
        return self._sp.decode_ids(items)

    def id_to_piece(self, i: int) -> str:
        return self._sp.id_to_piece(i)

    def piece_to_id(self, piece: str) -> int:
        return self._sp.piece_to_id(piece)

    def __len__(self) -> int:
        return self._sp.get_piece_size()

    def __getstate__(self) -> dict:
        return {"model_path": self.model_path}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["model_path"])
