"""Public pre-screening API: risk, topics and explained flags for one text."""

from __future__ import annotations

import logging
import os
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from classifiers.features import Evidence, WordSequence
from classifiers.resources import DEFAULT_MODEL_PATH, SEED_CORPUS
from classifiers.tokenizer import analyze_normalized, has_chinese, normalize_aligned
from classifiers.topics import TOPICS, CueMatcher, TopicTagger
from classifiers.training import PrescreenModel, load, load_records, save, train

if TYPE_CHECKING:
    from classifiers.tokenizer import Analysis
    from classifiers.topics import TermHit

logger = logging.getLogger(__name__)

STATUS_OK = "ok"
STATUS_EMPTY = "empty"  # nothing left after removing whitespace, emoji, URLs, @mentions
STATUS_NOT_CHINESE = "not_chinese"  # no Chinese characters: the model cannot judge it
MAX_CHARS = 100_000
_SENTENCE_END = re.compile(r"[。！？!?;；…\n]+")


@dataclass(frozen=True, slots=True)
class TopicScore:
    """A topic the text touches: code (see TOPICS), Chinese name and score in [0, 1]."""

    code: str
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class FlagTerm:
    """A highlighted term; start/end index the original text.

    weight: for source "model", the term's contribution to the linear model's decision
    value (positive pushes towards misinformation); for "seed" (topic term) and "cue"
    (rumor-style wording), 1.0.
    """

    term: str
    start: int
    end: int
    weight: float
    source: str  # "model" | "seed" | "cue"


@dataclass(frozen=True, slots=True)
class Flag:
    """A flagged sentence; score is its share of the text's misinformation evidence."""

    start: int
    end: int
    score: float
    terms: list[FlagTerm] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PrescreenResult:
    """Outcome of pre-screening one text."""

    model_version: str
    risk: float
    topics: list[TopicScore]
    flags: list[Flag]
    status: str = STATUS_OK
    truncated: bool = False  # only the first max_chars characters were screened

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict."""
        return asdict(self)


class Prescreener:
    """Scores texts for misinformation risk, tags topics and explains what raised the risk."""

    def __init__(
        self,
        model: PrescreenModel,
        *,
        tagger: TopicTagger | None = None,
        cues: CueMatcher | None = None,
        flag_threshold: float | None = None,
        max_chars: int = MAX_CHARS,
        max_flags: int = 5,
        max_terms: int = 5,
    ) -> None:
        self.model = model
        self.tagger = tagger or TopicTagger.from_seed_terms()
        self.cues = cues or CueMatcher.from_seed_terms()
        self.flag_threshold = model.threshold if flag_threshold is None else flag_threshold
        self.max_chars = max_chars
        self.max_flags = max_flags
        self.max_terms = max_terms

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Prescreener:
        """Load a model file; raises ModelFileError / ModelVersionError."""
        return cls(load(path))

    @property
    def version(self) -> str:
        """Return the model version string recorded with every result."""
        return self.model.version

    def screen(self, text: str) -> PrescreenResult:
        """Pre-screen one text: risk in [0, 1], topics, and flagged sentences."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        truncated = len(text) > self.max_chars
        norm = normalize_aligned(text[: self.max_chars] if truncated else text)
        if not has_chinese(norm.text):
            status = STATUS_NOT_CHINESE if norm.text.strip() else STATUS_EMPTY
            return PrescreenResult(self.version, 0.0, [], [], status, truncated)
        analysis = analyze_normalized(norm, self.model.features.hmm)
        sequence, evidence = self.model.evidence(analysis)
        risk = round(self.model.scorer.probability(evidence.margin), 4)
        words = Counter(sequence.words)
        topics = [
            TopicScore(code, TOPICS[code], score)
            for code, score in self.tagger.scores_from_counts(words)
        ]
        flags: list[Flag] = []
        if risk >= self.flag_threshold:
            flags = self._explain(analysis, sequence, evidence)
        return PrescreenResult(self.version, risk, topics, flags, STATUS_OK, truncated)

    # --- explanations -------------------------------------------------------------------

    def _explain(
        self, analysis: Analysis, sequence: WordSequence, evidence: Evidence
    ) -> list[Flag]:
        """Pick the sentences that contribute most to the risk and the terms behind them.

        Sentence scores use the word and word-bigram evidence (character n-grams, surface
        cues and start/end/headline n-grams count in the risk but are not attributed to
        sentences).
        """
        text = analysis.norm.text
        spans = _sentences(text)
        if not spans or evidence.norm <= 0.0:
            return []
        starts = analysis.starts
        # Only feature words (stop words dropped) carry evidence: work on their positions.
        kept = sequence.positions
        weights = evidence.shares
        kept_starts = list(map(starts.__getitem__, kept))
        span_starts = [a for a, _b in spans]
        sentence_of = np.searchsorted(span_starts, kept_starts, side="right")
        sentence_score = np.bincount(sentence_of, weights=weights, minlength=len(spans) + 1)[
            1:
        ].tolist()
        kept_weight = weights.tolist()
        cue_hits: list[list[TermHit]] = [[] for _ in spans]
        for hit in self.cues.find(text):
            k = bisect_right(span_starts, hit.start) - 1
            if k >= 0 and hit.end <= spans[k][1]:
                cue_hits[k].append(hit)
        total = sum(v for v in sentence_score if v > 0) or 1.0
        candidates = [k for k in range(len(spans)) if sentence_score[k] > 0 or cue_hits[k]]
        candidates.sort(key=lambda k: (-sentence_score[k], spans[k][0]))
        chosen = sorted(candidates[: self.max_flags], key=lambda k: spans[k][0])
        flags = []
        for k in chosen:
            a, b = spans[k]
            ka, kb = bisect_left(kept_starts, a), bisect_left(kept_starts, b)
            scored = list(zip(kept[ka:kb], kept_weight[ka:kb], strict=True))
            token_ids = range(bisect_left(starts, a), bisect_left(starts, b))
            score = max(0.0, sentence_score[k]) / total
            flags.append(self._flag(analysis, spans[k], score, token_ids, scored, cue_hits[k]))
        return flags

    def _flag(
        self,
        analysis: Analysis,
        span: tuple[int, int],
        score: float,
        token_ids: range,
        scored: list[tuple[int, float]],
        cue_hits: list[TermHit],
    ) -> Flag:
        """Build one Flag with offsets mapped back to the original text."""
        norm = analysis.norm
        original = norm.original
        terms: list[FlagTerm] = []
        seen: set[tuple[int, int, str]] = set()

        def add(start: int, end: int, weight: float, source: str) -> None:
            o_start, o_end = norm.to_original(start, end)
            key = (o_start, o_end, source)
            if key not in seen and o_end > o_start:
                seen.add(key)
                terms.append(FlagTerm(original[o_start:o_end], o_start, o_end, weight, source))

        for hit in cue_hits:
            add(hit.start, hit.end, 1.0, "cue")
        positive = [(i, w) for i, w in scored if w > 0 and _is_wordlike(analysis.tokens[i])]
        positive.sort(key=lambda item: -item[1])
        for i, w in positive[: self.max_terms]:
            start = analysis.starts[i]
            add(start, start + len(analysis.tokens[i]), round(w, 4), "model")
        for i in token_ids:
            tok = analysis.tokens[i]
            if self.tagger.is_seed_term(tok):
                start = analysis.starts[i]
                add(start, start + len(tok), 1.0, "seed")
        terms.sort(key=lambda t: (t.start, t.end, t.source))
        o_start, o_end = norm.to_original(*span)
        return Flag(o_start, o_end, round(score, 4), terms)


def _is_wordlike(token: str) -> bool:
    """Return True if token has a letter, digit or ideograph (not punctuation only)."""
    return any(ch.isalnum() for ch in token)


def _sentences(text: str) -> list[tuple[int, int]]:
    """Split normalised text into sentence spans (end punctuation included, spaces trimmed)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    trimmed: list[tuple[int, int]] = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            trimmed.append((a, b))
    return trimmed


def default_model_path() -> Path:
    """Return where the default model lives: <project>/instance/models/prescreen.joblib."""
    return DEFAULT_MODEL_PATH


def build_default(path: str | os.PathLike[str] | None = None) -> Path:
    """Train the default model from the shipped seed corpus and save it to path."""
    target = Path(path) if path is not None else default_model_path()
    records = load_records(SEED_CORPUS)
    model = train(records, sources=[SEED_CORPUS.name])
    return save(model, target)


def load_default(path: str | os.PathLike[str] | None = None) -> Prescreener:
    """Load the pre-screener from path (default: default_model_path()), training it if absent."""
    target = Path(path) if path is not None else default_model_path()
    if not target.exists():
        logger.warning(
            "no pre-screener model at %s; training one from %s (takes a few seconds)",
            target,
            SEED_CORPUS,
        )
        build_default(target)
        logger.info("trained and saved the default pre-screener model to %s", target)
    return Prescreener.load(target)
