"""``verify-row``: append a local sign-off of an unverified row or parameter to
``signoffs.yaml`` (see :mod:`decision_engine.policy.signoffs` for what it changes and
why it never changes a decision already recorded).

Appending only: the file is edited round-trip (comments survive), the new entry is
pinned, the whole registry is loaded from the new text, and only then does it replace
the old file (atomic rename). A sign-off that does not load changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from decision_engine.authoring.approve import replace_checked, round_trip_yaml
from decision_engine.policy.signoffs import FILE, LEAD_DAYS, SignOff, signoff_digest

HEADER = ("# Local sign-offs of unverified table rows and parameters, written by\n"
          "# `decision-engine verify-row`. Append only: an entry is pinned by entry_sha256\n"
          "# and never edited. See docs/authoring.md.\n")


def write_signoff(root: Path, family: str, version: str, target: str, *, by: str,
                  document: str, page: str, signed_on: dt.date | None = None,
                  effective_from: dt.date | None = None, note: str = "") -> SignOff:
    """Append one sign-off; raises PolicyError (file:line) when it does not load."""
    signed_on = signed_on or dt.date.today()
    effective_from = effective_from or signed_on + dt.timedelta(days=LEAD_DAYS)
    entry = SignOff(family=family, version=version, target=target, by=by.strip(),
                    signed_on=signed_on, effective_from=effective_from,
                    document=document.strip(), page=page.strip(), note=note.strip())
    entry = entry.model_copy(update={"entry_sha256": signoff_digest(entry)})
    path = (root / FILE).resolve() if (root / FILE).exists() else root.resolve() / FILE
    yaml = round_trip_yaml()
    tree = (yaml.load(path.read_text(encoding="utf-8")) if path.is_file() else None)
    if not isinstance(tree, CommentedMap):
        tree = CommentedMap()
    if not isinstance(tree.get("signoffs"), CommentedSeq):
        tree["signoffs"] = CommentedSeq()
    row = CommentedMap()
    for key, value in entry.model_dump(mode="json").items():
        if key == "note" and not value:
            continue
        row[key] = dt.date.fromisoformat(value) if key in ("signed_on", "effective_from") \
            else value
    tree["signoffs"].append(row)
    buf = io.StringIO()
    yaml.dump(tree, buf)
    text = buf.getvalue() if path.is_file() else HEADER + buf.getvalue()
    replace_checked(root, path, text)
    return entry
