"""Benchmark the misinformation pre-screener on the shared public datasets (not a test).

Usage: .venv/bin/python bench/bench_prescreen.py ../shared/datasets [--quick]

Accuracy: trains on CHECKED train, picks C on CHECKED dev and reports dev macro-F1
(the published baselines, TextCNN 0.938 and Transformer 0.927, are on the test split,
which is not available here); 5-fold cross-validated macro-F1 on CED train, with C picked
inside each outer fold by 3-fold CV on that fold's training part (nested CV: the test
fold never influences C).
Speed: screen() against jieba.lcut on the same 3,000-character articles in one run,
model load time after jieba is initialised, and documents/s (1 and 2 processes).
Models trained here go to a temporary directory and are deleted: nothing derived from
the datasets is written into the project.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jieba  # noqa: E402
import numpy as np  # noqa: E402

from classifiers.features import FeatureConfig  # noqa: E402
from classifiers.prescreen import Prescreener  # noqa: E402
from classifiers.tokenizer import get_jieba  # noqa: E402
from classifiers.training import (  # noqa: E402
    DEFAULT_THRESHOLD,
    TrainConfig,
    _binary_metrics,
    _cross_validate,
    _featurize,
    _fit,
    evaluate,
    load_records,
    save,
    train,
)

ARTICLE_CHARS = 3000
N_ARTICLES = 100
_worker: Prescreener | None = None


def _section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def nested_cv(
    docs: list[list[str]], y: list[int], grid: list[float], folds: int = 5, inner: int = 3
) -> tuple[dict[str, Any], list[float]]:
    """Return outer-fold CV metrics with C chosen per fold by inner CV, and the chosen Cs."""
    from sklearn.model_selection import StratifiedKFold

    y_arr = np.asarray(y)
    prob = np.zeros(len(docs))
    chosen: list[float] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train_idx, test_idx in splitter.split(np.zeros(len(docs)), y_arr):
        train_docs = [docs[i] for i in train_idx]
        train_y = [int(v) for v in y_arr[train_idx]]
        scores = [
            _cross_validate(train_docs, train_y, TrainConfig(C=c, cv_folds=inner))["macro_f1"]
            for c in grid
        ]
        c = grid[int(np.argmax(scores))]
        chosen.append(c)
        pipeline = _fit(train_docs, train_y, TrainConfig(C=c))
        prob[test_idx] = pipeline.predict_proba([docs[i] for i in test_idx])[:, 1]
    metrics = _binary_metrics(y_arr, prob, DEFAULT_THRESHOLD)
    metrics["folds"] = folds
    return metrics, chosen


def accuracy(datasets: Path, grid: list[float], results: dict[str, Any], tmp: Path) -> Path:
    """Tune C on CHECKED dev, report dev metrics and CED 5-fold CV; return the model path."""
    train_records = load_records(datasets / "checked_train.jsonl")
    dev_records = load_records(datasets / "checked_dev.jsonl")
    _section("CHECKED: train on checked_train, tune C on checked_dev")
    best: tuple[float, float, Any] | None = None
    for c in grid:
        config = TrainConfig(C=c, cv_folds=0)
        t0 = time.perf_counter()
        model = train(train_records, config=config, sources=["checked_train"])
        metrics = evaluate(model, dev_records)
        print(
            f"C={c:<5} dev macro-F1 {metrics['macro_f1']:.4f}  precision {metrics['precision']:.4f}"
            f"  recall {metrics['recall']:.4f}  accuracy {metrics['accuracy']:.4f}"
            f"  (train {time.perf_counter() - t0:.1f} s)",
            flush=True,
        )
        if best is None or metrics["macro_f1"] > best[1]:
            best = (c, metrics["macro_f1"], model)
    assert best is not None
    chosen_c, _f1, model = best
    dev = evaluate(model, dev_records)
    results["checked_dev"] = dev | {"C": chosen_c}
    print(f"chosen C={chosen_c}: checked_dev macro-F1 {dev['macro_f1']:.4f} (target >= 0.97)")
    path = save(model, tmp / "checked.joblib")

    _section("CED: 5-fold cross-validation on ced_train (C by inner 3-fold CV per fold)")
    ced = load_records(datasets / "ced_train.jsonl")
    t0 = time.perf_counter()
    docs = _featurize(ced, TrainConfig().features, None)
    cv, cs = nested_cv(docs, [r.y for r in ced], grid)
    results["ced_cv5"] = cv | {"C_per_fold": cs}
    print(
        f"CED 5-fold macro-F1 {cv['macro_f1']:.4f}  precision {cv['precision']:.4f}"
        f"  recall {cv['recall']:.4f}  accuracy {cv['accuracy']:.4f}  n {cv['n']}"
        f"  C per fold {cs}  ({time.perf_counter() - t0:.1f} s; target >= 0.93)"
    )
    return path


def _articles(datasets: Path) -> list[str]:
    """Build 3,000-character articles by concatenating dataset posts."""
    texts: list[str] = []
    for name in ("ced_train.jsonl", "checked_train.jsonl"):
        with (datasets / name).open(encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    joined = "\n".join(texts)
    return [joined[i * ARTICLE_CHARS : (i + 1) * ARTICLE_CHARS] for i in range(N_ARTICLES)]


def _timed(fn: Any, docs: list[str]) -> float:
    t0 = time.perf_counter()
    for doc in docs:
        fn(doc)
    return time.perf_counter() - t0


def _init_worker(path: str) -> None:
    global _worker
    jieba.setLogLevel(40)
    get_jieba()
    _worker = Prescreener.load(path)


def _screen_one(doc: str) -> float:
    assert _worker is not None
    return _worker.screen(doc).risk


def speed(datasets: Path, model_path: Path, results: dict[str, Any], repeats: int) -> None:
    """Compare screen() with jieba.lcut, time model loading, and measure documents/s."""
    _section("Speed")
    articles = _articles(datasets)
    jieba.initialize()
    get_jieba()

    loads = []
    for _ in range(3):
        t0 = time.perf_counter()
        screener = Prescreener.load(model_path)
        loads.append(time.perf_counter() - t0)
    results["model_load_s"] = {"first": round(loads[0], 3), "best": round(min(loads), 3)}
    size_mb = model_path.stat().st_size / 1e6
    print(
        f"model load after jieba init: first {loads[0]:.3f} s, best {min(loads):.3f} s"
        f" ({size_mb:.1f} MB file, {screener.model.meta['n_features']} features; target < 1 s)"
    )

    for doc in articles[:5]:  # warm up caches
        screener.screen(doc)
        jieba.lcut(doc)
    gc.collect()  # leave the accuracy section's garbage out of the timings
    plain: dict[str, list[float]] = {"jieba.lcut": [], "jieba.lcut(HMM=False)": [], "screen": []}
    for _ in range(repeats):  # interleaved; the figures use the best round of each
        plain["jieba.lcut"].append(_timed(jieba.lcut, articles))
        plain["jieba.lcut(HMM=False)"].append(_timed(lambda d: jieba.lcut(d, HMM=False), articles))
        plain["screen"].append(_timed(screener.screen, articles))
    rounds = sorted(s / j for s, j in zip(plain["screen"], plain["jieba.lcut"], strict=True))
    best = {name: min(times) for name, times in plain.items()}
    flagged = sum(1 for doc in articles if screener.screen(doc).flags)
    per_doc = {name: round(t / len(articles) * 1000, 3) for name, t in best.items()}
    ratio = best["screen"] / best["jieba.lcut"]
    ratio_same = best["screen"] / best["jieba.lcut(HMM=False)"]
    results["speed"] = {
        "article_chars": ARTICLE_CHARS,
        "articles": len(articles),
        "flagged_articles": flagged,
        "ms_per_doc": per_doc,
        "ratio_screen_vs_jieba_lcut": round(ratio, 3),
        "ratio_screen_vs_jieba_lcut_hmm_off": round(ratio_same, 3),
        "ratio_per_round": [round(r, 3) for r in rounds],
        "docs_per_s_1_process": round(len(articles) / best["screen"], 1),
    }
    for name, ms in per_doc.items():
        print(f"{name:<24} {ms:8.3f} ms per 3,000-char article")
    print(f"({flagged}/{len(articles)} articles flagged, i.e. explanations computed)")
    print(f"screen / jieba.lcut (default, HMM on)    = {ratio:.3f}x (target <= 1.2x)")
    print(f"  the same ratio in each round (sorted): {', '.join(f'{r:.3f}' for r in rounds)}")
    print(f"screen / jieba.lcut(HMM=False)           = {ratio_same:.3f}x (same segmentation mode)")
    print(f"documents/s, 1 process: {len(articles) / best['screen']:.1f}")

    workers = min(2, os.cpu_count() or 1)
    ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(str(model_path),)) as pool:
        pool.map(_screen_one, articles[:4])  # make sure both workers are initialised
        batch = articles * 3
        t0 = time.perf_counter()
        pool.map(_screen_one, batch, chunksize=10)
        elapsed = time.perf_counter() - t0
    results["speed"][f"docs_per_s_{workers}_processes"] = round(len(batch) / elapsed, 1)
    print(f"documents/s, {workers} processes on {os.cpu_count()} cores: {len(batch) / elapsed:.1f}")


def main() -> None:
    """Run the benchmark and print every figure, ending with one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "datasets", type=Path, help="directory with checked_*.jsonl, ced_train.jsonl"
    )
    parser.add_argument("--quick", action="store_true", help="one C value, fewer timing repeats")
    args = parser.parse_args()
    jieba.setLogLevel(40)
    results: dict[str, Any] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "features": FeatureConfig().to_dict(),
    }
    grid = [1.0] if args.quick else [0.3, 1.0, 3.0]
    with tempfile.TemporaryDirectory(prefix="bench-prescreen-") as tmp:
        model_path = accuracy(args.datasets, grid, results, Path(tmp))
        speed(args.datasets, model_path, results, repeats=3 if args.quick else 7)
    _section("Summary (JSON)")
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
