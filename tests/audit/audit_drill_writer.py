"""Durability drill writer: records forever, printing each id only after its COMMIT.

Usage: audit_drill_writer.py DATABASE_URL PAYLOAD_JSON ROUND. The parent SIGKILLs it at
a random moment and then checks that every id printed here is in the store.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from audit_support import RawDecision

from decision_engine.audit import SubjectData, open_store


def main() -> None:
    url, payload_path, round_no = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    payloads = json.loads(payload_path.read_text())
    store = open_store(url)
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    index = 0
    pseudonyms: list[str] = []
    while True:
        data = payloads[index % len(payloads)]
        ref = store.append_decision(RawDecision(data), SubjectData(f"DRILL-{round_no}-{index}"),
                                    actor_role="officer", actor_id="drill",
                                    service_area="north")
        out.write(f"decision {ref.id}\n")
        out.flush()
        if index % 4 == 1:
            final = store.append_final(ref.id, str(data["outcome"]), None, actor_role="panel",
                                       actor_id="drill", service_area="north")
            out.write(f"final_decision {final.id}\n")
            out.flush()
        if index % 9 == 3:
            access = store.log_access(actor_role="auditor", actor_id="drill",
                                      service_area="north", justification="drill",
                                      record_ids=[ref.id])
            out.write(f"access {access.id}\n")
            out.flush()
        record = store.get(ref.id)
        if record is not None and record.pseudonym:
            pseudonyms.append(record.pseudonym)
        if index % 13 == 5 and pseudonyms:
            for erasure in store.erase([pseudonyms.pop(0)], reason="request",
                                       justification="drill", actor_role="dpo",
                                       actor_id="drill"):
                out.write(f"erasure {erasure.id}\n")
                out.flush()
        index += 1


if __name__ == "__main__":
    main()
