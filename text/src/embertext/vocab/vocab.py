"""``Vocab``: a token <-> index mapping with torchtext's API and error behaviour.

Example:
    >>> v = Vocab(["<unk>", "a", "b"])
    >>> v["b"], len(v), "a" in v
    (2, 3, True)
    >>> v.set_default_index(v["<unk>"])
    >>> v(["a", "zzz"])
    [1, 0]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["Vocab"]


class Vocab:
    """Maps tokens to indices and back.

    Unknown tokens raise RuntimeError unless a default index is set, as in torchtext. Not
    an ``nn.Module`` (so it works without ember); wrap it in
    :class:`embertext.transforms.VocabTransform` to use it inside a model pipeline.

    Args:
        tokens: the tokens in index order; duplicates raise RuntimeError.
        default_index: index returned for unknown tokens (None: raise).
    """

    def __init__(self, tokens: Iterable[str] = (), default_index: int | None = None) -> None:
        self._itos: list[str] = []
        self._stoi: dict[str, int] = {}
        for token in tokens:
            if token in self._stoi:
                raise RuntimeError(f"Duplicate token found in tokens list: {token}")
            self._stoi[token] = len(self._itos)
            self._itos.append(token)
        self._default_index = default_index

    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token: str) -> bool:
        return token in self._stoi

    def __getitem__(self, token: str) -> int:
        index = self._stoi.get(token)
        if index is not None:
            return index
        if self._default_index is None:
            raise RuntimeError(f"Token {token} not found and default index is not set")
        return self._default_index

    def forward(self, tokens: Sequence[str]) -> list[int]:
        """Indices of tokens (torchtext's ``Vocab.forward``)."""
        return self.lookup_indices(tokens)

    def __call__(self, tokens: Sequence[str]) -> list[int]:
        return self.lookup_indices(tokens)

    def set_default_index(self, index: int | None) -> None:
        """Index returned for out-of-vocabulary tokens; None makes them raise."""
        self._default_index = index

    def get_default_index(self) -> int | None:
        return self._default_index

    def insert_token(self, token: str, index: int) -> None:
        """Inserts token at index, shifting the tokens at and after index by one."""
        if not 0 <= index <= len(self._itos):
            raise RuntimeError(f"Specified index {index} is out of bounds for vocab of size "
                               f"{len(self._itos)}")
        if token in self._stoi:
            raise RuntimeError(f"Token {token} already exists in the Vocab with index: "
                               f"{self._stoi[token]}")
        self._itos.insert(index, token)
        for i in range(index, len(self._itos)):
            self._stoi[self._itos[i]] = i

    def append_token(self, token: str) -> None:
        """Adds token at the end; RuntimeError if it is already present."""
        if token in self._stoi:
            raise RuntimeError(f"Token {token} already exists in the Vocab with index: "
                               f"{self._stoi[token]}")
        self._stoi[token] = len(self._itos)
        self._itos.append(token)

    def lookup_token(self, index: int) -> str:
        """The token at index; RuntimeError when out of range."""
        if not 0 <= index < len(self._itos):
            raise RuntimeError(f"Specified index {index} is out of bounds for vocab of size "
                               f"{len(self._itos)}")
        return self._itos[index]

    def lookup_tokens(self, indices: Sequence[int]) -> list[str]:
        return [self.lookup_token(i) for i in indices]

    def lookup_indices(self, tokens: Sequence[str]) -> list[int]:
        stoi, default = self._stoi, self._default_index
        if default is not None:
            return [stoi.get(t, default) for t in tokens]
        return [self[t] for t in tokens]

    def get_stoi(self) -> dict[str, int]:
        """A copy of the token -> index dictionary."""
        return dict(self._stoi)

    def get_itos(self) -> list[str]:
        """A copy of the index -> token list."""
        return list(self._itos)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Vocab) and self._itos == other._itos
                and self._default_index == other._default_index)

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, default_index={self._default_index})"
