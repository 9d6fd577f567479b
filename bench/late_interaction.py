"""Late interaction as a re-ranker of the sentence reader's choices, on faq-qa-dev (tried for issue 15, not used).

    .venv/bin/python bench/late_interaction.py

For each question, the reader's best 8 sentences are re-ranked by their combined score + weight x MaxSim: the mean
over the question's tokens of their best cosine to one of the sentence's tokens (the encoder's contextual token
vectors, as ColBERT scores). Prints the share of answers inside the judged answer per weight (0: the reader as it
is), and the share of questions whose answer is among the 8 at all (the ceiling of any re-ranking of them).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpora import SETS

WEIGHTS = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)
TOP = 8


def main() -> None:
    from engine.encoder import SentenceEncoder
    from engine.reader.sentence import SentenceReader

    spec = json.loads((SETS / "faq-qa-dev.json").read_text())
    encoder = SentenceEncoder()
    reader = SentenceReader(encoder, None)
    tok = encoder.tokenizer
    cache: dict[str, np.ndarray] = {}

    def tokens(text: str) -> np.ndarray:
        if text not in cache:
            vectors = encoder.token_vectors(tok.with_specials(tok.encode(text)[0], 128))[1:-1]
            cache[text] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        return cache[text]

    rows = []
    for page in spec["pages"]:
        text = page["context"]
        analysis = reader._analyse(text, ())
        assert analysis is not None
        for q in page["questions"]:
            combined, _raw = reader._scores(encoder.embed_texts([q["question"]])[0], analysis)
            asked = tokens(q["question"])
            row = []
            for i in np.argsort(-combined)[:TOP]:
                a, _b = analysis.sentences[i]
                maxsim = float((asked @ tokens(text[a:_b]).T).max(axis=1).mean())
                row.append((float(combined[i]), maxsim, q["start"] <= a < q["end"]))
            rows.append(row)
    print("| MaxSim weight | inside |\n|---|---|")
    for weight in WEIGHTS:
        inside = sum(max(r, key=lambda s: s[0] + weight * s[1])[2] for r in rows) / len(rows)
        print(f"| {weight} | {inside:.3f} |")
    print(f"\nthe answer among the best {TOP}: {sum(any(s[2] for s in r) for r in rows) / len(rows):.3f}")


if __name__ == "__main__":
    main()
