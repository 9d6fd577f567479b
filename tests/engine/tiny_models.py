"""Tiny random-weight BERT checkpoints built from a config and saved to a folder: real loading, windows, offsets and
decoding, without a download. The tokenizer is all-MiniLM-L6-v2's (a real BERT WordPiece vocabulary)."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from transformers import BertConfig, BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification

from engine.encoder import packaged_model_dir

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def _config(**kwargs: object) -> BertConfig:
    kwargs.setdefault("num_hidden_layers", 0)
    return BertConfig(
        vocab_size=30522, hidden_size=32, num_attention_heads=2, intermediate_size=64, max_position_embeddings=512,
        **kwargs,
    )  # fmt: skip


def _copy_tokenizer(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in TOKENIZER_FILES:
        shutil.copy(packaged_model_dir() / name, folder / name)


def _token_id(word: str) -> int:
    vocab = (packaged_model_dir() / "vocab.txt").read_text().split("\n")
    return vocab.index(word)


def _point_at(model: torch.nn.Module, embeddings: torch.nn.Module, token: int, rows: list[int]) -> None:
    """With no transformer layers, hidden = LayerNorm(word embedding): make ``token`` the one direction that the
    output rows ``rows`` respond to."""
    torch.manual_seed(0)
    with torch.no_grad():
        embeddings.position_embeddings.weight.zero_()
        embeddings.token_type_embeddings.weight.zero_()
        size = embeddings.word_embeddings.weight.shape[1]
        direction = torch.randn(size)
        direction = (direction - direction.mean()) / direction.std()
        # Every other token gets one vector orthogonal to ``direction``: its logits on ``rows`` are 0.
        other = torch.randn(size)
        other = other - other.mean()
        other = other - (other @ direction) / (direction @ direction) * direction
        embeddings.word_embeddings.weight[:] = other
        embeddings.word_embeddings.weight[token] = direction * 10
        head = model.weight
        head.zero_()
        model.bias.zero_()
        for row in rows:
            head[row] = direction


def make_qa_model(folder: Path, answer_word: str) -> Path:
    """A QA model whose start and end logits peak at the token ``answer_word``."""
    model = BertForQuestionAnswering(_config())
    _point_at(model.qa_outputs, model.bert.embeddings, _token_id(answer_word), [0, 1])
    model.save_pretrained(folder)
    _copy_tokenizer(folder)
    return folder


def make_ner_model(folder: Path, entity_word: str) -> Path:
    """A token-classification model (O, B-PER, I-PER, B-LOC) that tags ``entity_word`` B-PER and the rest O."""
    labels = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC"}
    model = BertForTokenClassification(_config(id2label=labels, label2id={v: k for k, v in labels.items()}))
    _point_at(model.classifier, model.bert.embeddings, _token_id(entity_word), [1])
    with torch.no_grad():
        model.classifier.bias[0] = 5.0  # O wins wherever the B-PER logit is not large
    model.save_pretrained(folder)
    _copy_tokenizer(folder)
    return folder


def make_cross_encoder(folder: Path) -> Path:
    """A one-logit cross-encoder with random weights and one transformer layer, so that [CLS] sees both texts."""
    torch.manual_seed(1)
    model = BertForSequenceClassification(_config(num_hidden_layers=1, num_labels=1))
    model.save_pretrained(folder)
    _copy_tokenizer(folder)
    return folder
