"""Feature extraction shared by training and the fast linear scorer used at screening time."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from itertools import compress, repeat
from operator import add, not_
from typing import TYPE_CHECKING, Any

import numpy as np

from classifiers.tokenizer import DEFAULT_HMM, stopwords

if TYPE_CHECKING:
    from classifiers.tokenizer import Analysis

WORD, BIGRAM, CHAR, META, EDGE = "w", "b", "c", "m", "e"

# Surface cues of the original text that normalisation removes or that jieba features miss
# (URLs, @mentions, #topics#, "//@" repost chains, [emoticons], exclamation ...). Each
# becomes one binary pseudo-word of the META block; they add about +0.5 macro-F1 points on
# CED and cost a few regex searches per text.
_META_PATTERNS = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("url", r"https?://|www\."),
        ("at", r"@"),
        ("topic", r"#[^#\n]{1,40}#"),
        ("repost", r"//\s*@"),
        ("excl", r"[！!]"),
        ("excl2", r"[！!]{2,}"),
        ("question", r"[？?]"),
        ("latin", r"[A-Za-zＡ-Ｚａ-ｚ]{2,}"),
        ("digit", r"[0-9０-９]"),
        ("bracket", r"【"),
        ("emoticon", r"\[[^\[\]\s]{1,6}\]"),
        ("quote", r"[“\"]"),
        ("colon", r"[：:]"),
        ("ellipsis", r"…|\.\.\.|。。"),
        ("end_period", r"。\s*$"),
    )
)
# Where a post starts and ends and what its 【headline】 says carry style that a bag of
# n-grams loses (news leads such as "10月18日讯", a closing link, "转发！" endings): the EDGE
# block holds character 1-3-grams of the first and last 20 characters and 1-2-grams of the
# first 【...】 headline of the original text, URLs replaced by "U" (+0.7 macro-F1 points
# on CED at a constant cost per text).
_EDGE_CHARS = 20
_EDGE_MAX_N = 3
_EDGE_URL = re.compile(r"(?:https?://|www\.)[\x21-\x7e]+")
_HEADLINE = re.compile(r"【([^】]{1,60})】")

_META_LENGTH_STEP = 20  # length bucket: len // 20, capped at 8 (160+ characters)
_META_LENGTH_MAX = 8


CHAR_BUCKET_BITS = 20  # character n-grams are hashed into 2**20 buckets
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier
_STEP = np.uint64(1_000_003)


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """Which features the risk model uses (term frequencies are binary: present or not)."""

    word_bigrams: bool = True
    hmm: bool = DEFAULT_HMM  # jieba HMM for unknown words
    char_min: int = 2  # hashed character n-grams from char_min to char_max; 0 disables
    char_max: int = 3
    meta: bool = True  # surface cues of the original text (META block)
    edges: bool = True  # start/end/headline character n-grams (EDGE block)

    def to_dict(self) -> dict[str, Any]:
        """Return the config as a plain dict (stored in the model file)."""
        return asdict(self)


def char_gram_ids(text: str, n_min: int, n_max: int) -> np.ndarray:
    """Return the sorted unique bucket ids of the character n-grams of text (whitespace collapsed)."""
    compact = " ".join(text.split())
    cps = np.frombuffer(compact.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    parts = []
    for n in range(n_min, n_max + 1):
        m = len(cps) - n + 1
        if m <= 0:
            continue
        h = cps[:m] + np.uint64(n)
        for k in range(1, n):
            h = h * _STEP + cps[k : k + m]  # wraps modulo 2**64, deterministic everywhere
        parts.append(h)
    if not parts:
        return np.empty(0, dtype=np.int64)
    ids = ((np.concatenate(parts) * _MIX) >> np.uint64(64 - CHAR_BUCKET_BITS)).astype(np.int64)
    ids.sort()
    keep = np.empty(len(ids), dtype=bool)
    keep[0] = True
    np.not_equal(ids[1:], ids[:-1], out=keep[1:])
    return ids[keep]


Features = dict[str, "Counter[str] | np.ndarray"]


def meta_features(text: str) -> Counter[str]:
    """Return the binary surface-cue pseudo-words of an original (unnormalised) text."""
    found = Counter(name for name, pattern in _META_PATTERNS if pattern.search(text))
    found[f"len{min(len(text) // _META_LENGTH_STEP, _META_LENGTH_MAX)}"] = 1
    return found


def _grams(tag: str, text: str, n_max: int) -> set[str]:
    return {
        f"{tag}{text[i : i + n]}" for n in range(1, n_max + 1) for i in range(len(text) - n + 1)
    }


def edge_features(original: str) -> set[str]:
    """Return character n-grams of a text's start, end and first 【headline】."""
    compact = " ".join(_EDGE_URL.sub(" U ", original).split())
    found = _grams("s", compact[:_EDGE_CHARS], _EDGE_MAX_N)
    found |= _grams("e", compact[-_EDGE_CHARS:], _EDGE_MAX_N)
    headline = _HEADLINE.search(compact)
    if headline:
        found |= _grams("t", headline.group(1), 2)
    return found


@dataclass(frozen=True, slots=True)
class WordSequence:
    """The tokens that feed the model (stop words dropped), in text order."""

    positions: list[int]  # index of each word in Analysis.tokens
    words: list[str]
    bigrams: list[str]  # "w1 w2" for each pair of consecutive words (empty if not used)


def word_sequence(analysis: Analysis, bigrams: bool = True) -> WordSequence:
    """Return the feature words of an analysed text, their positions and their bigrams."""
    tokens = analysis.tokens
    is_feature = list(map(not_, map(stopwords().__contains__, tokens)))
    words = list(compress(tokens, is_feature))
    return WordSequence(
        positions=list(compress(range(len(tokens)), is_feature)),
        words=words,
        bigrams=list(map(add, words, map(" ".__add__, words[1:]))) if bigrams else [],
    )


def surface_counts(analysis: Analysis, config: FeatureConfig) -> Features:
    """Return the blocks that do not come from words: character n-grams, cues, edges."""
    blocks: Features = {}
    if config.char_max >= config.char_min > 0:
        blocks[CHAR] = char_gram_ids(analysis.norm.text, config.char_min, config.char_max)
    if config.meta:
        blocks[META] = meta_features(analysis.norm.original)
    if config.edges:
        blocks[EDGE] = Counter(edge_features(analysis.norm.original))
    return blocks


def feature_counts(
    analysis: Analysis, config: FeatureConfig, sequence: WordSequence | None = None
) -> Features:
    """Return word/bigram counts, character n-gram bucket ids and surface cues of a text.

    This is the training input (see training.feature_list); screening scores the same
    features through LinearScorer.evidence.
    """
    if sequence is None:
        sequence = word_sequence(analysis, config.word_bigrams)
    blocks: Features = {WORD: Counter(sequence.words)}
    if config.word_bigrams:
        blocks[BIGRAM] = Counter(sequence.bigrams)
    return blocks | surface_counts(analysis, config)


@dataclass(frozen=True, slots=True)
class WordTables:
    """The word and bigram weights of a LinearScorer as arrays indexed by word ids.

    Screening maps a text's words to ids once; its bigrams are then integer codes
    (id1 * size + id2) looked up with one binary search, instead of building and hashing
    "w1 w2" strings. Words outside the model get the id size - 1, whose weight is 0 and
    which takes part in no known bigram.
    """

    ids: dict[str, int]
    size: int
    word: np.ndarray  # id -> complex(idf * coef, idf ** 2) of the word feature (0 if none)
    bigram_codes: np.ndarray  # sorted codes of the known bigrams
    bigram: np.ndarray  # complex weights aligned with bigram_codes

    @classmethod
    def build(cls, weights: dict[str, dict[str, complex]]) -> WordTables:
        """Index the WORD and BIGRAM tables of a scorer."""
        words = weights.get(WORD, {})
        pairs = [(key.split(" "), value) for key, value in weights.get(BIGRAM, {}).items()]
        pairs = [(pair, value) for pair, value in pairs if len(pair) == 2]
        vocabulary = sorted(set(words).union(*(pair for pair, _value in pairs)))
        ids = {word: i for i, word in enumerate(vocabulary)}
        size = len(vocabulary) + 1
        word = np.zeros(size, dtype=complex)
        for key, value in words.items():
            word[ids[key]] = value
        codes = np.array([ids[a] * size + ids[b] for (a, b), _value in pairs], dtype=np.int64)
        values = np.array([value for _pair, value in pairs], dtype=complex)
        order = np.argsort(codes)
        return cls(ids, size, word, codes[order], values[order])

    def evidence(self, words: list[str]) -> tuple[complex, np.ndarray]:
        """Return the summed weights of the distinct word and bigram features of words,
        and each word occurrence's share of them (a bigram's is split between its words).
        """
        ids = np.fromiter(map(self.ids.get, words, repeat(self.size - 1)), np.int64, len(words))
        distinct, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
        total = complex(self.word[distinct].sum())
        shares = self.word[ids].real / counts[inverse]
        if len(words) > 1 and self.bigram_codes.size:
            codes = ids[:-1] * self.size + ids[1:]
            at = np.searchsorted(self.bigram_codes, codes)
            at[at == self.bigram_codes.size] = 0
            found = np.where(self.bigram_codes[at] == codes, self.bigram[at], 0j)
            _distinct, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
            once = np.zeros(counts.size, dtype=complex)
            once[inverse] = found  # every occurrence of a bigram has the same weight
            total += complex(once.sum())
            halves = found.real / counts[inverse] / 2
            shares[:-1] += halves
            shares[1:] += halves
        return total, shares


@dataclass(frozen=True, slots=True)
class Evidence:
    """A text's score: decision value, TF-IDF norm and each feature word's share."""

    margin: float
    norm: float
    shares: np.ndarray  # per word of the WordSequence: share of the decision value


@dataclass(slots=True)
class LinearScorer:
    """Pure-Python/numpy equivalent of the fitted binary TF-IDF + linear model + calibration.

    With binary term frequencies and L2 normalisation, the decision value is
    sum(idf*coef) / sqrt(sum(idf**2)) over the known features present, plus the intercept:
    array lookups by word id and bigram code for words (WordTables), dict lookups for the
    cue and edge blocks, two numpy gathers for character n-grams.
    """

    # block -> feature -> complex(idf * coef, idf ** 2): one lookup gives both sums
    weights: dict[str, dict[str, complex]]
    char_weight: np.ndarray  # bucket -> idf * coef (0 for buckets unseen in training)
    char_idf_sq: np.ndarray  # bucket -> idf ** 2
    intercept: float
    calib_a: float
    calib_b: float
    tables: WordTables = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.tables = WordTables.build(self.weights)

    def evidence(self, words: list[str], surface: Features) -> Evidence:
        """Score a text from its feature words (in order) and its surface_counts blocks."""
        total, shares = self.tables.evidence(words) if words else (0j, np.zeros(0))
        total += self._surface_sum(surface)
        if total.imag <= 0.0:
            return Evidence(self.intercept, 0.0, np.zeros(len(words)))
        norm = math.sqrt(total.imag)
        return Evidence(total.real / norm + self.intercept, norm, shares / norm)

    def _surface_sum(self, features: Features) -> complex:
        """Return complex(sum(idf * coef), sum(idf ** 2)) over the known features present."""
        total = 0j
        for block, present in features.items():
            if block == CHAR:
                ids = present
                total += complex(
                    float(self.char_weight[ids].sum()), float(self.char_idf_sq[ids].sum())
                )
                continue
            table = self.weights.get(block)
            if table:
                total += sum(map(table.get, present, repeat(0j)))
        return total

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the character tables sparsely (most of the 2**20 buckets are zero)."""
        used = np.flatnonzero(self.char_idf_sq)
        return {
            "weights": self.weights,
            "char_size": len(self.char_weight),
            "char_used": used.astype(np.int32),
            "char_weight": self.char_weight[used],
            "char_idf_sq": self.char_idf_sq[used],
            "intercept": self.intercept,
            "calib_a": self.calib_a,
            "calib_b": self.calib_b,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild the dense character tables from their sparse pickled form."""
        used = state["char_used"]
        for name in ("char_weight", "char_idf_sq"):
            dense = np.zeros(state["char_size"])
            dense[used] = state[name]
            object.__setattr__(self, name, dense)
        for name in ("weights", "intercept", "calib_a", "calib_b"):
            object.__setattr__(self, name, state[name])
        object.__setattr__(self, "tables", WordTables.build(self.weights))

    def probability(self, margin: float) -> float:
        """Map a decision value to the calibrated probability of misinformation."""
        z = self.calib_a * margin + self.calib_b
        if z >= 0:
            e = math.exp(-z)
            return e / (1.0 + e)
        return 1.0 / (1.0 + math.exp(z))


def split_feature_name(name: str) -> tuple[str, str]:
    """Split a prefixed feature name into (block, key)."""
    block, _, key = name.partition(":")
    return block, key
