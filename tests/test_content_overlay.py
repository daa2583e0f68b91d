"""Shipped content under a writable content directory: override by id, saves never touch the shipped files."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from simulator.accounts import User
from simulator.app import trainer
from simulator.app.i18n import AppError
from simulator.app.services import AppServices
from simulator.cli import main
from simulator.config import (
    NO_SHIPPED_CONTENT,
    PACKAGED_CONTENT_DIR,
    PROJECT_DIR,
    default_shipped_content_dir,
    load_settings,
)
from simulator.content import content_files, load_library
from tests.offline_fixtures import persona_data, write_content

TRAINER = User("tom", frozenset({"trainer"}))
SHIPPED_PERSONA = "test_impatient"


def persona_yaml(persona_id: str, **overrides: object) -> str:
    return yaml.safe_dump(persona_data("impatient", persona_id=persona_id, **overrides), allow_unicode=True)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes, to prove nothing there changed."""
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A shipped content root and an empty writable content directory, both set in the environment."""
    shipped = write_content(tmp_path / "shipped")
    writable = tmp_path / "writable"
    monkeypatch.setenv("DRILL_SHIPPED_CONTENT_DIR", str(shipped))
    monkeypatch.setenv("DRILL_CONTENT_DIR", str(writable))
    return shipped, writable


def test_defaults_put_the_writable_content_under_the_data_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRILL_CONTENT_DIR")
    monkeypatch.delenv("DRILL_SHIPPED_CONTENT_DIR")
    settings = load_settings()
    assert settings.content_dir == settings.data_dir / "content"
    assert settings.shipped_content_dir == default_shipped_content_dir()
    assert settings.content_roots == (default_shipped_content_dir(), settings.data_dir / "content")
    # In a checkout the shipped content is the checkout's; only a built wheel has simulator/shipped/.
    assert not PACKAGED_CONTENT_DIR.exists() and default_shipped_content_dir() == PROJECT_DIR
    monkeypatch.setenv("DRILL_SHIPPED_CONTENT_DIR", NO_SHIPPED_CONTENT)
    assert load_settings().content_roots == (settings.data_dir / "content",)


def test_a_writable_file_overrides_the_shipped_one_by_id_and_adds_new_ones(roots: tuple[Path, Path]) -> None:
    shipped, writable = roots
    (writable / "personas").mkdir(parents=True)
    (writable / "personas" / f"{SHIPPED_PERSONA}.yaml").write_text(
        persona_yaml(SHIPPED_PERSONA, label={"zh": "改过的", "en": "Edited"}), encoding="utf-8"
    )
    (writable / "personas" / "night_nurse.yaml").write_text(persona_yaml("night_nurse"), encoding="utf-8")
    files = content_files(shipped, writable)
    assert writable / "personas" / f"{SHIPPED_PERSONA}.yaml" in files
    assert shipped / "personas" / f"{SHIPPED_PERSONA}.yaml" not in files
    library = load_library(shipped, writable)
    alone = load_library(shipped)
    assert set(library.personas) == set(alone.personas) | {"night_nurse"}
    assert library.personas[SHIPPED_PERSONA].label.en == "Edited"
    assert alone.personas[SHIPPED_PERSONA].label.en != "Edited"
    assert set(library.cases) == set(alone.cases) and library.rubric == alone.rubric

    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert f"library has {len(library.personas)} personas, {len(library.cases)} cases" in result.output


def test_a_trainers_save_lands_in_the_writable_directory_never_in_the_shipped_one(roots: tuple[Path, Path]) -> None:
    shipped, writable = roots
    before = tree(shipped)
    services = AppServices(load_settings(), index_sync=lambda library: "ok")
    assert services.settings.content_roots == (shipped, writable)

    created = trainer.save_yaml(services, TRAINER, "persona", persona_yaml("night_nurse"), None)
    assert created.path == writable / "personas" / "night_nurse.yaml" and not created.replaced
    assert "night_nurse" in services.library().personas

    edited = persona_yaml(SHIPPED_PERSONA, label={"zh": "改过的", "en": "Edited"})
    with pytest.raises(AppError) as caught:  # editing a shipped persona is a replacement, asked for explicitly
        trainer.save_yaml(services, TRAINER, "persona", edited, None)
    assert caught.value.key == "file_exists"
    replaced = trainer.save_yaml(services, TRAINER, "persona", edited, None, replace=True)
    assert replaced.path == writable / "personas" / f"{SHIPPED_PERSONA}.yaml" and replaced.replaced
    assert services.library().personas[SHIPPED_PERSONA].label.en == "Edited"
    assert tree(shipped) == before


def test_replicas_sharing_the_content_directory_see_a_save_without_a_restart(roots: tuple[Path, Path]) -> None:
    first = AppServices(load_settings(), index_sync=lambda library: "ok")
    second = AppServices(load_settings(), index_sync=lambda library: "ok")
    assert "night_nurse" not in second.library().personas
    trainer.save_yaml(first, TRAINER, "persona", persona_yaml("night_nurse"), None)
    assert "night_nurse" in second.library().personas


def test_the_checkout_default_never_receives_a_save(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRILL_CONTENT_DIR")
    monkeypatch.delenv("DRILL_SHIPPED_CONTENT_DIR")
    settings = load_settings()
    services = AppServices(dataclasses.replace(settings), index_sync=lambda library: "ok")
    data = persona_data("impatient", persona_id="overlay_probe")
    saved = trainer.save_yaml(services, TRAINER, "persona", yaml.safe_dump(data, allow_unicode=True), None)
    assert saved.path == settings.data_dir / "content" / "personas" / "overlay_probe.yaml"
    assert not (PROJECT_DIR / "personas" / "overlay_probe.yaml").exists()
    assert "overlay_probe" in services.library().personas
    assert len(services.library().cases) == len(load_library(PROJECT_DIR).cases)


# ---------------------------------------------------------------------------------------------
# A real, non-editable install (builds a wheel: run with `pytest -m slow`)


def _sources(target: Path) -> Path:
    """Copy what a build reads (not build/, caches or the virtualenv) so the checkout stays untouched."""
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", ".venv")
    target.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(PROJECT_DIR / name, target / name)
    for folder in ("simulator", "personas", "casebank"):
        shutil.copytree(PROJECT_DIR / folder, target / folder, ignore=skip)
    return target


#: What `drill serve` loads before it listens: the app services' library.
SERVE_LIBRARY = (
    "from simulator.app.services import AppServices; from simulator.config import load_settings; "
    "library = AppServices(load_settings()).library(); print(len(library.personas), len(library.cases))"
)


@pytest.mark.slow
def test_a_non_editable_install_finds_the_shipped_content(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if "slow" not in (request.config.option.markexpr or ""):
        pytest.skip("builds and installs a wheel (about a minute); run with `pytest -m slow`")
    pytest.importorskip("wheel", reason="building a wheel without network needs the 'wheel' package")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    source = _sources(tmp_path / "src")
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(source)])
    wheels = list((tmp_path / "dist").glob("drill-*.whl"))
    assert len(wheels) == 1, "no wheel was built"
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheels[0])], check=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("DRILL_")}
    env.update(PYTHONPATH=str(site), DRILL_DATA_DIR=str(tmp_path / "data"), HOME=str(tmp_path / "home"))
    run = tmp_path / "elsewhere"
    run.mkdir()

    where = subprocess.run(
        [sys.executable, "-c", "import simulator.config as c; print(c.default_shipped_content_dir())"],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()) == site / "simulator" / "shipped"

    checkout = load_library(PROJECT_DIR)
    validated = subprocess.run(
        [sys.executable, "-c", "from simulator.cli import main; main()", "validate"],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert f"library has {len(checkout.personas)} personas, {len(checkout.cases)} cases" in validated.stdout
    assert f"{len(checkout.questions)} questions, {len(checkout.curricula)} curricula" in validated.stdout
    served = subprocess.run(
        [sys.executable, "-c", SERVE_LIBRARY], cwd=run, env=env, capture_output=True, text=True, check=True
    )
    assert served.stdout.split() == [str(len(checkout.personas)), str(len(checkout.cases))]
    corpus = site / "simulator" / "recognition" / "corpus"
    assert sorted(p.relative_to(corpus) for p in corpus.rglob("*.yaml")) == sorted(
        p.relative_to(PROJECT_DIR / "simulator" / "recognition" / "corpus")
        for p in (PROJECT_DIR / "simulator" / "recognition" / "corpus").rglob("*.yaml")
    )
