"""Portal sessions: a random token in a Secure, HttpOnly, SameSite=Lax ``__Host-`` cookie; the
server keeps its SHA-256 with the user, a CSRF token, the last activity (idle timeout) and an
absolute end. Logging out or idling deletes the row, so a copied cookie is useless afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from knooppunt.hub import audit
from knooppunt.portaal.fouten import GeenToegang, InloggenNodig
from knooppunt.runtime import Runtime
from knooppunt.store import aanvragen as aanvragen_store
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store import portaal as store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import PortaalSessie

COOKIE = "__Host-knooppunt-sessie"
# Write the last activity at most this often: every page view need not be a write.
AANRAAK_INTERVAL = timedelta(seconds=30)


@dataclass(frozen=True)
class Gebruiker:
    """Who is logged in: a person of a participant (``oin``, ``rol``), a beheerder, or an aanmelder:
    a person of an organisation that logged in with eHerkenning but is not yet a participant
    (``kvk``, ``vestiging`` from the login), who may only fill in and follow its aanvragen."""

    token_hash: str
    soort: str  # deelnemer | beheerder | aanmelder
    gebruiker: str
    onderwerp: str
    csrf: str
    oin: str | None = None
    organisatie: str | None = None
    rol: str | None = None
    kvk: str | None = None
    vestiging: str | None = None

    @property
    def is_beheerder(self) -> bool:
        return self.soort == "beheerder"

    @property
    def is_aanmelder(self) -> bool:
        return self.soort == "aanmelder"

    @property
    def audit_actor(self) -> str:
        """How the audit log names this person: ``portaal:<subject>``."""
        return f"portaal:{self.onderwerp}"[:80]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def runtime(request: Request) -> Runtime:
    rt = request.app.state.runtime
    assert isinstance(rt, Runtime)
    return rt


def begin(
    session: Session,
    rt: Runtime,
    *,
    soort: str,
    oin: str | None,
    gebruiker: str,
    onderwerp: str,
    hoe: str,
    nu: datetime,
    kvk: str | None = None,
    vestiging: str | None = None,
) -> str:
    """Start a session (after a successful login); returns the cookie token. An aanmelder's session
    (``soort`` aanmelder) keeps the organisation of the login: `kvk` and `vestiging`."""
    if (soort == "aanmelder") != (kvk is not None):
        raise ValueError("an aanmelder's session, and only that, names the KvK number of the login")
    token = secrets.token_urlsafe(32)
    store.bewaar_sessie(
        session,
        PortaalSessie(
            token_hash=_hash(token),
            soort=soort,
            oin=oin,
            gebruiker=gebruiker[:200],
            onderwerp=onderwerp[:200],
            csrf=secrets.token_urlsafe(32),
            aangemaakt_op=nu,
            laatst_actief_op=nu,
            verloopt_op=nu + timedelta(hours=rt.settings.portaal_sessie_max_uren),
        ),
    )
    if kvk is not None:
        aanvragen_store.bewaar_aanmelder(session, token_hash=_hash(token), kvk=kvk, vestiging=vestiging)
    audit.ingelogd(session, wie=f"portaal:{onderwerp}", oin=oin, hoe=hoe, nu=nu)
    store.ruim_sessies_op(
        session, nu=nu, inactief_sinds=nu - timedelta(minutes=rt.settings.portaal_inactief_minuten)
    )
    return token


def huidige(request: Request) -> Gebruiker | None:
    """The logged-in user of this request, or None (no cookie, unknown, idle too long, expired)."""
    if "portaal_gebruiker" in request.state._state:
        gevonden: Gebruiker | None = request.state.portaal_gebruiker
        return gevonden
    token = request.cookies.get(COOKIE)
    gebruiker = None
    if token and len(token) < 100:
        rt = runtime(request)
        with transactie(rt.sessions) as session:
            nu = db_nu(session)
            gebruiker = _lees(session, rt, _hash(token), nu)
    request.state.portaal_gebruiker = gebruiker
    return gebruiker


def _lees(session: Session, rt: Runtime, token_hash: str, nu: datetime) -> Gebruiker | None:
    rij = store.sessie(session, token_hash)
    if rij is None:
        return None
    inactief = timedelta(minutes=rt.settings.portaal_inactief_minuten)
    if rij.verloopt_op <= nu or rij.laatst_actief_op + inactief <= nu:
        store.verwijder_sessie(session, token_hash)
        return None
    if nu - rij.laatst_actief_op >= AANRAAK_INTERVAL:
        store.raak_aan(session, token_hash, nu)
    organisatie = rol = kvk = vestiging = None
    if rij.soort == "aanmelder":
        aanmelder = aanvragen_store.aanmelder(session, token_hash)
        if aanmelder is None:
            store.verwijder_sessie(session, token_hash)
            return None
        kvk, vestiging = aanmelder.kvk_nummer, aanmelder.vestigingsnummer
    if rij.oin is not None:
        deelnemer = deelnemers_store.haal(session, rij.oin)
        if deelnemer is None:  # removed from the adresboek since the login
            store.verwijder_sessie(session, token_hash)
            return None
        organisatie, rol = deelnemer.naam, deelnemer.rol
    return Gebruiker(
        token_hash=token_hash,
        soort=rij.soort,
        gebruiker=rij.gebruiker,
        onderwerp=rij.onderwerp,
        csrf=rij.csrf,
        oin=rij.oin,
        organisatie=organisatie,
        rol=rol,
        kvk=kvk,
        vestiging=vestiging,
    )


def beeindig(request: Request, gebruiker: Gebruiker) -> None:
    rt = runtime(request)
    request.state.portaal_gebruiker = None
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        store.verwijder_sessie(session, gebruiker.token_hash)
        audit.uitgelogd(session, wie=gebruiker.audit_actor, oin=gebruiker.oin, hoe="uitgelogd", nu=nu)


def zet_cookie_kop(token: str) -> str:
    """The Set-Cookie value: ``__Host-`` (Secure, Path=/, no Domain), HttpOnly, SameSite=Lax, and a
    session cookie (no Max-Age): the server decides when it ends."""
    return f"{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Lax"


def wis_cookie_kop() -> str:
    return f"{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"


# --- dependencies ----------------------------------------------------------------------------------


def _ingelogd(request: Request) -> Gebruiker:
    gebruiker = huidige(request)
    if gebruiker is None:
        raise InloggenNodig(request.url.path)
    return gebruiker


def _deelnemer(gebruiker: Annotated[Gebruiker, Depends(_ingelogd)]) -> Gebruiker:
    if gebruiker.oin is None:
        raise GeenToegang("Deze pagina is voor deelnemers (schuldeisers en schuldhulpverleners).")
    return gebruiker


def _schuldeiser(gebruiker: Annotated[Gebruiker, Depends(_deelnemer)]) -> Gebruiker:
    if gebruiker.rol not in ("SE", "WF", "BW"):
        raise GeenToegang("Deze pagina is voor schuldeisers.")
    return gebruiker


def _beantwoorder(gebruiker: Annotated[Gebruiker, Depends(_schuldeiser)]) -> Gebruiker:
    """Who uploads answers (DESIGN §7, art. 18: the creditor, and the fund in waarborgfonds): a
    bewindvoerder receives answers but answers nothing, and composes with Nieuw bericht."""
    if gebruiker.rol == "BW":
        raise GeenToegang(
            "Antwoorden uploaden is voor schuldeisers en het waarborgfonds: een bewindvoerder "
            "beantwoordt geen berichten. Een nieuw bericht stelt u op met Nieuw bericht."
        )
    return gebruiker


def _schuldhulpverlener(gebruiker: Annotated[Gebruiker, Depends(_deelnemer)]) -> Gebruiker:
    if gebruiker.rol != "SHV":
        raise GeenToegang("Deze pagina is voor schuldhulpverleners.")
    return gebruiker


def _afzender(gebruiker: Annotated[Gebruiker, Depends(_deelnemer)]) -> Gebruiker:
    """Who composes a client's messages in the portal: a debt counsellor or kredietbank (SHV) or a
    bewindvoerder (BW), DESIGN §7."""
    if gebruiker.rol not in ("SHV", "BW"):
        raise GeenToegang("Deze pagina is voor schuldhulpverleners, kredietbanken en bewindvoerders.")
    return gebruiker


def _aanmelder(gebruiker: Annotated[Gebruiker, Depends(_ingelogd)]) -> Gebruiker:
    if not gebruiker.is_aanmelder:
        raise GeenToegang(
            "Deze pagina is voor organisaties die zich aanmelden als deelnemer. Is uw organisatie al "
            "deelnemer, dan vraagt u extra modules aan via 'Modules aanvragen'."
        )
    return gebruiker


def _beheerder(gebruiker: Annotated[Gebruiker, Depends(_ingelogd)]) -> Gebruiker:
    if not gebruiker.is_beheerder:
        raise GeenToegang("Deze pagina is voor beheerders van het knooppunt.")
    return gebruiker


Ingelogd = Annotated[Gebruiker, Depends(_ingelogd)]
DeelnemerGebruiker = Annotated[Gebruiker, Depends(_deelnemer)]
Schuldeiser = Annotated[Gebruiker, Depends(_schuldeiser)]
Beantwoorder = Annotated[Gebruiker, Depends(_beantwoorder)]
Schuldhulpverlener = Annotated[Gebruiker, Depends(_schuldhulpverlener)]
Afzender = Annotated[Gebruiker, Depends(_afzender)]
Beheerder = Annotated[Gebruiker, Depends(_beheerder)]
Aanmelder = Annotated[Gebruiker, Depends(_aanmelder)]


async def controleer_csrf(request: Request) -> None:
    """Every state-changing request carries the session's CSRF token in the form field ``csrf``
    (or the ``X-CSRF-Token`` header); SameSite=Lax is the second line, not the only one."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    # In a thread: reading the login session is a database transaction, which must not block the
    # event loop (on SQLite it may wait for the write lock).
    gebruiker = await run_in_threadpool(huidige, request)
    verwacht = gebruiker.csrf if gebruiker else request.cookies.get(LOGIN_CSRF_COOKIE, "")
    gekregen = request.headers.get("x-csrf-token", "")
    if not gekregen:
        # A route that parses its own body (the upload, in memory) leaves the fields here.
        formulier = getattr(request.state, "formulier", None)
        if formulier is None:
            formulier = await request.form()
        waarde = formulier.get("csrf")
        gekregen = waarde if isinstance(waarde, str) else ""
    if not verwacht or not hmac.compare_digest(verwacht.encode(), gekregen.encode()):
        raise GeenToegang(
            "Het formulier is verlopen of niet door dit portaal verstuurd (CSRF-controle). Laad de pagina "
            "opnieuw en probeer het nog eens.",
            status=403,
        )


# Before login there is no session: the login forms carry a token from this cookie instead.
LOGIN_CSRF_COOKIE = "__Host-knooppunt-login-csrf"

Csrf = Depends(controleer_csrf)
