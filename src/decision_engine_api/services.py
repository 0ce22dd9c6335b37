"""What a worker process holds for its lifetime: the store, the registry, credentials,
people (users and sessions) and the replay job queue. Built once at start-up (so a bad
database URL, a store that is not durable or a policy whose hash does not match fails
the start, not a request) and reached from routes through :func:`get_services`."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from decision_engine.audit import Store, open_store
from decision_engine.audit.db import open_database
from decision_engine.policy.registry import Registry
from decision_engine_api.credentials import Credentials
from decision_engine_api.jobs import ReplayJobs
from decision_engine_api.people import People
from decision_engine_api.recorder import Recorder
from decision_engine_api.settings import Settings


@dataclass
class Services:
    settings: Settings
    store: Store
    registry: Registry
    credentials: Credentials
    jobs: ReplayJobs
    recorder: Recorder
    people: People
    families: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def open(cls, settings: Settings, *, store: Store | None = None,
             registry: Registry | None = None) -> Services:
        registry = registry or Registry.load(settings.policy_root)
        store = store or open_store(settings.database_url)
        # Its own connection: key and session checks never wait behind an audit COMMIT.
        access_db = open_database(store.db.url)
        return cls(settings=settings, store=store, registry=registry,
                   credentials=Credentials(access_db,
                                           cache_seconds=settings.credential_cache_seconds),
                   people=People(access_db, idle_seconds=settings.session_idle_seconds),
                   jobs=ReplayJobs(store, registry.root, max_items=settings.replay_max_items),
                   recorder=Recorder(store, group_commit=settings.group_commit),
                   families=frozenset(registry.families()))

    def close(self) -> None:
        self.jobs.stop()
        self.recorder.close()
        self.credentials.db.close()
        self.store.close()


async def get_services(request: Request) -> Services:
    """Async on purpose (as are the auth dependencies): a sync dependency costs a thread
    pool hop per request, which was most of the framework's overhead under load."""
    services: Services = request.app.state.services
    return services
