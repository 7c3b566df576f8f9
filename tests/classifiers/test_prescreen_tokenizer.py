from __future__ import annotations

import threading

import jieba

from classifiers import tokenizer
from classifiers.features import word_sequence
from classifiers.tokenizer import (
    analyze,
    get_jieba,
    normalize,
    normalize_aligned,
    stopwords,
    tokenize,
)


def test_normalize_folds_full_width_and_case() -> None:
    assert normalize("ＡＢＣ１２３，ＰＭ２．５") == "abc123,pm2.5"


def test_normalize_removes_zero_width_url_mention_and_emoji() -> None:
    text = "转\u200b基\ufeff因😀 详见 https://t.cn/A6x?x=1 转发@人民日报：看"
    assert normalize(text) == "转基因 详见 转发 :看"


def test_normalize_collapses_whitespace() -> None:
    assert normalize("  核电站 \t\n\n  辐射  ") == "核电站 辐射"


def test_normalize_keeps_email_addresses_whole() -> None:
    assert normalize("写信到 kepu@example.org 咨询") == "写信到 kepu@example.org 咨询"


def test_aligned_normalization_keeps_length_without_deletions() -> None:
    text = "１００％有效😀 http://x.cn"
    norm = normalize_aligned(text)
    assert len(norm.text) == len(text)
    assert norm.origin is None


def test_token_offsets_index_the_original_text() -> None:
    text = "紧急！！转\u200b基因食品１００％致癌😱，@某某 说的"
    tokens = tokenize(text)
    for tok in tokens:
        assert normalize(text[tok.start : tok.end]) == tok.text
    assert "100%" in [t.text for t in tokens]
    gmo = next(t for t in tokens if t.text.startswith("转基因"))
    assert text[gmo.start : gmo.end].replace("\u200b", "") == gmo.text


def test_user_dictionary_keeps_domain_terms_whole() -> None:
    sentence = "日本排放核污水入海，实现碳中和，食品添加剂都是有害的吗"
    terms = ["核污水", "碳中和", "食品添加剂"]
    default_tokens = jieba.Tokenizer().lcut(sentence)  # default dictionary only
    # Precondition: without the user dictionary these terms are split.
    assert not any(term in default_tokens for term in terms)
    ours = get_jieba().lcut(sentence)
    assert all(term in ours for term in terms)


def test_user_dictionary_terms_come_from_seed_files() -> None:
    words = set(tokenizer.user_dictionary())
    assert {"转基因", "核污水", "食品添加剂", "疫苗", "碳达峰"} <= words
    assert "不转不是中国人" in words  # rumor cues are dictionary words too
    assert "的" not in words  # stop words are not


def test_jieba_is_initialised_once_across_threads() -> None:
    seen: list[object] = []

    def grab() -> None:
        seen.append(get_jieba())

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(x) for x in seen}) == 1


def test_stopwords_are_dropped_from_the_word_sequence() -> None:
    assert "的" in stopwords()
    analysis = analyze("疫苗的安全性，疫苗")
    sequence = word_sequence(analysis)
    assert sequence.words == ["疫苗", "安全性", ",", "疫苗"]  # punctuation stays a feature
    assert [analysis.tokens[i] for i in sequence.positions] == sequence.words
    assert sequence.bigrams == ["疫苗 安全性", "安全性 ,", ", 疫苗"]
    assert word_sequence(analysis, bigrams=False).bigrams == []
