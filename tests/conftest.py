"""Shared fixtures: the bundled registry, and throwaway registries for error cases."""

from __future__ import annotations

import shutil
from collections import Counter
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line at the end saying how many tests skipped and why, since -q hides the
    reasons and a run without PostgreSQL or a browser skips whole groups."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons: Counter[str] = Counter()
    for report in skipped:
        longrepr = report.longrepr
        why = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[why.removeprefix("Skipped: ")] += 1
    terminalreporter.write_line(f"{len(skipped)} skipped: " + "; ".join(
        f"{n} because {why}" for why, n in reasons.most_common()))
