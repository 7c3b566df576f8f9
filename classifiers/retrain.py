"""Retrain the risk model from expert verdicts; promote it only if it is not worse."""

from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifiers.exceptions import DataError
from classifiers.training import (
    CREDIBLE,
    MISINFO,
    PrescreenModel,
    Record,
    TrainConfig,
    evaluate,
    load,
    save,
    train,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from classifiers.training import ProgressFn

logger = logging.getLogger(__name__)

METRIC = "macro_f1"


@dataclass(frozen=True, slots=True)
class RetrainDecision:
    """Outcome of a retrain: both models' held-out metrics and whether the new one wins."""

    accepted: bool
    current_version: str
    candidate_version: str
    current_metrics: dict[str, Any]
    candidate_metrics: dict[str, Any]
    n_train: int
    n_holdout: int
    candidate: PrescreenModel

    @property
    def reason(self) -> str:
        """Return a one-line Chinese explanation of the decision."""
        old, new = self.current_metrics[METRIC], self.candidate_metrics[METRIC]
        if self.accepted:
            return f"新模型在留出集上的 macro-F1 为 {new}，不低于当前模型的 {old}，已采用"
        return f"新模型在留出集上的 macro-F1 为 {new}，低于当前模型的 {old}，保留当前模型"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe summary (without the model itself)."""
        return {
            "accepted": self.accepted,
            "reason": self.reason,
            "current_version": self.current_version,
            "candidate_version": self.candidate_version,
            "current_metrics": self.current_metrics,
            "candidate_metrics": self.candidate_metrics,
            "n_train": self.n_train,
            "n_holdout": self.n_holdout,
        }


def split_holdout(
    records: Sequence[Record], fraction: float = 0.2, seed: int = 0
) -> tuple[list[Record], list[Record]]:
    """Split records into (train, holdout), stratified by label, reproducibly."""
    rng = random.Random(seed)
    train_part: list[Record] = []
    holdout: list[Record] = []
    for label in (MISINFO, CREDIBLE):
        group = [r for r in records if r.label == label]
        rng.shuffle(group)
        k = max(1, round(len(group) * fraction)) if len(group) > 1 else 0
        holdout.extend(group[:k])
        train_part.extend(group[k:])
    if not holdout or {r.label for r in holdout} != {MISINFO, CREDIBLE}:
        raise DataError("专家结论数据太少，无法留出两类评估样本 / too few verdicts for a holdout")
    return train_part, holdout


def retrain(
    current: PrescreenModel,
    verdicts: Sequence[Record],
    *,
    base_records: Sequence[Record] = (),
    holdout_fraction: float = 0.2,
    seed: int = 0,
    config: TrainConfig | None = None,
    progress: ProgressFn | None = None,
) -> RetrainDecision:
    """Train a candidate on base records plus most verdicts; compare both on the rest."""
    if not verdicts:
        raise DataError("没有专家结论数据 / no verdict records")
    train_part, holdout = split_holdout(verdicts, holdout_fraction, seed)
    training = [*base_records, *train_part]
    candidate = train(
        training,
        progress,
        config=config,
        sources=["base", "verdicts"] if base_records else ["verdicts"],
    )
    current_metrics = evaluate(current, holdout)
    candidate_metrics = evaluate(candidate, holdout)
    accepted = candidate_metrics[METRIC] >= current_metrics[METRIC]
    decision = RetrainDecision(
        accepted=accepted,
        current_version=current.version,
        candidate_version=candidate.version,
        current_metrics=current_metrics,
        candidate_metrics=candidate_metrics,
        n_train=len(training),
        n_holdout=len(holdout),
        candidate=candidate,
    )
    logger.info("retrain %s vs %s: %s", candidate.version, current.version, decision.reason)
    return decision


def retrain_file(
    model_path: str | os.PathLike[str],
    verdicts: Sequence[Record],
    **kwargs: Any,
) -> RetrainDecision:
    """Retrain the model stored at model_path and replace the file only if accepted."""
    path = Path(model_path)
    decision = retrain(load(path), verdicts, **kwargs)
    if decision.accepted:
        save(decision.candidate, path)
    return decision
