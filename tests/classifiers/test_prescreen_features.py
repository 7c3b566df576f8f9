from __future__ import annotations

from classifiers.features import (
    CHAR,
    EDGE,
    META,
    WORD,
    FeatureConfig,
    char_gram_ids,
    edge_features,
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


def test_edge_features_hold_the_start_end_and_headline() -> None:
    text = "【有毒】今天下午，记者从本市水务集团有关部门获悉：传言不实。详见 http://t.cn/abc"
    edges = edge_features(text)
    assert {"s【", "s【有", "s【有毒", "e U", "e详见", "e。详见"} <= edges
    assert not any(g.startswith("s") and "获悉" in g for g in edges)  # beyond 20 characters
    assert not any(g.startswith("e") and "【" in g for g in edges)
    assert not any("t.cn" in g for g in edges)  # the link is reduced to its marker
    assert {g for g in edges if g.startswith("t")} == {"t有", "t毒", "t有毒"}
    assert edge_features("") == set()
    assert edge_features("无标题短句") == {
        f"{tag}{g}" for tag in "se" for g in ("无", "标", "题", "短", "句", "无标", "标题",
                                             "题短", "短句", "无标题", "标题短", "题短句")
    }  # fmt: skip
    features = feature_counts(analyze(text), FeatureConfig())
    assert set(features[EDGE]) == edges and set(features[EDGE].values()) == {1}
    assert EDGE not in feature_counts(analyze(text), FeatureConfig(edges=False))
