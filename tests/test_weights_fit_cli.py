"""`drill weights fit` on a small set: reads dev only, records provenance, scores exactly as the grader does."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from simulator.cli import main
from simulator.config import PROJECT_DIR, load_settings
from simulator.content import load_library
from simulator.evals.grader_set import DEFAULT_SET_DIR, load_grader_set, split_sha256
from simulator.grading import grade
from simulator.grading.weights import default_weights, load_weights
from simulator.models import Transcript
from simulator.weights_fit import fit_dev
from simulator.weights_fit import model as fit_model
from simulator.weights_fit.features import measure_signals
from simulator.weights_fit.model import predict_levels

DEV = ("en-returns-headphones", "en-fees-roaming-bill", "en-membership-renewal")
TEST = ("en-outage-payroll",)


def _case_of(name: str) -> str:
    return str(yaml.safe_load((DEFAULT_SET_DIR / "dev" / f"{name}.yaml").read_text("utf-8"))["case_id"])


@pytest.fixture
def small_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three dev situations, one held-out test situation, and only the content they need."""
    content = tmp_path / "content"
    shutil.copytree(PROJECT_DIR / "personas", content / "personas")
    (content / "casebank").mkdir()
    for name in ("rubric", *(_case_of(n) for n in (*DEV, *TEST))):
        shutil.copy(PROJECT_DIR / "casebank" / f"{name}.yaml", content / "casebank" / f"{name}.yaml")
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(content))
    directory = tmp_path / "set"
    for split, names in (("dev", DEV), ("test", TEST)):
        (directory / split).mkdir(parents=True)
        for name in names:
            shutil.copy(DEFAULT_SET_DIR / "dev" / f"{name}.yaml", directory / split / f"{name}.yaml")
    return directory


def test_signals_scored_with_the_weights_give_the_graders_levels(small_set: Path) -> None:
    library = load_library(load_settings().content_dir)
    labelled = load_grader_set(small_set, rubric=library.require_rubric(), library=library)
    for item in labelled.items("dev"):
        transcript = item.transcript()
        values = measure_signals(transcript, library, default_weights())
        assert values is not None
        report = grade(transcript, library=library, engine="offline", settings=load_settings())
        assert predict_levels(default_weights(), values) == {c.id: c.score for c in report.criteria}, item.id


def test_fit_reads_only_dev_and_writes_weights_with_provenance(
    small_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured: list[str] = []
    real_measure = fit_dev.measure_signals

    def recording(transcript: Transcript, *args: object) -> object:
        measured.append(transcript.id or "")
        return real_measure(transcript, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(fit_dev, "measure_signals", recording)
    monkeypatch.setattr(fit_model, "ALPHAS", (0.1, 10.0))  # a short search: the test is about what is read
    out = tmp_path / "weights.yaml"
    result = CliRunner().invoke(main, ["weights", "fit", "--set", str(small_set), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Fitted on 11 dev transcripts from 3 situations" in result.output and "cross-validated" in result.output
    assert measured and not any(name.startswith("en-outage-payroll") for name in measured)
    weights = load_weights(out)
    provenance = weights.provenance
    assert provenance is not None and provenance.command == "drill weights fit"
    assert provenance.training_data["split_sha256"] == split_sha256(small_set / "dev")
    assert provenance.not_used["test_split_sha256"] == split_sha256(small_set / "test")
    assert set(provenance.cross_validation["levels"]) >= {"clarity", "overall"}
    assert weights.version.startswith("fitted-") and weights.criteria["compliance"].score_caps
    # The signals are read through the act recogniser: the version names its model too.
    assert provenance.recogniser["sha256"] == fit_dev.recogniser_digest()
    assert weights.version.endswith(f"-r{fit_dev.recogniser_digest()[:8]}")
    assert "-w" in weights.version  # the fitted numbers have their own digest in the name
    # The level map is chosen by nested cross-validation among the candidates, whose figures are kept.
    assert provenance.level_map["chosen"] == weights.level_map
    assert set(provenance.level_map["candidates"]) == {"half_up", "label_quantiles", "ordinal"}
    assert all((spec.cuts is None) == (weights.level_map == "half_up") for spec in weights.criteria.values())
    assert provenance.training_data["real_dev"].startswith("not used")
    assert weights.thresholds == default_weights().thresholds
    assert "do not edit by hand" in out.read_text("utf-8")


def test_fit_refuses_a_set_with_one_situation(small_set: Path, tmp_path: Path) -> None:
    for name in DEV[1:]:
        (small_set / "dev" / f"{name}.yaml").unlink()
    result = CliRunner().invoke(main, ["weights", "fit", "--set", str(small_set), "--out", str(tmp_path / "w.yaml")])
    assert result.exit_code == 2 and "at least two" in result.output
    assert not (tmp_path / "w.yaml").exists()


def test_fit_with_real_dev_logs_groups_them_by_dataset(
    small_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    transcripts = tmp_path / "logs"
    transcripts.mkdir()
    turns = [
        {"role": "customer", "text": "Hi, can I book a table for two tonight at eight?"},
        {"role": "agent", "text": "Hello! Yes, a table for two at 8 pm tonight is booked under your name."},
        {"role": "customer", "text": "Great, thanks."},
        {"role": "agent", "text": "You're welcome, enjoy your evening!"},
    ]
    path = transcripts / "real-tiny-1.json"
    path.write_text(json.dumps({"id": "real-tiny-1", "language": "en", "turns": turns}), encoding="utf-8")
    levels = {"standard_phrasing": 4, "listening_empathy": 3, "problem_solving": 4}
    levels |= {"adaptability": 3, "clarity": 4, "compliance": 4}
    library = load_library(load_settings().content_dir)
    rubric = library.require_rubric()
    total = round(sum(c.weight * levels[c.id] / 5 for c in rubric.criteria), 1)
    item = {
        "id": "real-tiny-1",
        "language": "en",
        "record": "tiny.json #1",
        "transcript_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "industry": "food",
        "channel": "chat",
        "start": "greeting",
        "quality": "good",
        "labels": levels | {"total": total, "passed": total >= rubric.pass_mark, "note": "Booked as asked."},
    }
    source: dict[str, Any] = {
        "dataset": "Tiny",
        "url": "https://example.org",
        "licence": "MIT",
        "licence_file": "LICENSE",
    }
    source |= {"commit": "0" * 40, "split_taken": "train", "conversion": "none", "items": [item]}
    (small_set / "real" / "dev").mkdir(parents=True)
    (small_set / "real" / "dev" / "tiny.yaml").write_text(yaml.safe_dump(source), encoding="utf-8")
    monkeypatch.setenv("DRILL_REAL_LOGS_DIR", str(transcripts))
    monkeypatch.setattr(fit_model, "ALPHAS", (0.1, 10.0))
    out = tmp_path / "weights.yaml"
    result = CliRunner().invoke(main, ["weights", "fit", "--set", str(small_set), "--out", str(out), "--real-dev"])
    assert result.exit_code == 0, result.output
    assert "and 1 real dev logs (real:tiny)" in result.output and "of which real dev" in result.output
    provenance = load_weights(out).provenance
    assert provenance is not None and provenance.command == "drill weights fit --real-dev"
    assert provenance.training_data["real_dev"]["used"] == 1
    assert set(provenance.cross_validation) >= {"synthetic", "real"}
    assert set(provenance.cross_validation["real"]["by_dataset"]) == {"tiny"}
    assert provenance.cross_validation["real"]["by_dataset"]["tiny"]["n"] == 1


def test_real_log_groups_are_reported_by_dataset_without_their_selection_suffix() -> None:
    assert fit_dev.dataset_of("real:star-b") == "star"
    assert fit_dev.dataset_of("real:star") == "star"
    assert fit_dev.dataset_of("real:harper-valley-bank") == "harper-valley-bank"
    assert fit_dev.dataset_of("real:multiwoz") == "multiwoz"


def test_the_shipped_weights_were_fitted_through_the_shipped_recogniser() -> None:
    # A retrained act model changes every signal: refit (drill weights fit --real-dev) and commit both.
    provenance = default_weights().provenance
    assert provenance is not None and provenance.recogniser["sha256"] == fit_dev.recogniser_digest()
