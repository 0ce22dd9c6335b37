"""Shared fixtures: the bundled registry, and throwaway registries for error cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from decision_engine.policy.registry import Registry

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load(ROOT)


@pytest.fixture
def policy_root(tmp_path: Path) -> Path:
    """A copy of the bundled policies.yaml and rules/ that a test may break."""
    shutil.copy(ROOT / "policies.yaml", tmp_path / "policies.yaml")
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    return tmp_path
