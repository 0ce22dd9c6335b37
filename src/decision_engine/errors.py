"""Errors that tell the reader exactly what to fix.

Two kinds: a policy author's mistake (``PolicyError``: file:line:column and a code,
OPA-style) and a caller's bad case (``InputError``: field, value and why). Both are
raised before anything is evaluated or stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Location:
    """A position in a policy file, 1-based like editors show it."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


class DecisionEngineError(Exception):
    """Base class: everything this package raises on purpose."""


class PolicyError(DecisionEngineError):
    """A policy file or the registry is wrong; the message names file:line:column."""

    def __init__(self, location: Location | str, code: str, message: str) -> None:
        self.location = location if isinstance(location, Location) else Location(location)
        self.code = code
        self.message = message
        super().__init__(f"{self.location}: {code}: {message}")


class PolicyErrors(PolicyError):
    """Several policy errors found in one pass, so authors fix them all at once."""

    def __init__(self, errors: list[PolicyError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.location, first.code, first.message)
        self.args = ("\n".join(str(e) for e in errors),)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class InputError(DecisionEngineError):
    """A case does not fit the policy's declared inputs.

    ``decides_on`` is set when the same case does decide on another day (under the
    version named by ``decides_under``): the decision date, not the case, is what fails,
    as when an example written years ago meets today's date.
    """

    def __init__(self, field: str, value: Any, why: str) -> None:
        self.field = field
        self.value = value
        self.why = why
        self.decides_on: dt.date | None = None
        self.decides_under = ""
        super().__init__(f"{field}: {value!r}: {why}")

    def date_note(self, how: str) -> str:
        """'' or why the date is to blame and how to give another (``how`` is the front
        end's way: ``--on`` or ``decision_date``; ``{day}`` in it is filled in)."""
        if self.decides_on is None:
            return ""
        day = self.decides_on.isoformat()
        return (f"; the case does decide on {day} (under {self.decides_under}), so only the "
                f"decision date fails it: {how.format(day=day)}")


class UnknownPolicyError(DecisionEngineError):
    """No family or version matches what was asked for."""
