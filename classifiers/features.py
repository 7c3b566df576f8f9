"""Feature extraction shared by training and the fast linear scorer used at screening time."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from operator import add
from typing import TYPE_CHECKING, Any

from classifiers.tokenizer import feature_words

if TYPE_CHECKING:
    from collections.abc import Iterable

    from classifiers.tokenizer import Analysis

WORD, BIGRAM, CHAR = "w", "b", "c"
_PREFIX = {WORD: "w:", BIGRAM: "b:", CHAR: "c:"}


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """Which features the risk model uses."""

    word_bigrams: bool = True
    char_min: int = 2  # character n-grams from char_min to char_max; char_max 0 disables
    char_max: int = 3

    def to_dict(self) -> dict[str, Any]:
        """Return the config as a plain dict (stored in the model file)."""
        return asdict(self)


def _char_ngrams(text: str, n: int) -> Iterable[str]:
    """Return the character n-grams of text (C-speed via map/add)."""
    grams: Iterable[str] = text
    for k in range(1, n):
        grams = map(add, grams, text[k:])
    return grams


def feature_counts(analysis: Analysis, config: FeatureConfig) -> dict[str, Counter[str]]:
    """Count word, word-bigram and character n-gram features of an analysed text."""
    words = feature_words(analysis.tokens)
    blocks: dict[str, Counter[str]] = {WORD: Counter(words)}
    if config.word_bigrams:
        blocks[BIGRAM] = Counter(map(add, words, map(" ".__add__, words[1:])))
    if config.char_max >= config.char_min > 0:
        compact = " ".join(analysis.norm.text.split())
        chars: Counter[str] = Counter()
        for n in range(config.char_min, config.char_max + 1):
            chars.update(_char_ngrams(compact, n))
        blocks[CHAR] = chars
    return blocks


def feature_dict(analysis: Analysis, config: FeatureConfig) -> dict[str, int]:
    """Return prefixed feature counts, the input format of the training pipeline."""
    out: dict[str, int] = {}
    for block, counts in feature_counts(analysis, config).items():
        prefix = _PREFIX[block]
        for key, count in counts.items():
            out[prefix + key] = count
    return out


@dataclass(slots=True)
class LinearScorer:
    """Pure-Python equivalent of the fitted TF-IDF + linear model + sigmoid calibration."""

    weights: dict[str, dict[str, tuple[float, float]]]  # block -> feature -> (idf, coef)
    intercept: float
    calib_a: float
    calib_b: float
    sublinear_tf: bool = True

    def margin(self, counts: dict[str, Counter[str]]) -> tuple[float, float]:
        """Return (decision value, L2 norm of the TF-IDF vector) for feature counts."""
        dot = 0.0
        sq = 0.0
        log = math.log
        sublinear = self.sublinear_tf
        for block, block_counts in counts.items():
            table = self.weights.get(block)
            if not table:
                continue
            get = table.get
            for key, count in block_counts.items():
                entry = get(key)
                if entry is None:
                    continue
                idf, coef = entry
                value = idf * (1.0 + log(count)) if sublinear and count > 1 else idf * count
                dot += value * coef
                sq += value * value
        if sq <= 0.0:
            return self.intercept, 0.0
        norm = math.sqrt(sq)
        return dot / norm + self.intercept, norm

    def probability(self, margin: float) -> float:
        """Map a decision value to the calibrated probability of misinformation."""
        z = self.calib_a * margin + self.calib_b
        if z >= 0:
            e = math.exp(-z)
            return e / (1.0 + e)
        return 1.0 / (1.0 + math.exp(z))

    def contribution(self, block: str, key: str, count: int, norm: float) -> float:
        """Return one feature's share of the decision value (before the intercept)."""
        entry = self.weights.get(block, {}).get(key)
        if entry is None or norm <= 0.0:
            return 0.0
        idf, coef = entry
        value = idf * (1.0 + math.log(count)) if self.sublinear_tf and count > 1 else idf * count
        return value * coef / norm


def split_feature_name(name: str) -> tuple[str, str]:
    """Split a prefixed feature name into (block, key)."""
    block, _, key = name.partition(":")
    return block, key
