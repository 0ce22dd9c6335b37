"""The HTTP service: FastAPI over the decision engine and the audit store.

``create_app`` is the one public entry point (``decision-engine serve`` runs it under
uvicorn as a factory); everything else in this package is its implementation.
"""

from decision_engine_api.app import create_app

__all__ = ["create_app"]
