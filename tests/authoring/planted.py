"""A small policy with planted faults, written out so each finding's line is known."""

from __future__ import annotations

from pathlib import Path

CLEAN = """\
family: planted
version: v1
title: Planted faults
documents:
  D1: {title: "Test document"}
outcomes: [low, medium, high]
resolution: {default: low}
inputs:
  score: {type: int, min: 0, max: 9}
  urgent: {type: bool}
  route: {type: enum, values: [a, b, c]}
  factors: {type: set, values: [f1, f2, f3, f4], default: []}
derived:
  factor_count: {expr: {count: {of: factors}}}
rules:
  - id: score-low
    when: {fact: score, le: 3}
    indicate: low
    reason: "low"
    source: {document: D1, section: "1"}
  - id: score-medium
    when: {all: [{fact: score, ge: 4}, {fact: score, le: 6}]}
    indicate: medium
    reason: "medium"
    source: {document: D1, section: "2"}
  - id: score-high
    when: {fact: score, ge: 7}
    indicate: high
    reason: "high"
    source: {document: D1, section: "3"}
  - id: many-factors
    when: {fact: factor_count, ge: 3}
    indicate: high
    priority: 5
    reason: "many factors"
    source: {document: D1, section: "4"}
"""


def write(tmp_path: Path, text: str, name: str = "planted.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)
