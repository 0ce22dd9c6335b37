"""Path segments under ``/v1/decisions/``: a family name or a decision id, never both.

``POST /v1/decisions/{family}`` and ``GET /v1/decisions/{decision_id}`` share one
segment. With plain ``{…}`` templates both routes match every segment, so a GET naming
a family reached the decision route and failed its id pattern (422) instead of
answering 405. These converters split the segments in two: a family-shaped name that is
not a UUID belongs to the family routes, anything else to the decision-id routes; each
path then has exactly one route, and Starlette answers a wrong method with 405 and
``Allow``.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
FAMILY_NAME = r"[a-z][a-z0-9-]{0,63}"


class _Segment(Convertor[str]):
    """A path segment kept as text; subclasses say which segments match."""

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class FamilySegment(_Segment):
    """A family-shaped name that is not a UUID (a UUID may start with a-f)."""

    regex = rf"(?!{UUID}(?:/|$)){FAMILY_NAME}(?=/|$)"


class DecisionSegment(_Segment):
    """A UUID, or any segment a family could not be named (its pattern then says 422)."""

    regex = rf"(?:{UUID}(?=/|$)|(?!{FAMILY_NAME}(?:/|$))[^/]+)"


register_url_convertor("family", FamilySegment())
register_url_convertor("decision_id", DecisionSegment())
