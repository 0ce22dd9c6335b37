"""RFC 7240 ``Prefer`` request header: which ``return`` the client asked for.

Only ``return`` is acted on; every other preference is ignored, as §2 requires of a
server that does not support it. Parsing never fails: a malformed preference is skipped
rather than answered 400, because a preference is a hint and the default answer is
always correct.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Return = Literal["minimal", "representation"]

_RETURNS: dict[str, Return] = {"minimal": "minimal", "representation": "representation"}


def _split(text: str, sep: str) -> list[str]:
    """*text* split on *sep* outside quoted strings (a quoted ``,`` or ``;`` is data)."""
    parts: list[str] = []
    start, quoted, escaped = 0, False, False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        body = value[1:-1]
        out, escaped = [], False
        for ch in body:
            if escaped or ch != "\\":
                out.append(ch)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return value


def preferences(headers: Iterable[str]) -> dict[str, str]:
    """Each preference's name (lower-cased) and value ("" when it has none), from every
    ``Prefer`` field of a request; the first occurrence of a name wins (§2). Parameters
    after ``;`` are dropped: ``return`` defines none."""
    found: dict[str, str] = {}
    for header in headers:
        for item in _split(header, ","):
            head = _split(item, ";")[0]
            name, _, value = head.partition("=")
            name = name.strip().lower()
            if name and name not in found:
                found[name] = _unquote(value)
    return found


def preferred_return(headers: Iterable[str]) -> Return | None:
    """``"minimal"`` or ``"representation"`` if the client asked for one (values
    compared case-insensitively), else None: no, an empty or an unknown ``return``."""
    value = preferences(headers).get("return")
    return _RETURNS.get(value.strip().lower()) if value is not None else None
