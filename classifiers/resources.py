"""Locations of the project's shipped data (seed terms, seed corpus, default model)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEED_TERMS_DIR = PROJECT_ROOT / "data" / "seed_terms"
CORPUS_DIR = PROJECT_ROOT / "data" / "corpus"
SEED_CORPUS = CORPUS_DIR / "prescreen_seed.jsonl"
DEFAULT_MODEL_PATH = PROJECT_ROOT / "instance" / "models" / "prescreen.joblib"


def read_term_file(path: Path) -> list[str]:
    """Return the terms of a one-term-per-line list, without comments and blank lines."""
    terms: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        term = line.strip()
        if term and not term.startswith("#"):
            terms.append(term)
    return terms
