"""Train, evaluate, save and load the misinformation risk model."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import platform
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import joblib
import numpy as np

from classifiers.exceptions import DataError, ModelFileError, ModelVersionError
from classifiers.features import (
    BIGRAM,
    CHAR,
    CHAR_BUCKET_BITS,
    EDGE,
    META,
    WORD,
    Evidence,
    FeatureConfig,
    Features,
    LinearScorer,
    WordSequence,
    feature_counts,
    split_feature_name,
    surface_counts,
    word_sequence,
)
from classifiers.tokenizer import Analysis, analyze, get_jieba, user_dictionary

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from sklearn.pipeline import Pipeline

    ProgressFn = Callable[[str, int, int], None]

logger = logging.getLogger(__name__)

MISINFO = "misinfo"
CREDIBLE = "credible"
LABELS = (MISINFO, CREDIBLE)
FORMAT = "kepu-prescreen"
FORMAT_VERSION = 1  # bump when feature extraction, hashing or the file layout changes
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class Record:
    """One labelled text."""

    text: str
    label: str

    @property
    def y(self) -> int:
        """Return 1 for misinformation, 0 for credible."""
        return 1 if self.label == MISINFO else 0


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Hyper-parameters of the risk model."""

    features: FeatureConfig = field(default_factory=FeatureConfig)
    classifier: str = "svm"  # "svm" (LinearSVC) or "lr" (LogisticRegression)
    C: float = 1.0
    min_df: int = 2
    class_weight: str | None = None
    calibration_folds: int = 5
    cv_folds: int = 5  # folds for the metrics stored with the model; 0 skips them
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the config as a plain dict (stored in the model file)."""
        return {
            "features": self.features.to_dict(),
            "classifier": self.classifier,
            "C": self.C,
            "min_df": self.min_df,
            "class_weight": self.class_weight,
            "calibration_folds": self.calibration_folds,
            "cv_folds": self.cv_folds,
            "seed": self.seed,
        }


@dataclass(slots=True)
class PrescreenModel:
    """A trained risk model: the fast scorer plus its provenance metadata."""

    scorer: LinearScorer
    features: FeatureConfig
    meta: dict[str, Any]
    threshold: float = DEFAULT_THRESHOLD
    _pipeline_blob: bytes | None = None

    @property
    def version(self) -> str:
        """Return the model version string."""
        return str(self.meta["model_version"])

    def evidence(self, analysis: Analysis) -> tuple[WordSequence, Evidence]:
        """Score an analysed text: its feature words and the scorer's evidence."""
        sequence = word_sequence(analysis, bigrams=False)  # bigrams are scored by word ids
        surface = surface_counts(analysis, self.features)
        return sequence, self.scorer.evidence(sequence.words, surface)

    def predict_proba(self, text: str) -> float:
        """Return the calibrated probability that text is misinformation."""
        _sequence, evidence = self.evidence(analyze(text, self.features.hmm))
        return self.scorer.probability(evidence.margin)

    def pipeline(self) -> Pipeline:
        """Return the fitted scikit-learn pipeline (input: feature lists, see feature_list)."""
        if self._pipeline_blob is None:
            raise ModelFileError("模型文件不含 scikit-learn 流水线 / model file has no pipeline")
        return pickle.loads(self._pipeline_blob)  # noqa: S301 - our own file, version-checked


# --- data -------------------------------------------------------------------------------


def parse_records(lines: Iterable[str], source: str = "<input>") -> list[Record]:
    """Parse JSON lines {"text", "label"}; raise DataError naming the bad line."""
    records: list[Record] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{source} 第 {lineno} 行不是合法的 JSON（{exc.msg}）/ line {lineno} is not valid JSON"
            ) from None
        if not isinstance(obj, dict):
            raise DataError(
                f"{source} 第 {lineno} 行应为 JSON 对象 / line {lineno} is not an object"
            )
        text, label = obj.get("text"), obj.get("label")
        if not isinstance(text, str) or not text.strip():
            raise DataError(
                f"{source} 第 {lineno} 行缺少非空的 text 字段 / line {lineno} needs a non-empty text"
            )
        if label not in LABELS:
            raise DataError(
                f'{source} 第 {lineno} 行的 label 为 {label!r}，只能是 "misinfo" 或 "credible"'
                f" / line {lineno}: label must be misinfo or credible"
            )
        records.append(Record(text=text, label=label))
    return records


@contextmanager
def _data_file(p: Path) -> Iterator[TextIO]:
    """Open a UTF-8 data file; missing, directory or non-UTF-8 become a clear DataError."""
    try:
        with p.open(encoding="utf-8") as fh:
            yield fh
    except FileNotFoundError:
        raise DataError(f"找不到数据文件：{p} / data file not found") from None
    except IsADirectoryError:
        raise DataError(f"数据路径是目录而不是文件：{p} / data path is a directory") from None
    except UnicodeDecodeError:
        raise DataError(f"数据文件不是 UTF-8 编码：{p} / data file is not UTF-8") from None


def load_records(path: str | os.PathLike[str]) -> list[Record]:
    """Read a JSON-lines file of labelled texts; raise DataError if missing or malformed."""
    p = Path(path)
    with _data_file(p) as fh:
        records = parse_records(fh, source=str(p))
    if not records:
        raise DataError(f"数据文件没有任何记录：{p} / data file has no records")
    return records


def load_texts(path: str | os.PathLike[str]) -> list[str]:
    """Read the "text" field of every JSON line (labels optional); raise DataError if bad."""
    p = Path(path)
    texts: list[str] = []
    with _data_file(p) as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"{p} 第 {lineno} 行不是合法的 JSON（{exc.msg}）"
                    f" / line {lineno} is not valid JSON"
                ) from None
            text = obj.get("text") if isinstance(obj, dict) else None
            if not isinstance(text, str):
                raise DataError(
                    f"{p} 第 {lineno} 行缺少字符串类型的 text 字段 / line {lineno} needs a text"
                )
            texts.append(text)
    if not texts:
        raise DataError(f"数据文件没有任何记录：{p} / data file has no records")
    return texts


def data_hash(records: Sequence[Record]) -> str:
    """Return an order-independent SHA-256 of the labelled texts."""
    digest = hashlib.sha256()
    for line in sorted(f"{r.label}\t{r.text}" for r in records):
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def _check_trainable(records: Sequence[Record]) -> None:
    """Raise DataError unless both labels are present often enough to train."""
    counts = Counter(r.label for r in records)
    if not records:
        raise DataError("训练数据为空 / training data is empty")
    missing = [label for label in LABELS if counts[label] == 0]
    if missing:
        raise DataError(
            f"训练数据缺少 {'、'.join(missing)} 类样本，两类都需要 / both labels are needed"
        )
    if min(counts.values()) < 5:
        raise DataError("每类至少需要 5 条训练样本 / need at least 5 records per label")


def feature_list(features: Features) -> list[str]:
    """Flatten extracted features into prefixed feature names (pipeline input, binary tf)."""
    out: list[str] = []
    for block, present in features.items():
        keys = map(str, present.tolist()) if block == CHAR else present  # type: ignore[union-attr]
        out.extend(map((block + ":").__add__, keys))
    return out


def _identity(doc: list[str]) -> list[str]:
    """Return the already-extracted features of a document (TfidfVectorizer analyzer)."""
    return doc


def _featurize(
    records: Sequence[Record], config: FeatureConfig, progress: ProgressFn | None
) -> list[list[str]]:
    """Tokenise and extract features for every record, reporting progress."""
    get_jieba()
    docs: list[list[str]] = []
    total = len(records)
    for i, record in enumerate(records, start=1):
        docs.append(feature_list(feature_counts(analyze(record.text, config.hmm), config)))
        if progress is not None:
            progress("tokenize", i, total)
    return docs


# --- training ---------------------------------------------------------------------------


def _make_pipeline(config: TrainConfig, n_per_class: int) -> Pipeline:
    """Build the unfitted TF-IDF + calibrated linear classifier pipeline."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    if config.classifier == "lr":
        base: Any = LogisticRegression(C=config.C, class_weight=config.class_weight, max_iter=2000)
    elif config.classifier == "svm":
        base = LinearSVC(C=config.C, class_weight=config.class_weight)
    else:
        raise ValueError(f"unknown classifier {config.classifier!r}")
    folds = max(2, min(config.calibration_folds, n_per_class))
    vectorizer = TfidfVectorizer(
        analyzer=_identity, min_df=config.min_df, binary=True, lowercase=False
    )
    calibrated = CalibratedClassifierCV(base, method="sigmoid", cv=folds, ensemble=False)
    return Pipeline([("tfidf", vectorizer), ("clf", calibrated)])


def _compile(pipeline: Pipeline) -> LinearScorer:
    """Extract the fitted pipeline's parameters into a pure-Python scorer."""
    vectorizer = pipeline.named_steps["tfidf"]
    calibrated = pipeline.named_steps["clf"]
    (fitted,) = calibrated.calibrated_classifiers_
    estimator = fitted.estimator
    (calibrator,) = fitted.calibrators
    coef = np.asarray(estimator.coef_).ravel()
    idf = vectorizer.idf_
    weights: dict[str, dict[str, complex]] = {WORD: {}, BIGRAM: {}, META: {}, EDGE: {}}
    char_weight = np.zeros(1 << CHAR_BUCKET_BITS)
    char_idf_sq = np.zeros(1 << CHAR_BUCKET_BITS)
    for name, index in vectorizer.vocabulary_.items():
        block, key = split_feature_name(name)
        if block == CHAR:
            char_weight[int(key)] = idf[index] * coef[index]
            char_idf_sq[int(key)] = idf[index] ** 2
        else:
            weights[block][key] = complex(float(idf[index] * coef[index]), float(idf[index] ** 2))
    return LinearScorer(
        weights=weights,
        char_weight=char_weight,
        char_idf_sq=char_idf_sq,
        intercept=float(np.asarray(estimator.intercept_).ravel()[0]),
        calib_a=float(calibrator.a_),
        calib_b=float(calibrator.b_),
    )


def _binary_metrics(y_true: Sequence[int], prob: Sequence[float], threshold: float) -> dict:
    """Return macro-F1, misinfo precision/recall/F1, accuracy, Brier score and counts."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    y = np.asarray(y_true, dtype=int)
    p = np.asarray(prob, dtype=float)
    pred = (p >= threshold).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y, pred, pos_label=1, average="binary", zero_division=0
    )
    return {
        "macro_f1": round(float(f1_score(y, pred, average="macro", zero_division=0)), 4),
        "precision": round(float(precision), 4),
        "recall": round(float(recall), 4),
        "f1_misinfo": round(float(f1), 4),
        "accuracy": round(float(accuracy_score(y, pred)), 4),
        "brier": round(float(np.mean((p - y) ** 2)), 4),
        "n": int(len(y)),
        "n_misinfo": int(y.sum()),
        "threshold": threshold,
    }


def _fit(docs: list[list[str]], y: Sequence[int], config: TrainConfig) -> Pipeline:
    """Fit a fresh pipeline on extracted features."""
    n_per_class = min(Counter(y).values())
    pipeline = _make_pipeline(config, n_per_class)
    pipeline.fit(docs, np.asarray(y))
    return pipeline


def _cv_folds(y: Sequence[int], wanted: int) -> int:
    """Return the number of cross-validation folds the smaller class allows."""
    return max(2, min(wanted, int(min(Counter(y).values()))))


def _cross_validate(
    docs: list[list[str]],
    y: Sequence[int],
    config: TrainConfig,
    fold_done: Callable[[int], None] | None = None,
) -> dict:
    """Return stratified k-fold metrics of the pipeline on the training data."""
    from sklearn.model_selection import StratifiedKFold

    y_arr = np.asarray(y)
    folds = _cv_folds(y, config.cv_folds)
    prob = np.zeros(len(docs))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.seed)
    splits = splitter.split(np.zeros(len(docs)), y_arr)
    for k, (train_idx, test_idx) in enumerate(splits, start=1):
        pipeline = _fit([docs[i] for i in train_idx], y_arr[train_idx], config)
        prob[test_idx] = pipeline.predict_proba([docs[i] for i in test_idx])[:, 1]
        if fold_done is not None:
            fold_done(k)
    metrics = _binary_metrics(y_arr, prob, DEFAULT_THRESHOLD)
    metrics["folds"] = folds
    return metrics


def _model_version(created: datetime, digest: str) -> str:
    """Return a version string unique to the format, creation time and training data."""
    return f"prescreen-{FORMAT_VERSION}.{created:%Y%m%d%H%M%S}.{digest[:8]}"


def _user_dictionary_hash() -> str:
    """Return a SHA-256 of the jieba user dictionary (seed terms) used for tokenisation."""
    return hashlib.sha256("\n".join(sorted(user_dictionary())).encode("utf-8")).hexdigest()


def train(
    records: Sequence[Record],
    progress: ProgressFn | None = None,
    *,
    config: TrainConfig | None = None,
    sources: Sequence[str] = (),
) -> PrescreenModel:
    """Train a calibrated risk model on labelled records."""
    config = config or TrainConfig()
    _check_trainable(records)
    docs = _featurize(records, config.features, progress)
    y = [r.y for r in records]
    steps = 1 + (_cv_folds(y, config.cv_folds) if config.cv_folds else 0)
    if progress is not None:
        progress("fit", 0, steps)
    pipeline = _fit(docs, y, config)
    scorer = _compile(pipeline)
    _verify_compiled(
        pipeline,
        PrescreenModel(scorer=scorer, features=config.features, meta={}),
        [r.text for r in records[:20]],
        docs[:20],
    )
    if progress is not None:
        progress("fit", 1, steps)
    metrics: dict[str, Any] = {}
    if config.cv_folds:

        def fold_done(k: int) -> None:
            if progress is not None:
                progress("fit", 1 + k, steps)

        metrics["cross_validation"] = _cross_validate(docs, y, config, fold_done)
    created = datetime.now(UTC).replace(microsecond=0)
    digest = data_hash(records)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_version": _model_version(created, digest),
        "created_at": created.isoformat(),
        "sklearn_version": package_version("scikit-learn"),
        "jieba_version": package_version("jieba"),
        "python_version": platform.python_version(),
        "user_dictionary_sha256": _user_dictionary_hash(),
        "training": {
            "data_sha256": digest,
            "n": len(records),
            "n_misinfo": sum(y),
            "n_credible": len(y) - sum(y),
            "sources": list(sources),
        },
        "config": config.to_dict(),
        "metrics": metrics,
        "n_features": len(pipeline.named_steps["tfidf"].vocabulary_),
    }
    logger.info("trained %s on %d records", meta["model_version"], len(records))
    return PrescreenModel(
        scorer=scorer,
        features=config.features,
        meta=meta,
        _pipeline_blob=pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL),
    )


def _verify_compiled(
    pipeline: Pipeline, model: PrescreenModel, texts: list[str], docs: list[list[str]]
) -> None:
    """Check that the compiled scorer, fed from raw text, reproduces the pipeline."""
    expected = pipeline.predict_proba(docs)[:, 1]
    for text, want in zip(texts, expected, strict=True):
        got = model.predict_proba(text)
        if abs(got - float(want)) > 1e-6:
            raise RuntimeError(f"compiled scorer drifted from pipeline: {got} != {want}")


# --- evaluation ---------------------------------------------------------------------------


def predict(model: PrescreenModel, texts: Iterable[str]) -> list[float]:
    """Return the misinformation probability of each text."""
    return [model.predict_proba(text) for text in texts]


def evaluate(
    model: PrescreenModel, records: Sequence[Record], threshold: float | None = None
) -> dict[str, Any]:
    """Return macro-F1, precision, recall, accuracy and n of model on labelled records."""
    if not records:
        raise DataError("评估数据为空 / evaluation data is empty")
    prob = predict(model, (r.text for r in records))
    cut = model.threshold if threshold is None else threshold
    metrics = _binary_metrics([r.y for r in records], prob, cut)
    metrics["model_version"] = model.version
    return metrics


# --- persistence --------------------------------------------------------------------------


def save(model: PrescreenModel, path: str | os.PathLike[str]) -> Path:
    """Write the model atomically to path (joblib) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "meta": model.meta,
        "threshold": model.threshold,
        "features": model.features.to_dict(),
        # Pickled separately: joblib's own unpickler is pure Python and slow on big dicts.
        "scorer_pickle": pickle.dumps(model.scorer, protocol=pickle.HIGHEST_PROTOCOL),
        "pipeline_pickle": model._pipeline_blob,
    }
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        joblib.dump(payload, tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the web app may run as another user
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info("saved model %s to %s", model.version, target)
    return target


def _major_minor(version: str) -> tuple[str, ...]:
    """Return the major.minor part of a version string."""
    return tuple(version.split(".")[:2])


def check_compatible(meta: dict[str, Any]) -> None:
    """Raise ModelVersionError unless a model's recorded versions match this environment."""
    if meta.get("format") != FORMAT:
        raise ModelFileError("不是预筛模型文件 / not a pre-screener model file")
    found = meta.get("format_version")
    if found != FORMAT_VERSION:
        raise ModelVersionError(
            f"模型文件格式版本为 {found}，当前程序需要 {FORMAT_VERSION}，请重新训练模型"
            f" / model format version {found} is incompatible with {FORMAT_VERSION}; retrain"
        )
    for package, key in (("jieba", "jieba_version"), ("scikit-learn", "sklearn_version")):
        recorded, current = str(meta.get(key)), package_version(package)
        same = (
            recorded == current
            if package == "jieba"
            else (_major_minor(recorded) == _major_minor(current))
        )
        if not same:
            raise ModelVersionError(
                f"模型由 {package} {recorded} 训练，当前环境为 {package} {current}，版本不兼容，"
                f"请用当前环境重新训练 / model was trained with {package} {recorded}, "
                f"this environment has {current}; retrain the model"
            )


def load(path: str | os.PathLike[str]) -> PrescreenModel:
    """Load a model file, refusing files written by incompatible versions."""
    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"找不到模型文件：{p} / model file not found")
    try:
        payload = joblib.load(p)
    except Exception as exc:
        raise ModelFileError(f"无法读取模型文件：{p}（{exc}）/ cannot read model file") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("meta"), dict):
        raise ModelFileError(f"不是预筛模型文件：{p} / not a pre-screener model file")
    meta = payload["meta"]
    check_compatible(meta)
    if meta.get("user_dictionary_sha256") != _user_dictionary_hash():
        logger.warning(
            "seed terms changed since %s was trained; retrain to pick them up",
            meta["model_version"],
        )
    scorer = pickle.loads(payload["scorer_pickle"])  # noqa: S301 - version-checked own file
    if not isinstance(scorer, LinearScorer):
        raise ModelFileError(f"模型文件已损坏：{p} / model file is corrupt")
    return PrescreenModel(
        scorer=scorer,
        # Files written before the META/EDGE blocks existed lack their keys: keep them off.
        features=FeatureConfig(**{"meta": False, "edges": False, **payload["features"]}),
        meta=meta,
        threshold=float(payload.get("threshold", DEFAULT_THRESHOLD)),
        _pipeline_blob=payload.get("pipeline_pickle"),
    )
