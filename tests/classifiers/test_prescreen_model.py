from __future__ import annotations

import json
from typing import TYPE_CHECKING

import joblib
import pytest

from classifiers.exceptions import DataError, ModelFileError, ModelVersionError
from classifiers.features import feature_counts
from classifiers.tokenizer import analyze
from classifiers.training import (
    Record,
    TrainConfig,
    data_hash,
    evaluate,
    feature_list,
    load,
    load_records,
    save,
    train,
)

if TYPE_CHECKING:
    from pathlib import Path

    from classifiers.training import PrescreenModel

HELD_OUT = [
    ("速转！喝板蓝根能百分之百预防所有病毒，医生都不告诉你。", "misinfo"),
    ("板蓝根不能预防病毒感染，出现症状应及时就医。", "credible"),
]


def test_model_file_records_provenance(seed_model: PrescreenModel, seed_records) -> None:
    meta = seed_model.meta
    assert meta["training"]["data_sha256"] == data_hash(seed_records)
    assert meta["training"]["n"] == len(seed_records)
    assert meta["sklearn_version"] and meta["jieba_version"] == "0.42.1"
    assert meta["model_version"].startswith("prescreen-1.")
    assert meta["created_at"]


def test_round_trip_gives_identical_probabilities(
    seed_model: PrescreenModel, model_path: Path
) -> None:
    loaded = load(model_path)
    assert loaded.version == seed_model.version
    for text, _label in HELD_OUT:
        assert loaded.predict_proba(text) == pytest.approx(
            seed_model.predict_proba(text), abs=1e-12
        )


def test_fast_scorer_matches_the_sklearn_pipeline(model_path: Path, seed_records) -> None:
    model = load(model_path)
    pipeline = model.pipeline()
    texts = [text for text, _label in HELD_OUT] + [r.text for r in seed_records[::7]]
    texts += [
        "疫苗疫苗疫苗，疫苗安全，疫苗安全，疫苗安全。",  # repeated words and bigrams
        "的了是在",  # stop words only: no word features
        "囧囧 龘龘 靐靐",  # words the model has never seen
        "转发",  # one word, no bigram
    ]
    for text in texts:
        doc = feature_list(feature_counts(analyze(text, model.features.hmm), model.features))
        expected = pipeline.predict_proba([doc])[0, 1]
        assert model.predict_proba(text) == pytest.approx(expected, abs=1e-9)


def test_model_separates_unseen_rumor_from_credible_statement(seed_model: PrescreenModel) -> None:
    rumor, credible = (seed_model.predict_proba(text) for text, _ in HELD_OUT)
    assert 0.0 <= credible < 0.5 <= rumor <= 1.0


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("format_version", 999, "格式版本"),
        ("jieba_version", "0.39", "jieba"),
        ("sklearn_version", "0.24.2", "scikit-learn"),
    ],
)
def test_load_refuses_incompatible_versions(
    model_path: Path, tmp_path: Path, key: str, value: object, needle: str
) -> None:
    payload = joblib.load(model_path)
    payload["meta"][key] = value
    tampered = tmp_path / "old.joblib"
    joblib.dump(payload, tampered)
    with pytest.raises(ModelVersionError) as info:
        load(tampered)
    message = str(info.value)
    assert needle in message
    assert "重新训练" in message and "retrain" in message


def test_files_without_the_meta_and_edge_blocks_load_with_them_off(
    model_path: Path, tmp_path: Path
) -> None:
    payload = joblib.load(model_path)
    del payload["features"]["meta"], payload["features"]["edges"]
    older = tmp_path / "older.joblib"
    joblib.dump(payload, older)
    assert load(older).features.meta is False and load(older).features.edges is False
    current = load(model_path).features
    assert current.meta is True and current.edges is True


def test_load_rejects_files_that_are_not_models(tmp_path: Path) -> None:
    junk = tmp_path / "junk.joblib"
    junk.write_bytes(b"not a pickle at all")
    with pytest.raises(ModelFileError, match="无法读取模型文件"):
        load(junk)
    other = tmp_path / "other.joblib"
    joblib.dump({"weights": [1, 2, 3]}, other)
    with pytest.raises(ModelFileError, match="不是预筛模型文件"):
        load(other)
    with pytest.raises(ModelFileError, match="找不到模型文件"):
        load(tmp_path / "missing.joblib")


def test_evaluate_reports_the_cli_metrics(seed_model: PrescreenModel) -> None:
    records = [Record(text, label) for text, label in HELD_OUT]
    metrics = evaluate(seed_model, records)
    assert {"macro_f1", "precision", "recall", "accuracy", "n"} <= metrics.keys()
    assert metrics["n"] == 2
    assert metrics["accuracy"] == 1.0
    json.dumps(metrics)


def test_train_stores_cross_validation_metrics(seed_records: list[Record]) -> None:
    small = seed_records[::3]
    model = train(small, config=TrainConfig(cv_folds=3))
    cv = model.meta["metrics"]["cross_validation"]
    assert cv["folds"] == 3 and cv["n"] == len(small)
    assert 0.5 < cv["macro_f1"] <= 1.0


def test_train_reports_progress(seed_records: list[Record]) -> None:
    calls: list[tuple[str, int, int]] = []
    train(seed_records[:40], lambda *a: calls.append(a), config=TrainConfig(cv_folds=0))
    assert calls[0] == ("tokenize", 1, 40)
    assert ("tokenize", 40, 40) in calls
    assert calls[-1] == ("fit", 1, 1)


def test_data_hash_ignores_order() -> None:
    a, b = Record("甲", "misinfo"), Record("乙", "credible")
    assert data_hash([a, b]) == data_hash([b, a]) != data_hash([a])


def test_train_needs_both_labels() -> None:
    with pytest.raises(DataError, match="credible"):
        train([Record(f"谣言{i}", "misinfo") for i in range(10)])


@pytest.mark.parametrize(
    ("lines", "needle"),
    [
        (['{"text": "疫苗", "label": "fake"}'], "label"),
        (['{"text": "疫苗", "label": "misinfo"}', "{oops"], "第 2 行不是合法的 JSON"),
        (['{"label": "misinfo"}'], "text"),
        (['["疫苗", "misinfo"]'], "JSON 对象"),
        ([], "没有任何记录"),
    ],
)
def test_load_records_rejects_bad_data(write_jsonl, lines: list[str], needle: str) -> None:
    path = write_jsonl(lines)
    with pytest.raises(DataError, match=needle):
        load_records(path)


def test_load_records_reports_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="找不到数据文件"):
        load_records(tmp_path / "nope.jsonl")


def test_save_is_atomic_and_leaves_no_temp_files(
    seed_model: PrescreenModel, tmp_path: Path
) -> None:
    target = save(seed_model, tmp_path / "nested" / "m.joblib")
    assert target.is_file()
    assert [p.name for p in target.parent.iterdir()] == ["m.joblib"]
