"""`kepu prescreen ...`: train, evaluate and run the misinformation pre-screener."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from typing import IO, TYPE_CHECKING, Any

import click
from flask.cli import AppGroup, with_appcontext

from classifiers.exceptions import PrescreenError
from classifiers.prescreen import Prescreener, build_default, default_model_path
from classifiers.retrain import retrain_file
from classifiers.training import evaluate, load, load_records, load_texts, save, train

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tqdm import tqdm

STAGES = {"tokenize": "分词", "fit": "训练与交叉验证"}

prescreen_cli = AppGroup("prescreen", help="科普内容谣言预筛模型：训练、评估与批量预筛。")


class CommandError(click.ClickException):
    """A user-facing failure: printed in Chinese to stderr, exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the message without Click's English prefix."""
        click.echo(f"错误：{self.format_message()}", err=True, file=file)


class _Progress:
    """Train progress callback drawing one tqdm bar per stage on stderr."""

    def __init__(self) -> None:
        self._stage: str | None = None
        self._bar: tqdm | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = tqdm(total=total, desc=STAGES.get(stage, stage), file=sys.stderr)
        if self._bar is not None:
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        """Close the current bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _run(action: Callable[[], None]) -> None:
    """Run a command body, turning pre-screener and I/O errors into clear messages."""
    try:
        action()
    except PrescreenError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"文件读写失败：{exc.filename or ''} {exc.strerror or exc}") from None


def _dump(obj: object) -> str:
    """Serialise one JSON line (UTF-8, Chinese kept readable)."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=False)


@prescreen_cli.command("train", with_appcontext=False)
@click.option("--data", "data", multiple=True, required=True, help="训练数据 JSONL，可重复指定")
@click.option("--out", "out", required=True, help="输出模型文件路径（joblib）")
@click.option("--no-cv", is_flag=True, help="跳过交叉验证指标（更快）")
def train_command(data: tuple[str, ...], out: str, no_cv: bool) -> None:
    """训练谣言风险模型。数据每行为 {"text": ..., "label": "misinfo"|"credible"}。"""

    def action() -> None:
        from classifiers.training import TrainConfig

        records = [record for path in data for record in load_records(path)]
        progress = _Progress()
        try:
            config = TrainConfig(cv_folds=0) if no_cv else TrainConfig()
            model = train(records, progress, config=config, sources=list(data))
        finally:
            progress.close()
        save(model, out)
        click.echo(f"已训练模型 {model.version}（{len(records)} 条样本），保存到 {out}")
        cv = model.meta["metrics"].get("cross_validation")
        if cv:
            click.echo(_dump({"cross_validation": cv}))

    _run(action)


@prescreen_cli.command("eval", with_appcontext=False)
@click.option("--model", "model_path", required=True, help="模型文件路径")
@click.option("--data", "data", required=True, help="带标签的评估数据 JSONL")
@click.option("--threshold", type=float, default=None, help="判为谣言的概率阈值（默认用模型的）")
def eval_command(model_path: str, data: str, threshold: float | None) -> None:
    """评估模型；最后一行输出 JSON 指标（macro_f1、precision、recall、accuracy、n）。"""

    def action() -> None:
        model = load(model_path)
        records = load_records(data)
        metrics = evaluate(model, records, threshold)
        click.echo(f"模型 {model.version} 在 {data} 上的评估结果（{len(records)} 条）：")
        click.echo(_dump(metrics))

    _run(action)


@prescreen_cli.command("run", with_appcontext=False)
@click.option("--model", "model_path", required=True, help="模型文件路径")
@click.option("--data", "data", required=True, help="待预筛数据 JSONL（每行含 text 字段）")
@click.option("--out", "out", default=None, help="结果输出文件（默认标准输出）")
def run_command(model_path: str, data: str, out: str | None) -> None:
    """批量预筛：每行输入输出一行 JSON 结果（risk、topics、flags）。"""

    def action() -> None:
        screener = Prescreener.load(model_path)
        texts = load_texts(data)
        with ExitStack() as stack:
            sink: IO[str] = (
                stack.enter_context(open(out, "w", encoding="utf-8")) if out else sys.stdout
            )
            for line in _results(screener, texts):
                sink.write(line + "\n")
        if out:
            click.echo(f"已预筛 {len(texts)} 条，结果写入 {out}", err=True)

    _run(action)


def _results(screener: Prescreener, texts: list[str]) -> Iterator[str]:
    """Yield one JSON line per screened text."""
    for text in texts:
        yield _dump(screener.screen(text).to_dict())


@prescreen_cli.command("build-default", with_appcontext=False)
@click.option(
    "--out", "out", default=None, help="模型文件路径（默认 instance/models/prescreen.joblib）"
)
def build_default_command(out: str | None) -> None:
    """用项目自带的种子语料（data/corpus）训练默认模型。"""

    def action() -> None:
        path = build_default(out)
        click.echo(f"默认预筛模型已保存到 {path}")

    _run(action)


@prescreen_cli.command("retrain", with_appcontext=False)
@click.option(
    "--model",
    "model_path",
    default=None,
    help="当前模型文件（默认 instance/models/prescreen.joblib）",
)
@click.option("--data", "data", required=True, help="导出的专家结论 JSONL")
@click.option("--base", "base", multiple=True, help="额外的基础训练数据 JSONL，可重复指定")
def retrain_command(model_path: str | None, data: str, base: tuple[str, ...]) -> None:
    """用专家结论重新训练；仅当新模型在留出集上不差于当前模型时替换。"""

    def action() -> None:
        path = model_path or str(default_model_path())
        verdicts = load_records(data)
        base_records = [record for p in base for record in load_records(p)]
        decision = retrain_file(path, verdicts, base_records=base_records)
        click.echo(decision.reason)
        click.echo(_dump(decision.to_dict()))

    _run(action)


@prescreen_cli.command("export-verdicts")
@click.option("--out", "out", default=None, help="输出 JSONL 文件（默认输出到标准输出）")
@with_appcontext
def export_verdicts_command(out: str | None) -> None:
    """导出专家结论（科学性审核通过 → credible，因事实错误/依据不足被退回或拒绝 → misinfo）。"""
    from app.extensions import get_db
    from review.services.prescreens import export_verdicts

    rows = export_verdicts(get_db())
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if out is None:
        click.echo(lines, nl=False)
    else:
        try:
            with open(out, "w", encoding="utf-8") as f:
                f.write(lines)
        except OSError as exc:
            raise CommandError(f"无法写入 {out}：{exc.strerror}") from exc
    click.echo(f"已导出 {len(rows)} 条专家结论", err=True)
