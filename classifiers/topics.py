"""Multi-label topic tagging from the seed term lists, and rumor-cue matching."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from classifiers.tokenizer import analyze, seed_term_files

if TYPE_CHECKING:
    from collections.abc import Mapping

    from classifiers.tokenizer import Analysis

logger = logging.getLogger(__name__)

GUIDELINE_THEMES: dict[str, str] = {
    "dual_carbon": "双碳",
    "food_safety": "食品安全",
    "double_reduction": "双减",
    "emergency": "应急",
    "rural_revitalization": "乡村振兴",
    "work_safety": "安全生产",
    "minor_protection": "未成年人保护",
    "health_hygiene": "健康卫生",
}
RUMOR_DOMAINS: dict[str, str] = {
    "medicine_health": "医药健康",
    "food": "食品",
    "environment_climate": "环境与气候",
    "energy_nuclear": "能源与核辐射",
    "agriculture_gmo": "农业与转基因",
    "it_telecom": "信息技术与通信",
    "disaster": "灾害与应急",
}
TOPICS: dict[str, str] = {**GUIDELINE_THEMES, **RUMOR_DOMAINS}

CUES_FILE = "rumor_cues"
MIN_TOPIC_SCORE = 0.4  # one distinct seed term scores ~0.49
_EVIDENCE_SCALE = 1.5  # distinct terms needed per e-fold of certainty


@dataclass(frozen=True, slots=True)
class TermHit:
    """A seed term or cue found in the normalised text (offsets index the normalised text)."""

    term: str
    start: int
    end: int


def topic_score(distinct: int, occurrences: int) -> float:
    """Return a [0, 1) score from the number of distinct seed terms and their occurrences."""
    evidence = distinct + 0.25 * max(0, occurrences - distinct)
    return 1.0 - math.exp(-evidence / _EVIDENCE_SCALE)


class TopicTagger:
    """Tags texts with every topic whose seed terms appear among its tokens."""

    def __init__(self, terms: dict[str, list[str]], min_score: float = MIN_TOPIC_SCORE) -> None:
        self.min_score = min_score
        self._codes: dict[str, tuple[str, ...]] = {}
        for code, words in terms.items():
            for word in words:
                self._codes[word] = (*self._codes.get(word, ()), code)

    @classmethod
    def from_seed_terms(cls) -> TopicTagger:
        """Build the tagger from data/seed_terms/<topic code>.txt."""
        return cls(seed_topic_terms())

    def is_seed_term(self, token: str) -> bool:
        """Return True if token is a seed term of any topic."""
        return token in self._codes

    def hits(self, analysis: Analysis) -> list[tuple[TermHit, tuple[str, ...]]]:
        """Return the seed-term tokens of an analysed text with the topics they belong to."""
        get = self._codes.get
        out: list[tuple[TermHit, tuple[str, ...]]] = []
        for tok, start in zip(analysis.tokens, analysis.starts, strict=True):
            codes = get(tok)
            if codes:
                out.append((TermHit(tok, start, start + len(tok)), codes))
        return out

    def scores(self, analysis: Analysis) -> list[tuple[str, float]]:
        """Return (topic code, score) for topics at or above min_score, best first."""
        return self.scores_from_counts(Counter(analysis.tokens))

    def scores_from_counts(self, token_counts: Mapping[str, int]) -> list[tuple[str, float]]:
        """Return topic scores from token counts (see scores)."""
        distinct: dict[str, int] = {}
        occurrences: dict[str, int] = {}
        for term in token_counts.keys() & self._codes.keys():
            for code in self._codes[term]:
                distinct[code] = distinct.get(code, 0) + 1
                occurrences[code] = occurrences.get(code, 0) + token_counts[term]
        scored = [
            (code, round(topic_score(n, occurrences[code]), 4)) for code, n in distinct.items()
        ]
        scored = [item for item in scored if item[1] >= self.min_score]
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored

    def tag(self, text: str) -> list[tuple[str, float]]:
        """Tokenise text and return its topic scores."""
        return self.scores(analyze(text))


@cache
def seed_topic_terms() -> dict[str, list[str]]:
    """Return the normalised seed terms of every known topic code."""
    terms: dict[str, list[str]] = {}
    for stem, words in seed_term_files():
        if stem in TOPICS:
            terms[stem] = words
        elif stem != CUES_FILE:
            logger.warning("seed term list %s.txt is not a known topic code; ignored", stem)
    missing = sorted(set(TOPICS) - set(terms))
    if missing:
        logger.warning("no seed term list for topics: %s", ", ".join(missing))
    return terms


class CueMatcher:
    """Finds rumor-style cue phrases in normalised text."""

    def __init__(self, cues: list[str]) -> None:
        ordered = sorted({c for c in cues if c}, key=len, reverse=True)
        self._re = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    @classmethod
    def from_seed_terms(cls) -> CueMatcher:
        """Build the matcher from data/seed_terms/rumor_cues.txt."""
        cues = dict(seed_term_files()).get(CUES_FILE, [])
        return cls(cues)

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[TermHit]:
        """Return the cue phrases found in text[start:end] (offsets index text)."""
        if self._re is None:
            return []
        stop = len(text) if end is None else end
        return [
            TermHit(m.group(), m.start(), m.end()) for m in self._re.finditer(text, start, stop)
        ]
