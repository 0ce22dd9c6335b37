"""A writable copy of the bundled policy root, for tests that add drafts or sign-offs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from decision_engine.policy.registry import bundled_root


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    src = bundled_root()
    shutil.copy(src / "policies.yaml", tmp_path / "policies.yaml")
    shutil.copytree(src / "rules", tmp_path / "rules")
    shutil.copytree(src / "examples", tmp_path / "examples")
    return tmp_path
