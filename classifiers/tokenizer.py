"""Text normalisation and jieba tokenisation with offsets into the original text.

Normalisation folds full-width/half-width variants (NFKC), lower-cases, turns emoji,
URLs, @mentions and control characters into spaces, and deletes zero-width and other
invisible format characters. Everything except the deletions keeps the length of the
text, so a character offset in the normalised text maps to the same offset in the
original; when characters were deleted, an offset map is kept instead.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, compress
from operator import sub
from typing import TYPE_CHECKING

import jieba

from classifiers.resources import SEED_TERMS_DIR, read_term_file

if TYPE_CHECKING:
    from collections.abc import Iterable

logger = logging.getLogger(__name__)

# jieba's HMM guesses unknown words; off by default: the user dictionary covers domain
# terms, character n-grams cover the rest, and segmentation is ~30% faster without it.
DEFAULT_HMM = False
# A seed term gets at least this jieba frequency, so it wins against its pieces in context.
USER_TERM_MIN_FREQ = 2000

_DELETED = frozenset(
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x180E, 0x3164, 0xFEFF, 0xFFA0, 0x20E3]
    + list(range(0x200B, 0x2010))  # zero-width space/joiners, LRM/RLM
    + list(range(0x202A, 0x202F))  # bidi embeddings and overrides
    + list(range(0x2060, 0x2070))  # word joiner, invisible operators, bidi isolates
    + list(range(0xFE00, 0xFE10))  # variation selectors
    + list(range(0xE0000, 0xE0080))  # tag characters (emoji flags)
    + list(range(0xE0100, 0xE01F0))  # variation selectors supplement
)
_EMOJI_RANGES = (
    (0x1F000, 0x1FAFF),  # mahjong .. symbols and pictographs extended-A
    (0x2600, 0x27BF),  # miscellaneous symbols, dingbats
    (0x2B00, 0x2BFF),  # miscellaneous symbols and arrows
    (0x2300, 0x23FF),  # miscellaneous technical (watch, hourglass ...)
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3299),
)
_DELETABLE_RE = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_DELETED)) + "]")
_NOISE_RE = re.compile(
    r"(?:https?://|www\.)[\x21-\x7e]+"  # URLs (after NFKC, full-width ASCII is folded)
    r"|(?<![A-Za-z0-9_.])@[\w\-]{1,30}?(?=[\s:;,.!?()\[\]【】，。！？：；（）]|$)"  # @mentions
)
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


def _is_emoji(cp: int) -> bool:
    """Return True for pictographic code points (emoji and dingbats)."""
    return any(lo <= cp <= hi for lo, hi in _EMOJI_RANGES)


class _CharTable(dict[int, str]):
    """Lazily filled str.translate table: every character maps to one character or ''."""

    def __missing__(self, cp: int) -> str:
        ch = chr(cp)
        if cp in _DELETED:
            out = ""
        elif ch == "\n":
            out = "\n"
        elif _is_emoji(cp) or unicodedata.category(ch) in {"Cc", "Zs", "Zl", "Zp", "Co", "Cs"}:
            out = " "
        else:
            folded = unicodedata.normalize("NFKC", ch)
            out = folded if len(folded) == 1 else ch
            lowered = out.lower()
            if len(lowered) == 1:
                out = lowered
        self[cp] = out
        return out


_TABLE = _CharTable()


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text plus the map back to the original text's offsets."""

    original: str
    text: str
    origin: list[int] | None  # origin[i]: original index of text[i]; None means identity

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalised text to the original text."""
        if self.origin is None or start >= end:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1


def _blank(match: re.Match[str]) -> str:
    """Replace a matched span with spaces of the same length."""
    return " " * (match.end() - match.start())


def normalize_aligned(text: str) -> Normalized:
    """Normalise text for tokenisation, keeping a way back to the original offsets."""
    folded = text.translate(_TABLE)
    origin: list[int] | None = None
    if len(folded) != len(text):
        origin = [i for i, ch in enumerate(text) if _TABLE[ord(ch)]]
    if "@" in folded or "http" in folded or "www." in folded:
        folded = _NOISE_RE.sub(_blank, folded)
    return Normalized(original=text, text=folded, origin=origin)


def normalize(text: str) -> str:
    """Return the canonical normalised form of text (noise removed, whitespace collapsed)."""
    return " ".join(normalize_aligned(text).text.split())


def has_chinese(text: str) -> bool:
    """Return True if text contains at least one CJK ideograph."""
    return _CJK_RE.search(text) is not None


@cache
def stopwords() -> frozenset[str]:
    """Return the normalised stop words from data/seed_terms/stopwords.txt."""
    path = SEED_TERMS_DIR / "stopwords.txt"
    return frozenset(normalize(word) for word in read_term_file(path))


def seed_term_files() -> list[tuple[str, list[str]]]:
    """Return (file stem, normalised terms) for every term list except stop words."""
    out: list[tuple[str, list[str]]] = []
    for path in sorted(SEED_TERMS_DIR.glob("*.txt")):
        if path.stem == "stopwords":
            continue
        terms = [t for t in (normalize(term) for term in read_term_file(path)) if t]
        out.append((path.stem, terms))
    return out


def user_dictionary() -> list[str]:
    """Return the words added to jieba's dictionary: all seed terms and rumor cues."""
    words: dict[str, None] = {}
    for _stem, terms in seed_term_files():
        for term in terms:
            if " " not in term:
                words[term] = None
    return list(words)


_lock = threading.Lock()
_jieba: jieba.Tokenizer | None = None


def _build_jieba(words: Iterable[str]) -> jieba.Tokenizer:
    """Create a private jieba tokenizer with the project's user dictionary."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    count = 0
    for word in words:
        freq = max(tokenizer.suggest_freq(word), USER_TERM_MIN_FREQ)
        tokenizer.add_word(word, freq=freq)
        count += 1
    logger.info("jieba initialised with %d user dictionary terms", count)
    return tokenizer


def get_jieba() -> jieba.Tokenizer:
    """Return the process-wide jieba tokenizer, initialising it on first use (thread-safe)."""
    global _jieba
    tokenizer = _jieba
    if tokenizer is None:
        with _lock:
            if _jieba is None:
                _jieba = _build_jieba(user_dictionary())
            tokenizer = _jieba
    return tokenizer


@dataclass(frozen=True, slots=True)
class Analysis:
    """A normalised text and its tokens (whitespace dropped) with normalised-text offsets."""

    norm: Normalized
    tokens: list[str]
    starts: list[int]


def analyze(text: str, hmm: bool = DEFAULT_HMM) -> Analysis:
    """Normalise and tokenise text; token offsets index the normalised text."""
    return analyze_normalized(normalize_aligned(text), hmm)


def analyze_normalized(norm: Normalized, hmm: bool = DEFAULT_HMM) -> Analysis:
    """Tokenise already normalised text; token offsets index norm.text."""
    pieces = get_jieba().lcut(norm.text, HMM=hmm)
    lengths = list(map(len, pieces))
    starts_all = list(map(sub, accumulate(lengths), lengths))
    keep = [not piece.isspace() for piece in pieces]
    tokens = list(compress(pieces, keep))
    starts = list(compress(starts_all, keep))
    return Analysis(norm=norm, tokens=tokens, starts=starts)


@dataclass(frozen=True, slots=True)
class Token:
    """A token in normalised form with its span in the original text."""

    text: str
    start: int
    end: int


def tokenize(text: str, hmm: bool = DEFAULT_HMM) -> list[Token]:
    """Tokenise text; each token's start/end index the original (unnormalised) text."""
    result = analyze(text, hmm)
    out: list[Token] = []
    for tok, start in zip(result.tokens, result.starts, strict=True):
        o_start, o_end = result.norm.to_original(start, start + len(tok))
        out.append(Token(text=tok, start=o_start, end=o_end))
    return out
