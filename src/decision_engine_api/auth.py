"""Who may call what: the role matrix and the one dependency that enforces it.

Every route except ``/``, ``/healthz``, ``/readyz`` and the OpenAPI pages declares an
action with :func:`require`; the dependency authenticates the bearer key (401 problem
otherwise) and checks the action against :data:`MATRIX` (403 problem otherwise).
Creating a decision is further limited by family (:data:`FAMILY_ROLES`), and reading,
finalising or replaying a stored one by the decision's family and service area
(:meth:`Principal.may_see`): a stored decision the credential may not see is answered
404, as if it did not exist, so neither its existence nor its area leaks.
``docs/api.md`` prints this matrix; ``tests/api/test_access.py`` checks every pair.

People using the pages are checked by the same dependency (``require(action,
page=True)``): the principal comes from their session cookie instead of a key, every
unsafe request must carry the session's CSRF token, and the matrix, families and
service areas are the ones above.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request

from decision_engine_api.credentials import ROLES, Role
from decision_engine_api.people import Session
from decision_engine_api.problems import ProblemError, field_problem
from decision_engine_api.services import Services, get_services

Action = Literal[
    "decisions.create", "decisions.read", "decisions.final", "decisions.replay",
    "replays.create", "replays.read", "exports.read", "reports.read", "policies.read",
]

OPERATIONAL: frozenset[Role] = frozenset({"panel", "court_officer", "case_manager", "custody"})
OVERSIGHT: frozenset[Role] = frozenset({"auditor", "policy_admin"})

MATRIX: dict[Action, frozenset[Role]] = {
    # record a recommendation (and only for the families in FAMILY_ROLES)
    "decisions.create": OPERATIONAL,
    # read one stored decision: its own families for operational roles, any for auditors
    "decisions.read": OPERATIONAL | {"auditor"},
    # the final outcome, by the role that records that family's decisions
    "decisions.final": OPERATIONAL,
    # re-evaluate stored decisions (reproduce, or what-if against another version)
    "decisions.replay": OVERSIGHT,
    "replays.create": OVERSIGHT,
    "replays.read": OVERSIGHT,
    # export stored decisions (CSV or JSON Lines)
    "exports.read": frozenset({"auditor"}),
    # board reports (aggregates by monitoring group, rationales): logged like exports
    "reports.read": frozenset({"auditor"}),
    # policies are published law and guidance: every role may read them
    "policies.read": frozenset(ROLES),
}

FAMILY_ROLES: dict[str, frozenset[Role]] = {
    "gravity-matrix": frozenset({"panel"}),
    "oocd-pathways": frozenset({"court_officer"}),
    "enhanced-case-management": frozenset({"case_manager"}),
    "contact-frequency": frozenset({"case_manager"}),
    "pace-transfer": frozenset({"custody"}),
}
"""Which operational role records decisions of each family. A family missing here can
be read and replayed by oversight roles but recorded by nobody until it is added."""

JUSTIFICATION_REQUIRED: frozenset[Role] = OVERSIGHT
"""Roles that must say why they read stored decisions (``X-Justification``); for the
operational roles reading their own families' decisions it defaults to case work."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a system's API key or a signed-in person."""

    role: Role
    service_area: str
    actor_id: str
    session: Session | None = None
    """Set for a person signed in to the pages (their CSRF token, their name)."""

    def may_create(self, family: str) -> bool:
        return self.role in FAMILY_ROLES.get(family, frozenset())

    def may_see(self, family: str | None, service_area: str) -> bool:
        """Whether a stored decision of *family* in *service_area* is visible at all."""
        if service_area != self.service_area:
            return False
        if self.role in OVERSIGHT:
            return True
        return family is not None and self.may_create(family)

    def justification(self, given: str | None) -> str:
        """The justification to log for a read: the one given, or the default for
        operational roles; oversight roles must give one."""
        if given is not None and given.strip():
            return given.strip()
        if self.role in JUSTIFICATION_REQUIRED:
            raise field_problem(422, "invalid-request", "Invalid request",
                                "header.X-Justification",
                                f"is required for the {self.role} role: say why these "
                                "decisions are being read (it is logged)")
        return f"case work ({self.role})"


BEARER_SCHEME = {"type": "http", "scheme": "bearer", "description": (
    "An API key from `decision-engine credentials create`, sent as "
    "`Authorization: Bearer de_...`.")}
"""Declared in the OpenAPI document by ``api.app`` (the header is parsed here, in the
one dependency, to keep per-request overhead down)."""

_UNAUTHENTICATED = {"WWW-Authenticate": 'Bearer realm="decision-engine"'}


def authenticate(services: Services, authorization: str | None) -> Principal:
    """The principal an ``Authorization: Bearer`` header proves, or a 401 problem."""
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ProblemError(401, "unauthenticated", "Unauthenticated",
                           "send an API key as 'Authorization: Bearer de_...'",
                           headers=_UNAUTHENTICATED)
    # A cached key costs a dict lookup; a miss is one indexed read on the credentials'
    # own connection (never queued behind an audit COMMIT).
    credential = services.credentials.authenticate(key.strip())
    if credential is None:
        raise ProblemError(401, "unauthenticated", "Unauthenticated",
                           "the API key is not valid or has been revoked",
                           headers=_UNAUTHENTICATED)
    return Principal(credential.role, credential.service_area, credential.actor_id)


SESSION_COOKIE = "de_session"
CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """A page was asked for without a live session; answered with a redirect to sign in."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


async def session_principal(services: Services, request: Request) -> Principal:
    """The person a session cookie proves; unsafe requests must carry its CSRF token."""
    session = services.people.session(request.cookies.get(SESSION_COOKIE, ""))
    if session is None:
        raise SignInRequired(request.url.path)
    if request.method not in ("GET", "HEAD"):
        form = await request.form()  # cached by Starlette for the route's Form fields
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf_token):
            raise ProblemError(403, "csrf", "Form refused",
                               "the form was sent without its security token (or with an "
                               "old one); go back, reload the page and send it again")
    user = session.user
    principal = Principal(user.role, user.service_area, user.actor_id, session)
    request.state.principal = principal
    return principal


def check_create(principal: Principal, family: str, families: frozenset[str]) -> None:
    """403 unless *principal* may record *family* decisions (``decisions.create`` and the
    family's role); an unknown family is left to the route's 404. The one statement of
    this rule, for :func:`require` and the API's fast lane."""
    if principal.role not in MATRIX["decisions.create"]:
        raise ProblemError(403, "forbidden", "Forbidden",
                           f"the {principal.role} role may not perform decisions.create")
    if family in families and not principal.may_create(family):
        raise ProblemError(403, "forbidden", "Forbidden",
                           f"the {principal.role} role may not record {family} decisions")


def require(action: Action, *, page: bool = False
            ) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: an authenticated principal whose role may perform *action*: by API
    key, or with ``page=True`` by session cookie (and CSRF token on unsafe requests).

    Async and self-contained on purpose: a sync or nested dependency costs FastAPI a
    thread-pool hop or a resolution step on every request.
    """
    allowed = MATRIX[action]

    async def dependency(request: Request) -> Principal:
        services = await get_services(request)
        principal = (await session_principal(services, request) if page
                     else authenticate(services, request.headers.get("authorization")))
        if principal.role not in allowed:
            raise ProblemError(403, "forbidden", "Forbidden",
                               f"the {principal.role} role may not perform {action}")
        if action == "decisions.create":
            # A path parameter on the pages; the last segment of the API's own
            # POST /v1/decisions/<family> route (one literal route per family).
            check_create(principal, str(request.path_params.get("family")
                                        or request.url.path.rsplit("/", 1)[-1]),
                         services.families)
        return principal

    dependency.__name__ = f"require_{action.replace('.', '_')}{'_page' if page else ''}"
    return dependency
