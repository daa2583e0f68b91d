"""Ships the content (``personas/`` and ``casebank/``) inside the wheel as ``simulator/shipped/``.

The content stays at the top of the checkout, where trainers and the docs expect it; a regular
(non-editable) build copies it into the package so an installed drill finds it
(``simulator.config.PACKAGED_CONTENT_DIR``). An editable install reads it from the checkout.
Everything else about the build is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CONTENT_FOLDERS = ("personas", "casebank")


class BuildWithContent(build_py):
    """build_py that also copies the content folders' YAML files into ``simulator/shipped/``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # the checkout is the content; nothing to copy
            return
        source_root = Path(__file__).resolve().parent
        target_root = Path(self.build_lib) / "simulator" / "shipped"
        for folder in CONTENT_FOLDERS:
            target = target_root / folder
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source_root / folder, target, ignore=_not_yaml)


def _not_yaml(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if not (Path(folder, name).is_dir() or name.endswith((".yaml", ".yml")))]


setup(cmdclass={"build_py": BuildWithContent})
