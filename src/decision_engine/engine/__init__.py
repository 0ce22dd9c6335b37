"""Evaluation: facts + a policy version → a Decision with reasons."""

from decision_engine.engine.decision import Decision
from decision_engine.engine.service import (
    Case,
    Engine,
    EngineKind,
    Subject,
    decide,
    default_engine,
    evaluate,
)

__all__ = ["Case", "Decision", "Engine", "EngineKind", "Subject", "decide", "default_engine",
           "evaluate"]
