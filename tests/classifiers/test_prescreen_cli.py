from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from app.commands.prescreen import prescreen_cli
from classifiers.resources import SEED_CORPUS

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _assert_clean_failure(result, needle: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # no uncaught traceback
    assert "Traceback" not in result.output
    assert result.stderr.startswith("错误：")
    assert needle in result.stderr


def test_train_eval_run_round_trip(runner: CliRunner, tmp_path: Path, write_jsonl) -> None:
    model = tmp_path / "m.joblib"
    result = runner.invoke(
        prescreen_cli, ["train", "--data", str(SEED_CORPUS), "--out", str(model), "--no-cv"]
    )
    assert result.exit_code == 0, result.output
    assert model.is_file()
    assert "分词" in result.stderr  # tqdm progress bar on stderr

    result = runner.invoke(
        prescreen_cli, ["eval", "--model", str(model), "--data", str(SEED_CORPUS)]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"macro_f1", "precision", "recall", "accuracy", "n"} <= metrics.keys()
    lines = SEED_CORPUS.read_text(encoding="utf-8").splitlines()
    assert metrics["n"] == sum(1 for line in lines if line.strip())

    data = write_jsonl(
        [
            json.dumps({"text": "紧急转发！吃碘盐能防核辐射，赶紧囤盐！"}, ensure_ascii=False),
            json.dumps({"text": ""}),
            json.dumps({"text": "碘盐不能防辐射。", "label": "credible"}, ensure_ascii=False),
        ]
    )
    out = tmp_path / "results.jsonl"
    result = runner.invoke(
        prescreen_cli, ["run", "--model", str(model), "--data", str(data), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3
    assert rows[0]["risk"] > rows[2]["risk"]
    assert rows[1]["status"] == "empty"
    assert {"risk", "topics", "flags", "model_version"} <= rows[0].keys()


def test_run_writes_to_stdout_without_out(runner: CliRunner, model_path: Path, write_jsonl) -> None:
    data = write_jsonl([json.dumps({"text": "核电站会像原子弹一样爆炸"}, ensure_ascii=False)])
    result = runner.invoke(prescreen_cli, ["run", "--model", str(model_path), "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1
    assert json.loads(result.stdout)["status"] == "ok"


@pytest.mark.parametrize(
    ("lines", "needle"),
    [
        (['{"text": "疫苗致癌", "label": "maybe"}'], "label"),
        (['{"text": "疫苗致癌", "label": "misinfo"}', "not json"], "第 2 行不是合法的 JSON"),
        ([], "没有任何记录"),
        (['{"text": "疫苗致癌", "label": "misinfo"}'], "两类都需要"),
    ],
)
def test_train_rejects_bad_data(
    runner: CliRunner, tmp_path: Path, write_jsonl, lines: list[str], needle: str
) -> None:
    data = write_jsonl(lines)
    result = runner.invoke(
        prescreen_cli, ["train", "--data", str(data), "--out", str(tmp_path / "m.joblib")]
    )
    _assert_clean_failure(result, needle)
    assert not (tmp_path / "m.joblib").exists()


def test_train_reports_missing_data_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        prescreen_cli,
        ["train", "--data", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "m.joblib")],
    )
    _assert_clean_failure(result, "找不到数据文件")


def test_eval_reports_missing_model(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        prescreen_cli, ["eval", "--model", str(tmp_path / "m.joblib"), "--data", str(SEED_CORPUS)]
    )
    _assert_clean_failure(result, "找不到模型文件")


def test_eval_rejects_wrong_label(runner: CliRunner, model_path: Path, write_jsonl) -> None:
    data = write_jsonl(['{"text": "疫苗", "label": "true"}'])
    result = runner.invoke(prescreen_cli, ["eval", "--model", str(model_path), "--data", str(data)])
    _assert_clean_failure(result, "label")


def test_run_rejects_lines_without_text(runner: CliRunner, model_path: Path, write_jsonl) -> None:
    data = write_jsonl(['{"body": "疫苗"}'])
    result = runner.invoke(prescreen_cli, ["run", "--model", str(model_path), "--data", str(data)])
    _assert_clean_failure(result, "text")


def test_run_reports_unwritable_output(
    runner: CliRunner, model_path: Path, tmp_path: Path, write_jsonl
) -> None:
    data = write_jsonl(['{"text": "疫苗"}'])
    out = tmp_path / "missing-dir" / "out.jsonl"
    result = runner.invoke(
        prescreen_cli, ["run", "--model", str(model_path), "--data", str(data), "--out", str(out)]
    )
    _assert_clean_failure(result, "文件读写失败")


def test_missing_required_option_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(prescreen_cli, ["eval", "--data", str(SEED_CORPUS)])
    assert result.exit_code == 2
