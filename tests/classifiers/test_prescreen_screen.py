from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import pytest

from classifiers.prescreen import (
    STATUS_EMPTY,
    STATUS_NOT_CHINESE,
    STATUS_OK,
    Prescreener,
    PrescreenResult,
    load_default,
)
from classifiers.topics import TOPICS

if TYPE_CHECKING:
    from pathlib import Path

RUMOR = (
    "今天天气很好。紧急转发！日本核污水排海以后，海盐全都有辐射，赶紧囤碘盐，"
    "不转不是中国人！碘盐中碘含量很低，靠吃碘盐无法防辐射。"
)


def _check_offsets(text: str, result: PrescreenResult) -> None:
    for flag in result.flags:
        assert 0 <= flag.start < flag.end <= len(text)
        for term in flag.terms:
            assert text[term.start : term.end] == term.term
            assert flag.start <= term.start < term.end <= flag.end


def test_rumor_gets_high_risk_topics_and_flags(screener: Prescreener) -> None:
    result = screener.screen(RUMOR)
    assert result.status == STATUS_OK
    assert result.risk >= 0.5
    assert result.model_version == screener.version
    assert result.topics[0].code == "energy_nuclear"
    assert result.topics[0].name == TOPICS["energy_nuclear"] == "能源与核辐射"
    assert result.flags
    _check_offsets(RUMOR, result)
    sources = {term.source for flag in result.flags for term in flag.terms}
    assert sources == {"model", "seed", "cue"}
    cues = {term.term for flag in result.flags for term in flag.terms if term.source == "cue"}
    assert {"紧急转发", "不转不是中国人"} <= cues


def test_most_suspicious_sentence_scores_highest(screener: Prescreener) -> None:
    result = screener.screen(RUMOR)
    top = max(result.flags, key=lambda f: f.score)
    assert "囤碘盐" in RUMOR[top.start : top.end]
    assert all(0.0 <= f.score <= 1.0 for f in result.flags)


def test_offsets_survive_full_width_zero_width_and_emoji(screener: Prescreener) -> None:
    text = "😱😱震惊！！转\u200b发\u200b给家人：打完疫苗１００％会得白血病，医生都不敢说，速转！"
    result = screener.screen(text)
    assert result.risk >= 0.5
    _check_offsets(text, result)
    terms = {term.term for flag in result.flags for term in flag.terms}
    assert "１００％" in terms  # the cue 100% found in its full-width original form
    assert "疫苗" in terms


def test_credible_text_is_low_risk_without_flags(screener: Prescreener) -> None:
    result = screener.screen(
        "接种流感疫苗是预防流感的有效手段，接种后可能出现接种部位疼痛等轻微反应。"
    )
    assert result.risk < 0.5
    assert result.flags == []
    assert "medicine_health" in [t.code for t in result.topics]


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("", STATUS_EMPTY),
        ("   \n\t ", STATUS_EMPTY),
        ("😀😂🔥👍🏻❤️", STATUS_EMPTY),
        ("https://example.com/a?b=c @someone", STATUS_EMPTY),
        ("Vaccines cause autism, share before it is deleted!", STATUS_NOT_CHINESE),
        ("12345 !!! ???", STATUS_NOT_CHINESE),
    ],
)
def test_unscreenable_input_gives_clear_empty_result(
    screener: Prescreener, text: str, status: str
) -> None:
    result = screener.screen(text)
    assert (result.status, result.risk, result.topics, result.flags) == (status, 0.0, [], [])
    assert result.model_version == screener.version


def test_huge_input_is_truncated_not_crashed(screener: Prescreener) -> None:
    text = ("核污水排海后海盐都有辐射，赶紧囤碘盐！" * 60_000)[:1_000_000]
    assert len(text) == 1_000_000
    result = screener.screen(text)
    assert result.truncated is True
    assert result.status == STATUS_OK
    assert 0.0 <= result.risk <= 1.0
    assert len(result.flags) <= screener.max_flags
    _check_offsets(text, result)


def test_non_string_input_is_a_type_error(screener: Prescreener) -> None:
    with pytest.raises(TypeError):
        screener.screen(None)  # type: ignore[arg-type]


def test_result_is_json_safe(screener: Prescreener) -> None:
    data = screener.screen(RUMOR).to_dict()
    round_tripped = json.loads(json.dumps(data, ensure_ascii=False))
    assert round_tripped == data
    assert set(data) == {"model_version", "risk", "topics", "flags", "status", "truncated"}
    term = data["flags"][0]["terms"][0]
    assert set(term) == {"term", "start", "end", "weight", "source"}
    assert set(data["topics"][0]) == {"code", "name", "score"}


def test_prescreener_load_uses_the_model_file(model_path: Path, screener: Prescreener) -> None:
    loaded = Prescreener.load(model_path)
    assert loaded.version == screener.version
    assert loaded.screen(RUMOR).risk == screener.screen(RUMOR).risk


def test_load_default_trains_and_saves_when_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "instance" / "models" / "prescreen.joblib"
    with caplog.at_level(logging.INFO, logger="classifiers.prescreen"):
        first = load_default(path)
    assert path.is_file()
    assert "training one from" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="classifiers.prescreen"):
        second = load_default(path)
    assert "training one from" not in caplog.text
    assert second.version == first.version
    assert second.model.meta["training"]["sources"] == ["prescreen_seed.jsonl"]
