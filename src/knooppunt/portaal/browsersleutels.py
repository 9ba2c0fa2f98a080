"""Organisations whose keys are in the browser (DESIGN §5 "Portal": the portal is zero-knowledge).
The server can neither open their messages nor seal new ones for them: reading, composing and
uploading happen on the werkplek (/portaal/sleutels), in the browser. The server-side pages that
would take content — the zip download, Bekijken and Weigeren, Nieuw bericht, Antwoorden uploaden —
send such a user there before a form is shown, so no content is typed into a page that posts it to
the server; a POST that arrives anyway is refused unread."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse

from knooppunt.portaal.fouten import PortaalFout
from knooppunt.portaal.sessies import Gebruiker, runtime
from knooppunt.store import clientlabels
from knooppunt.store.db import transactie

WERKPLEK = "/portaal/sleutels"


def in_browser(request: Request, gebruiker: Gebruiker) -> bool:
    """Are this organisation's keys in the browser (any of its users keeps a key blob)? Then the
    server must not handle its content, whichever of its users asks."""
    if gebruiker.oin is None:
        return False
    with transactie(runtime(request).sessions) as session:
        return clientlabels.heeft_browsersleutels(session, gebruiker.oin)


def naar_werkplek(request: Request, gebruiker: Gebruiker, anker: str) -> RedirectResponse | None:
    """For a GET of a server-side compose or upload page: the werkplek's section instead (303)."""
    if not in_browser(request, gebruiker):
        return None
    return RedirectResponse(f"{WERKPLEK}#{anker}", status_code=303)


def weiger_op_de_server(request: Request, gebruiker: Gebruiker, wat: str) -> None:
    """For a POST that would hand content to the server: 409, and what to do instead."""
    if in_browser(request, gebruiker):
        raise PortaalFout(
            f"Uw sleutels staan in uw browser: {wat} doet u op de werkplek (Sleutels en berichten, "
            f"{WERKPLEK}), waar de inhoud in uw browser wordt ondertekend en versleuteld. Het portaal "
            "heeft niets verstuurd en niets bewaard.",
            status=409,
            titel="Doe dit op de werkplek",
        )
