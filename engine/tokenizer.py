"""The encoder's own WordPiece tokenizer, loaded from its tokenizer.json without transformers.

The chunker and the encoder share it, so windows are measured in the tokens the model will see and the token ids
made while chunking are the ones embedded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Long texts are tokenized in pieces: one 50 MB line must not become one giant call.
_PIECE_CHARS = 100_000


class Tokenizer:
    """Token ids and character offsets for a text, with the model's special tokens known."""

    def __init__(self, tokenizer_json: Path) -> None:
        from tokenizers import Tokenizer as _HFTokenizer

        self.path = Path(tokenizer_json)
        tok = _HFTokenizer.from_file(str(self.path))
        tok.no_truncation()
        tok.no_padding()
        self._tok = tok
        self.cls_id = self._special("[CLS]")
        self.sep_id = self._special("[SEP]")
        self.pad_id = self._special("[PAD]")
        vocab = tok.get_vocab(with_added_tokens=True)
        # True for tokens that begin a word, False for WordPiece continuations ("##ing").
        self.word_start = np.ones(max(vocab.values()) + 1, dtype=bool)
        for token, token_id in vocab.items():
            if token.startswith("##"):
                self.word_start[token_id] = False

    def _special(self, token: str) -> int:
        token_id = self._tok.token_to_id(token)
        if token_id is None:
            raise ValueError(f"{self.path}: tokenizer has no {token} token")
        return int(token_id)

    def encode(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Tokenize without special tokens.

        Returns:
            ids: int32 array of token ids.
            offsets: int64 array of shape (n, 2), each token's [start, end) in ``text``.
        """
        pieces = list(_split_pieces(text))
        encodings = self._tok.encode_batch([text[a:b] for a, b in pieces], add_special_tokens=False)
        all_ids: list[np.ndarray] = []
        all_offsets: list[np.ndarray] = []
        for (start, _end), enc in zip(pieces, encodings, strict=True):
            if not enc.ids:
                continue
            all_ids.append(np.asarray(enc.ids, dtype=np.int32))
            all_offsets.append(np.asarray(enc.offsets, dtype=np.int64) + start)
        if not all_ids:
            return np.zeros(0, dtype=np.int32), np.zeros((0, 2), dtype=np.int64)
        return np.concatenate(all_ids), np.concatenate(all_offsets)

    def with_specials(self, ids: np.ndarray | list[int], max_tokens: int) -> list[int]:
        """[CLS] ids [SEP], cut so that the whole fits ``max_tokens``."""
        body = [int(i) for i in ids[: max_tokens - 2]]
        return [self.cls_id, *body, self.sep_id]


def _split_pieces(text: str) -> list[tuple[int, int]]:
    """Cut ``text`` into spans of about _PIECE_CHARS, at whitespace so that no word is split."""
    pieces = []
    start, n = 0, len(text)
    while start < n:
        end = min(start + _PIECE_CHARS, n)
        if end < n:
            cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
            if cut > start:
                end = cut + 1
        pieces.append((start, end))
        start = end
    return pieces
