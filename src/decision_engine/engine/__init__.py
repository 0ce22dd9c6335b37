"""Evaluation: facts + a policy version → a Decision with reasons."""

from decision_engine.engine.decision import Decision
from decision_engine.engine.service import (
    Case,
    CaseRequest,
    Engine,
    EngineKind,
    Subject,
    decide,
    default_engine,
    evaluate,
    parse_request,
)

__all__ = ["Case", "CaseRequest", "Decision", "Engine", "EngineKind", "Subject", "decide",
           "default_engine", "evaluate", "parse_request"]
