"""Fixtures for the pre-screener tests: one model trained on the shipped seed corpus."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from classifiers.prescreen import Prescreener
from classifiers.resources import SEED_CORPUS
from classifiers.training import PrescreenModel, Record, TrainConfig, load_records, save, train

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


@pytest.fixture(scope="session")
def seed_records() -> list[Record]:
    return load_records(SEED_CORPUS)


@pytest.fixture(scope="session")
def seed_model(seed_records: list[Record]) -> PrescreenModel:
    return train(seed_records, config=TrainConfig(cv_folds=0), sources=["seed"])


@pytest.fixture(scope="session")
def model_path(seed_model: PrescreenModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save(seed_model, tmp_path_factory.mktemp("models") / "prescreen.joblib")


@pytest.fixture(scope="session")
def screener(seed_model: PrescreenModel) -> Prescreener:
    return Prescreener(seed_model)


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[[list[str]], Path]:
    """Return a helper writing raw lines (JSON or deliberately broken) to a temp file."""
    counter = iter(range(1_000_000))

    def write(lines: list[str]) -> Path:
        path = tmp_path / f"data{next(counter)}.jsonl"
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    return write
