from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from classifiers.exceptions import DataError
from classifiers.retrain import retrain, retrain_file, split_holdout
from classifiers.training import Record, TrainConfig, load, save, train

if TYPE_CHECKING:
    from pathlib import Path

    from classifiers.training import PrescreenModel

FAST = TrainConfig(cv_folds=0)


@pytest.fixture(scope="module")
def weak_model(seed_records: list[Record]) -> PrescreenModel:
    """A model trained on a sliver of one topic: any real retrain should beat it."""
    sliver = [r for r in seed_records if r.label == "misinfo"][:6]
    sliver += [r for r in seed_records if r.label == "credible"][-6:]
    return train(sliver, config=FAST)


def test_split_holdout_is_stratified_and_reproducible(seed_records: list[Record]) -> None:
    train_a, hold_a = split_holdout(seed_records, 0.2, seed=1)
    train_b, hold_b = split_holdout(seed_records, 0.2, seed=1)
    assert hold_a == hold_b and train_a == train_b
    assert len(train_a) + len(hold_a) == len(seed_records)
    assert {r.label for r in hold_a} == {"misinfo", "credible"}
    assert not set(hold_a) & set(train_a)


def test_better_candidate_replaces_the_active_model(
    weak_model: PrescreenModel, seed_records: list[Record], tmp_path: Path
) -> None:
    path = save(weak_model, tmp_path / "active.joblib")
    decision = retrain_file(path, seed_records, config=FAST)
    assert decision.accepted
    assert decision.candidate_metrics["macro_f1"] >= decision.current_metrics["macro_f1"]
    assert load(path).version == decision.candidate_version != weak_model.version
    summary = decision.to_dict()
    assert summary["accepted"] is True and "已采用" in summary["reason"]
    assert summary["n_holdout"] + summary["n_train"] == len(seed_records)


def test_worse_candidate_keeps_the_active_model(
    seed_model: PrescreenModel, seed_records: list[Record], tmp_path: Path
) -> None:
    # The active model was trained on every record, so it is perfect on any holdout drawn
    # from them; a candidate trained on a few verdicts alone cannot match it.
    path = save(seed_model, tmp_path / "active.joblib")
    verdicts = seed_records[::8]
    decision = retrain_file(path, verdicts, config=FAST)
    assert decision.current_metrics["macro_f1"] == 1.0
    assert not decision.accepted
    assert "保留当前模型" in decision.reason
    assert load(path).version == seed_model.version


def test_retrain_with_base_records_trains_on_both(
    weak_model: PrescreenModel, seed_records: list[Record]
) -> None:
    base, verdicts = seed_records[::2], seed_records[1::2]
    decision = retrain(weak_model, verdicts, base_records=base, config=FAST)
    assert decision.n_train == len(base) + len(verdicts) - decision.n_holdout
    assert decision.candidate.meta["training"]["sources"] == ["base", "verdicts"]


def test_retrain_rejects_too_few_verdicts(seed_model: PrescreenModel) -> None:
    with pytest.raises(DataError):
        retrain(seed_model, [Record("谣言", "misinfo")], config=FAST)
    with pytest.raises(DataError):
        retrain(seed_model, [], config=FAST)
