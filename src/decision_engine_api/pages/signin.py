"""Signing in and out, and each role's start page.

The sign-in form is protected against cross-site posting by a double-submit token
(a random cookie echoed in the form), since there is no session yet; every later form
carries the session's own token, checked in ``auth.require``.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from decision_engine_api.auth import CSRF_FIELD, SESSION_COOKIE, Principal, require
from decision_engine_api.deps import ServicesDep
from decision_engine_api.pages.render import SECURITY_HEADERS, page
from decision_engine_api.people import SignInRefused

router = APIRouter(include_in_schema=False)
PRE_CSRF_COOKIE = "de_signin_csrf"
SignedIn = Annotated[Principal, Depends(require("policies.read", page=True))]


def _safe_next(target: str) -> str:
    """Only a path on this site (never ``//host`` or a URL) may follow sign-in."""
    return target if target.startswith("/") and not target.startswith("//") else "/home"


def _form(request: Request, *, next_: str, username: str = "", status: int = 200,
          error: str | None = None) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    errors = [{"anchor": "username", "label": "Sign in", "detail": error}] if error else []
    response = page(request, "pages/sign_in.html", title="Sign in", status=status,
                    errors=errors, csrf_token=token, next=next_, username=username,
                    field_errors={"username": error} if error else {})
    response.set_cookie(PRE_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/sign-in")
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "/home") -> HTMLResponse:
    return _form(request, next_=_safe_next(next))


@router.post("/sign-in")
def sign_in(request: Request, services: ServicesDep,
            username: Annotated[str, Form(max_length=200)] = "",
            password: Annotated[str, Form(max_length=1000)] = "",
            csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
            next: Annotated[str, Form(max_length=2000)] = "/home",
            ) -> Response:
    cookie = request.cookies.get(PRE_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        return _form(request, next_=_safe_next(next), username=username, status=403,
                     error="the form was sent without its security token; sign in again "
                     "from this page")
    try:
        token, _ = services.people.sign_in(username.strip(), password)
    except SignInRefused as exc:
        return _form(request, next_=_safe_next(next), username=username, status=401,
                     error=str(exc))
    response = RedirectResponse(_safe_next(next), status_code=303, headers=SECURITY_HEADERS)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    response.delete_cookie(PRE_CSRF_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out(request: Request, principal: SignedIn, services: ServicesDep) -> Response:
    services.people.end(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/sign-in", status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/home", response_class=HTMLResponse)
def home(request: Request, principal: SignedIn) -> HTMLResponse:
    return page(request, "pages/home.html", title="Home")
