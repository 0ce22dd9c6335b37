"""``decision-engine audit``: verify, checkpoint, replay, export, erase, scrub, migrate.

Exit codes: 0 success; 1 the check failed (chain broken, decisions do not reproduce);
2 bad usage, bad configuration or an unusable database; 3 an erasure is recorded but old
copies of the identifiers are still on disk (``audit scrub`` finishes it). Reads of stored decisions
(replay, export) are logged in the chain with actor, role and justification first.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from decision_engine.cli.common import (
    DatabaseOpt,
    command_group,
    fail,
    os_user,
    parse_date,
    store_or_fail,
)

if TYPE_CHECKING:
    from decision_engine.audit.proofs import SignedTreeHead
    from decision_engine.audit.records import AccessContext, RecordFilter
    from decision_engine.audit.store import Store

audit_app = command_group("audit", "Audit store: verify, checkpoint, replay, export, erase.")
FromOpt = Annotated[str | None, typer.Option("--from", help="First decision date, YYYY-MM-DD.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last decision date (inclusive).")]
FamilyOpt = Annotated[str | None, typer.Option("--family", help="Only this policy family.")]
AreaOpt = Annotated[str | None, typer.Option("--service-area", help="Only this service area.")]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="Actor id logged with the access "
                                              "(default: login name).")]
RoleOpt = Annotated[str, typer.Option("--role", help="Actor role logged with the access.")]
WaitOpt = Annotated[float, typer.Option(
    "--wait", help="Seconds to keep trying to clear old copies from disk (recording is "
    "never held up meanwhile).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")]


def _actor(actor: str | None) -> str:
    return actor or os_user()


@contextmanager
def _output(out: Path | None) -> Iterator[TextIO]:
    if out is None:
        yield sys.stdout
        return
    try:
        handle = out.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        fail(f"--out: {out}: {exc.strerror}")
    with handle:
        yield handle


def _filter(date_from: str | None, date_to: str | None, family: str | None,
            service_area: str | None, policy_version: str | None = None) -> RecordFilter:
    from decision_engine.audit.records import RecordFilter

    start, end = parse_date("--from", date_from), parse_date("--to", date_to)
    if start and end and start > end:
        fail(f"--from {start} is after --to {end}")
    return RecordFilter(kind="decision", family=family, service_area=service_area,
                        date_from=start, date_to=end, policy_version=policy_version)


def _access(actor: str | None, role: str, service_area: str | None,
            justification: str) -> AccessContext:
    from decision_engine.audit.records import AccessContext

    return AccessContext(actor_role=role, actor_id=_actor(actor),
                         service_area=service_area or "*", justification=justification)


@audit_app.command()
def verify(
    against: Annotated[list[Path] | None, typer.Option(
        "--against", help="Checkpoint file(s) from 'audit checkpoint'; the chain must "
        "still contain each checkpointed head.")] = None,
    tree_head: Annotated[list[Path] | None, typer.Option(
        "--tree-head", help="Signed tree head file(s) from 'audit sign-tree-head', kept off "
        "this host: the records must still have each head's Merkle root.")] = None,
    key: Annotated[Path | None, typer.Option(
        "--key", help="Public key (PEM) the --tree-head files must be signed with.")] = None,
    report_index: Annotated[bool, typer.Option(
        "--report-index", help="Also rebuild the report index from the verified records "
        "and name every row that differs (after indexing any backlog).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Walk the hash chain and name the first broken record (exit 1 if any)."""
    from decision_engine.audit import report_index as index
    from decision_engine.audit.records import Checkpoint

    checkpoints = []
    for path in against or []:
        try:
            checkpoints.append(Checkpoint.from_json(json.loads(path.read_text("utf-8"))))
        except (OSError, ValueError) as exc:
            fail(f"--against: {path}: {exc}")
    heads = [_read_tree_head("--tree-head", path, key) for path in tree_head or []]
    index_problems: list[str] = []
    with store_or_fail(database_url) as store:
        result = store.verify(checkpoints, heads)
        if report_index and result.ok:
            index.catch_up(store.db)
            with store.db.snapshot() as snap:
                index_problems = index.check(snap, result.head_seq)
    if as_json:
        typer.echo(json.dumps({
            "ok": result.ok, "records": result.records, "head_seq": result.head_seq,
            "head_hash": result.head_hash,
            "broken": None if result.broken is None else {
                "seq": result.broken.seq, "record_id": result.broken.record_id,
                "why": result.broken.why},
            "subject_problems": list(result.subject_problems),
            "database_check": result.database_check,
            "database_problems": list(result.database_problems),
            "report_index_problems": index_problems if report_index else None}, indent=2))
    else:
        if result.broken is not None:
            typer.echo(f"BROKEN: {result.broken}")
        for problem in result.subject_problems:
            typer.echo(f"SUBJECT: {problem}")
        for problem in result.database_problems:
            typer.echo(f"DATABASE: {problem}")
        for problem in index_problems:
            typer.echo(f"REPORT INDEX: {problem}")
        if result.ok:
            typer.echo(f"ok: {result.records:,} records, head seq {result.head_seq} hash "
                       f"{result.head_hash}" + (f", {len(checkpoints)} checkpoint(s) match"
                                                if checkpoints else "")
                       + (f", {len(heads)} signed tree head(s) match" if heads else "")
                       + f"; database check: {result.database_check}"
                       + ("" if not report_index else "; report index: "
                          + (f"{len(index_problems)} row(s) differ" if index_problems
                             else "matches the records")))
    if not result.ok or index_problems:
        raise typer.Exit(1)


def _read_tree_head(option: str, path: Path, key: Path | None = None) -> SignedTreeHead:
    """A signed tree head file; with *key*, its signature must verify."""
    from decision_engine.audit.proofs import ProofError, SignedTreeHead, load_public_key

    try:
        sth = SignedTreeHead.from_json(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError) as exc:
        fail(f"{option}: {path}: {exc}")
    if key is not None:
        try:
            sth.verify(load_public_key(key.read_bytes()))
        except OSError as exc:
            fail(f"--key: {key}: {exc.strerror}")
        except ProofError as exc:
            fail(f"{option}: {path}: {exc}", code=1)
    return sth


def _write(out: Path | None, data: bytes, what: str) -> None:
    if out is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        fail(f"{what}: {out}: {exc.strerror}")


@audit_app.command()
def keygen(out: Annotated[Path, typer.Option(
        "--out", help="Private key file to create (PEM, mode 0600); the public key goes "
        "to OUT.pub. Keep the private key off the database host.")]) -> None:
    """Create the Ed25519 key that signs tree heads."""
    from decision_engine.audit.errors import ConfigError
    from decision_engine.audit.proofs import generate_key

    try:
        public = generate_key(out)
    except ConfigError as exc:
        fail(str(exc))
    typer.echo(f"private key → {out} (keep it off the database host); public key → {public}")


@audit_app.command("sign-tree-head")
def sign_tree_head(
    key: Annotated[Path, typer.Option("--key", help="Private key from 'audit keygen'.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Also write the signed tree head here (publish it off this host).")
    ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Sign the Merkle tree head of every record (RFC 6962), store it and print it."""
    from decision_engine.audit.canonical import canonical
    from decision_engine.audit.errors import ConfigError
    from decision_engine.audit.proofs import load_private_key

    try:
        private = load_private_key(key)
    except ConfigError as exc:
        fail(str(exc))
    with store_or_fail(database_url) as store:
        sth = store.sign_tree_head(private)
    data = canonical(sth.to_json()) + b"\n"
    if out is not None:
        _write(out, data, "--out")
    typer.echo(data.decode("utf-8"), nl=False)


def _tree_head_arg(store: Store, option: str, value: str) -> SignedTreeHead:
    """A tree size (the newest stored head of that size) or a signed tree head file."""
    if value.isdigit():
        sth = store.tree_head(int(value))
        if sth is None:
            fail(f"{option}: no signed tree head of {int(value):,} records is stored "
                 "(give a tree head file, or see 'audit sign-tree-head')")
        return sth
    return _read_tree_head(option, Path(value))


@audit_app.command()
def prove(
    record_id: Annotated[str | None, typer.Argument(
        help="Record id: print its inclusion proof.")] = None,
    first: Annotated[str | None, typer.Option(
        "--from", help="Consistency proof from this tree head: a tree size or a file.")
    ] = None,
    second: Annotated[str | None, typer.Option(
        "--to", help="... to this tree head (default: the newest signed one).")] = None,
    tree_head: Annotated[str | None, typer.Option(
        "--tree-head", help="Prove inclusion in this head: a tree size or a file "
        "(default: the newest signed one).")] = None,
    out: OutOpt = None,
    leaf_out: Annotated[Path | None, typer.Option(
        "--leaf-out", help="Write the record's canonical bytes (the leaf) here.")] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Proofs a verifier checks with 'decision-engine-verify' and the public key alone:
    'prove ID' (the record is in a signed tree head) or 'prove --from N --to M' (the
    later head extends the earlier one: nothing it covered was rewritten)."""
    from decision_engine.audit.canonical import canonical
    from decision_engine.audit.errors import AuditError

    if (record_id is None) == (first is None):
        fail("give a record id, or --from (and optionally --to), not both")
    with store_or_fail(database_url) as store:
        try:
            if record_id is not None:
                sth = (_tree_head_arg(store, "--tree-head", tree_head) if tree_head
                       else store.tree_head())
                if sth is None:
                    fail("no signed tree head is stored yet: run 'audit sign-tree-head'")
                proof = store.prove_inclusion(record_id, sth)
                document = proof.to_json()
                if leaf_out is not None:
                    _write(leaf_out, proof.leaf, "--leaf-out")
            else:
                assert first is not None
                later = (_tree_head_arg(store, "--to", second) if second
                         else store.tree_head())
                if later is None:
                    fail("no signed tree head is stored yet: run 'audit sign-tree-head'")
                document = store.prove_consistency(_tree_head_arg(store, "--from", first),
                                                   later)
        except AuditError as exc:
            fail(str(exc), code=1)
    _write(out, canonical(document) + b"\n", "--out")


@audit_app.command()
def backup(
    path: Annotated[Path, typer.Argument(help="SQLite file to create.")],
    database_url: DatabaseOpt = None,
) -> None:
    """Consistent online copy of a SQLite store (decisions may be recorded meanwhile).
    For PostgreSQL use pg_dump (see docs/audit.md)."""
    from decision_engine.audit.errors import AuditError

    if path.exists():
        fail(f"{path} exists; a backup never overwrites a file")
    with store_or_fail(database_url) as store:
        try:
            records = store.backup(path)
        except AuditError as exc:
            fail(str(exc))
    typer.echo(f"backup: {records:,} records → {path}; check it with "
               f"'decision-engine audit verify --database-url sqlite:///{path}'")


@audit_app.command()
def checkpoint(
    out: Annotated[Path, typer.Option("--out", help="Checkpoint file to write (JSON).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    skip_verify: Annotated[bool, typer.Option(
        "--skip-verify", help="Do not verify the chain first.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Write the chain head (seq, hash, count, time) to a file. Keep it off this host:
    'audit verify --against FILE' then detects a rewrite of the whole chain."""
    from decision_engine.audit.canonical import canonical

    if out.exists() and not force:
        fail(f"--out: {out} exists; checkpoints are evidence, use a new name or --force")
    with store_or_fail(database_url) as store:
        if skip_verify:
            cp = store.checkpoint()
        else:
            result = store.verify()
            if not result.ok:
                fail(f"chain does not verify, not checkpointing it: {result.broken or ''} "
                     f"{'; '.join(result.subject_problems)}", code=1)
            cp = store.checkpoint(result)  # exactly the head that was verified
    try:
        out.write_bytes(canonical(cp.to_json()) + b"\n")
    except OSError as exc:
        fail(f"--out: {out}: {exc.strerror}")
    typer.echo(f"checkpoint: seq {cp.seq}, {cp.count:,} records, hash {cp.hash} → {out}")


@audit_app.command()
def replay(
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    family: FamilyOpt = None,
    policy_version: Annotated[str | None, typer.Option(
        "--policy-version", help="Replay under this version instead of the recorded one: "
        "an impact report.")] = None,
    recorded_version: Annotated[str | None, typer.Option(
        "--recorded-version", help="Only decisions recorded under this version.")] = None,
    service_area: AreaOpt = None,
    engine: Annotated[str, typer.Option(help="fast (compiled Python, default) or durable "
                                        "(durable-rules).")] = "fast",
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    out: OutOpt = None,
    progress: Annotated[bool, typer.Option(help="Progress bar on stderr.")] = True,
    policies: Annotated[Path | None, typer.Option(
        "--policies", help="Directory holding policies.yaml (default as for 'decide').")] = None,
    actor: ActorOpt = None,
    role: RoleOpt = "auditor",
    justification: Annotated[str | None, typer.Option(
        help="Why the decisions are read (logged).")] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Re-evaluate recorded decisions: reproduced or differs (field-level diff), or with
    --policy-version the outcome changes under another version."""
    from decision_engine.audit.replay import ReplayOptions
    from decision_engine.audit.replay import replay as run
    from decision_engine.audit.report import make_sink

    if engine not in ("fast", "durable"):
        fail(f"--engine: {engine!r}: expected fast or durable")
    if fmt not in ("table", "csv", "json"):
        fail(f"--format: {fmt!r}: expected table, csv or json")
    if workers < 1:
        fail("--workers: must be at least 1")
    flt = _filter(date_from, date_to, family, service_area, recorded_version)
    reason = justification or ("impact assessment" if policy_version else
                               "reproducibility check")
    options = ReplayOptions(target_version=policy_version,
                            engine="fast" if engine == "fast" else "durable",
                            policies_root=str(policies) if policies else None,
                            workers=workers)
    with store_or_fail(database_url) as store, _output(out) as stream:
        sink = make_sink("csv" if fmt == "csv" else "json" if fmt == "json" else "table",
                         stream)
        report = run(store, flt, options, _access(actor, role, service_area, reason),
                     on_item=sink.item, progress=progress)
        sink.finish(report)
    if out is not None or fmt != "table":
        typer.echo(f"{report.mode}: {report.processed:,} replayed, {report.reproduced:,} "
                   f"reproduced, {report.differs:,} differ, {report.outcome_changed:,} "
                   f"outcome changes, {report.errors:,} errors", err=True)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command()
def export(
    justification: Annotated[str, typer.Option(help="Why the decisions are exported "
                                               "(logged in the chain).")],
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    out: OutOpt = None,
    family: FamilyOpt = None,
    service_area: AreaOpt = None,
    actor: ActorOpt = None,
    role: RoleOpt = "auditor",
    database_url: DatabaseOpt = None,
) -> None:
    """Export decisions (pseudonymised, with their final decisions) as CSV or JSON Lines."""
    from decision_engine.audit.export import export_decisions

    if fmt not in ("csv", "jsonl"):
        fail(f"--format: {fmt!r}: expected csv or jsonl")
    flt = _filter(date_from, date_to, family, service_area)
    with store_or_fail(database_url) as store, _output(out) as stream:
        count = export_decisions(store, flt, "csv" if fmt == "csv" else "jsonl", stream,
                                 _access(actor, role, service_area, justification))
    typer.echo(f"exported {count:,} decisions", err=True)


@audit_app.command()
def erase(
    justification: Annotated[str, typer.Option(help="Why (logged in the chain; must not "
                                               "contain the identifiers).")],
    older_than_retention: Annotated[bool, typer.Option(
        "--older-than-retention", help="Every subject past its family's retention period.")
    ] = False,
    pseudonym: Annotated[list[str] | None, typer.Option(
        "--pseudonym", help="Erase this pseudonym's identifiers (repeatable).")] = None,
    case_reference: Annotated[str | None, typer.Option(
        "--case-reference", help="Erase every subject with this case reference.")] = None,
    retention: Annotated[Path | None, typer.Option(
        "--retention", help="Retention TOML file (else DECISION_ENGINE_RETENTION_FILE or "
        "DECISION_ENGINE_RETENTION).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List, do not erase.")] = False,
    wait: WaitOpt = 10.0,
    actor: ActorOpt = None,
    role: RoleOpt = "data-protection-officer",
    database_url: DatabaseOpt = None,
) -> None:
    """Erase personal identifiers (case reference, date of birth, monitoring data) and
    record each erasure in the chain; decisions stay verifiable and replayable. Exit 3
    if old copies are still on disk when --wait runs out ('audit scrub' finishes)."""
    from decision_engine.audit.config import load_retention
    from decision_engine.audit.errors import ConfigError, ErasureIncomplete

    if sum([older_than_retention, bool(pseudonym), case_reference is not None]) != 1:
        fail("choose exactly one of --older-than-retention, --pseudonym, --case-reference")
    period: dict[str, str | None] = {}
    with store_or_fail(database_url) as store:
        if older_than_retention:
            try:
                policy = load_retention(retention)
            except ConfigError as exc:
                fail(str(exc))
            if not policy.configured:
                fail("no retention period is configured (DECISION_ENGINE_RETENTION, "
                     "DECISION_ENGINE_RETENTION_FILE or --retention); nothing erased")
            due = store.due_for_erasure(policy)
            targets = [p for p, _ in due]
            period = {p: policy.period(f) for p, f in due}
            reason = "retention"
        elif pseudonym:
            targets, reason = list(pseudonym), "request"
        else:
            targets, reason = store.pseudonyms_for_case(str(case_reference)), "request"
            if not targets:
                fail("no unerased subject has that case reference", code=1)
        if dry_run:
            for p in targets:
                typer.echo(p)
            typer.echo(f"{len(targets):,} subject(s) would be erased", err=True)
            return
        refs = []
        pending: ErasureIncomplete | None = None
        by_period: dict[str | None, list[str]] = {}
        for p in targets:
            by_period.setdefault(period.get(p), []).append(p)
        for span, group in by_period.items():
            try:
                refs += store.erase(group, reason="retention" if reason == "retention"
                                    else "request", justification=justification,
                                    actor_role=role, actor_id=_actor(actor), retention=span,
                                    scrub_wait=wait)
            except ErasureIncomplete as exc:
                refs += exc.refs
                pending = exc
    typer.echo(f"erased {len(refs):,} subject(s); erasure records seq "
               + (f"{refs[0].seq}..{refs[-1].seq}" if refs else "-"), err=True)
    if pending is not None:
        fail(str(pending), code=3)


@audit_app.command()
def scrub(wait: WaitOpt = 10.0, database_url: DatabaseOpt = None) -> None:
    """Finish erasures that exited 3: copy the write-ahead log into the database file and
    truncate it, so no old copy of an erased identifier stays on disk."""
    from decision_engine.audit.errors import ErasureIncomplete

    with store_or_fail(database_url) as store:
        try:
            store.finish_erasure(wait)
        except ErasureIncomplete as exc:
            fail(str(exc), code=3)
    typer.echo("scrubbed: the write-ahead log is empty; erased identifiers are gone from "
               "the database files" if store.backend == "sqlite"
               else "scrubbed: VACUUM subjects ran", err=True)


@audit_app.command()
def migrate(database_url: DatabaseOpt = None) -> None:
    """Apply pending schema migrations and list the applied ones."""
    from decision_engine.audit.migrate import applied_versions

    with store_or_fail(database_url) as store:
        for version, name, applied_at in applied_versions(store.db):
            typer.echo(f"{version:04d}  {name:<30} {applied_at}")
        typer.echo(f"database: {store.url}")
