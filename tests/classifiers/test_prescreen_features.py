from __future__ import annotations

from classifiers.features import (
    CHAR,
    META,
    WORD,
    FeatureConfig,
    char_gram_ids,
    feature_counts,
    meta_features,
)
from classifiers.tokenizer import analyze


def test_char_gram_hashing_is_stable() -> None:
    # Saved models index these buckets: a change here must bump training.FORMAT_VERSION.
    assert char_gram_ids("核污水 排海", 2, 3).tolist() == [
        103049, 153207, 159465, 237345, 342229, 360014, 481656, 617194, 919351,
    ]  # fmt: skip


def test_char_grams_are_binary_and_ignore_whitespace_runs() -> None:
    once = char_gram_ids("核污水 排海", 2, 3)
    assert char_gram_ids("核污水   排海\n", 2, 3).tolist() == once.tolist()
    assert char_gram_ids("核污水 排海核污水 排海", 2, 3).size < 2 * once.size
    assert char_gram_ids("核", 2, 3).size == 0


def test_feature_counts_drop_stop_words_and_count_bigrams() -> None:
    features = feature_counts(analyze("疫苗的安全性，疫苗的安全性"), FeatureConfig())
    assert "的" not in features[WORD]
    assert features[WORD]["疫苗"] == 2
    assert features["b"]["疫苗 安全性"] == 2
    assert features[CHAR].size > 0
    assert CHAR not in feature_counts(analyze("疫苗"), FeatureConfig(char_max=0))


def test_meta_features_read_the_original_text() -> None:
    text = "太吓人了！！[衰] //@某人: http://t.cn/abc #话题#"
    features = feature_counts(analyze(text), FeatureConfig())
    meta = features[META]
    assert {"url", "at", "repost", "topic", "excl", "excl2", "emoticon", "latin"} <= set(meta)
    assert "question" not in meta
    assert set(meta.values()) == {1}
    assert meta_features("短") == {"len0": 1}
    assert meta_features("字" * 1000)["len8"] == 1
    assert META not in feature_counts(analyze(text), FeatureConfig(meta=False))
