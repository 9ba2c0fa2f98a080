"""The portal's pages, one router per area."""

from __future__ import annotations

from fastapi import APIRouter

from knooppunt.portaal.routes import (
    aanmelden,
    beheer,
    clienten,
    info,
    inloggen,
    instellingen,
    oidc,
    ontvangen,
    opstellen,
    start,
    upload,
    verzonden,
    werkplek_opstellen,
)

ROUTERS: list[APIRouter] = [
    inloggen.router,
    oidc.router,
    start.router,
    ontvangen.router,
    upload.router,
    opstellen.router,
    clienten.router,
    verzonden.router,
    instellingen.router,
    beheer.router,
    aanmelden.router,
    info.router,
    werkplek_opstellen.router,  # composing in the werkplek: answers, reminders, several creditors
]
