"""Login with eHerkenning through a broker that speaks OpenID Connect (DESIGN §5 "Portal").

Authorization Code flow with PKCE (S256), ``state`` and ``nonce``, run by Authlib's Starlette
client (docs/decisions/0010-oidc-login.md): it fetches the broker's discovery document, keeps
state, nonce and code verifier between the two requests in the portal's short-lived signed flow
cookie (Starlette's SessionMiddleware), exchanges the code and checks the ID token (signature
against the JWKS of the discovery document, issuer, audience, exp/iat, nonce). This module adds
what Authlib leaves to the application: that the discovery document belongs to the configured
issuer, https everywhere outside development, and the rules of the knooppunt for who may log in:

- assurance (betrouwbaarheidsniveau) at least ``KNOOPPUNT_OIDC_MIN_NIVEAU`` (EH3 by default);
- when ``KNOOPPUNT_OIDC_DIENST`` is set, a machtiging for that eHerkenning service;
- a ``sub`` listed in ``KNOOPPUNT_PORTAAL_BEHEERDERS`` logs in as beheerder of the hub;
- anyone else must be of exactly one participant: (KvK number, vestigingsnummer) of the login
  against the adresboek, or the KvK number alone when the login names no vestiging.
"""

from __future__ import annotations

import importlib
import ipaddress
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import structlog
from authlib.integrations.base_client.errors import (  # type: ignore[import-untyped]
    MismatchingStateError,
    OAuthError,
)
from authlib.integrations.starlette_client import OAuth  # type: ignore[import-untyped]
from joserfc.errors import JoseError
from sqlalchemy.orm import Session
from starlette.requests import Request

from knooppunt.config import Settings, SettingsError
from knooppunt.protocol.identificatie import OngeldigeIdentificatie, valideer_kvk
from knooppunt.store import deelnemers as store
from knooppunt.store.models import Deelnemer

log = structlog.get_logger("knooppunt.portaal.oidc")


def _netwerkfouten() -> tuple[type[Exception], ...]:
    """The errors of the HTTP library Authlib makes its requests with: httpx2 (a dependency), or
    httpx where an older installation lacks it (Authlib then warns that httpx is deprecated)."""
    try:
        httpx2 = importlib.import_module("httpx2")
    except ImportError:
        return (httpx.HTTPError,)
    fout: type[Exception] = httpx2.HTTPError
    return (fout,)


# The broker unreachable or its answer unreadable (ValueError: not JSON).
_MAKELAAR_ONBEREIKBAAR: tuple[type[Exception], ...] = (*_netwerkfouten(), ValueError)

# The flow cookie: only between leaving for the broker and coming back. eHerkenning (choosing a
# broker, a code by SMS or app) takes a few minutes; a quarter of an hour is plenty.
FLOW_COOKIE = "__Host-knooppunt-oidc"
FLOW_SECONDEN = 15 * 60
# Development logins are recorded with this prefix in the session's `onderwerp`; every other
# subject came from the broker.
ONTWIKKEL_PREFIX = "dev:"
_VOLGENDE = "oidc_volgende"
_UITLOGGEN = "oidc_uitloggen"
# ID tokens must be signed with a public key of the broker (JWKS); never "none", never a MAC.
ALGORITMEN = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
# Clock skew allowed on exp/iat of the ID token.
SPELING_SECONDEN = 60


class Niveau(IntEnum):
    """eHerkenning betrouwbaarheidsniveaus, in order (EH2+ lies between EH2 and EH3)."""

    EH1 = 10
    EH2 = 20
    EH2_PLUS = 25
    EH3 = 30
    EH4 = 40

    @property
    def label(self) -> str:
        return "EH2+" if self is Niveau.EH2_PLUS else self.name

    @classmethod
    def van_getal(cls, getal: int) -> Niveau:
        return cls(getal * 10)


# eIDAS levels as eHerkenning maps them: low = EH2+, substantial = EH3, high = EH4.
_EIDAS = {"low": Niveau.EH2_PLUS, "substantial": Niveau.EH3, "high": Niveau.EH4}
_GETAL = re.compile(r"(?:loa|eh)?\s*([1-4])\s*(\+|plus)?")


def lees_niveau(waarde: object) -> Niveau | None:
    """The assurance level in a claim: "urn:etoegang:core:assurance-class:loa3",
    "http://eidas.europa.eu/LoA/substantial", "EH2+", "3", 4, or a list of these (the lowest counts).
    None when it is missing or not understood."""
    if isinstance(waarde, list):
        niveaus = [lees_niveau(w) for w in waarde]
        if not niveaus or None in niveaus:
            return None
        return min(n for n in niveaus if n is not None)
    if isinstance(waarde, bool):
        return None
    if isinstance(waarde, int):
        return Niveau.van_getal(waarde) if 1 <= waarde <= 4 else None
    if not isinstance(waarde, str):
        return None
    staart = re.split(r"[:/#]", waarde.strip().lower())[-1]
    if staart in _EIDAS:
        return _EIDAS[staart]
    gevonden = _GETAL.fullmatch(staart)
    if gevonden is None:
        return None
    getal, plus = int(gevonden.group(1)), bool(gevonden.group(2))
    if plus:
        return Niveau.EH2_PLUS if getal == 2 else None
    return Niveau.van_getal(getal)


class Weigering(Exception):
    """A login that is refused; ``uitleg`` (Dutch) says why and what to do, ``reden`` is the code
    that is logged (metadata only)."""

    def __init__(self, reden: str, uitleg: str, *, status: int = 403) -> None:
        super().__init__(reden)
        self.reden = reden
        self.uitleg = uitleg
        self.status = status


class GeenDeelnemer(Weigering):
    """The organisation of the login (KvK number, vestiging) is not a participant: it gets a
    restricted session in which it can fill in the aanmeldformulier (routes/aanmelden.py)."""


_BEHEERDER_KNOOPPUNT = "Neem contact op met de beheerder van het knooppunt."


@dataclass(frozen=True)
class Inlog:
    """What the broker said about the person who logged in."""

    onderwerp: str  # sub
    naam: str | None
    kvk: str | None
    vestiging: str | None
    niveau: Niveau | None
    diensten: tuple[str, ...]


def _enkel(claims: Mapping[str, Any], naam: str, wat: str, reden: str) -> str | None:
    """One value of a claim (a string, a number, or a list with one distinct value)."""
    waarde = claims.get(naam)
    waarden = waarde if isinstance(waarde, list) else [waarde]
    teksten = {str(w).strip() for w in waarden if w is not None and not isinstance(w, bool)} - {""}
    if len(teksten) > 1:
        raise Weigering(
            reden,
            f"Uw inlog noemde meer dan één {wat}. Log in met een machtiging voor één organisatie, of "
            "vraag de beheerder van eHerkenning in uw organisatie om uw machtiging te beperken.",
        )
    return teksten.pop() if teksten else None


def _lijst(waarde: object) -> tuple[str, ...]:
    waarden = waarde if isinstance(waarde, list) else [waarde]
    uit: list[str] = []
    for w in waarden:
        if isinstance(w, str):
            uit.extend(w.split())
        elif isinstance(w, int) and not isinstance(w, bool):
            uit.append(str(w))
    return tuple(uit)


def lees_inlog(claims: Mapping[str, Any], settings: Settings) -> Inlog:
    """Map the broker's claims (names from the settings) to an ``Inlog``. The level comes from
    ``KNOOPPUNT_OIDC_CLAIM_NIVEAU``, or else from the standard ``acr`` claim."""
    onderwerp = claims.get("sub")
    # A subject that looks like a development login would make the audit log ambiguous.
    if not isinstance(onderwerp, str) or not onderwerp or onderwerp.startswith(ONTWIKKEL_PREFIX):
        raise Weigering(
            "geen_sub", "De inlog van eHerkenning noemde niet wie u bent. " + _BEHEERDER_KNOOPPUNT
        )
    kvk = _enkel(claims, settings.oidc_claim_kvk, "KvK-nummer", "meerdere_kvk")
    if kvk is not None:
        if kvk.isdigit() and len(kvk) < 8:
            kvk = kvk.zfill(8)  # a number in JSON loses its leading zeros
        try:
            kvk = valideer_kvk(kvk)
        except OngeldigeIdentificatie as exc:
            raise Weigering(
                "kvk_ongeldig",
                "Het KvK-nummer dat eHerkenning doorgaf, bestaat niet uit 8 cijfers. " + _BEHEERDER_KNOOPPUNT,
            ) from exc
    vestiging = _enkel(claims, settings.oidc_claim_vestiging, "vestigingsnummer", "meerdere_vestigingen")
    if vestiging is not None:
        if vestiging.isdigit() and len(vestiging) < 12:
            vestiging = vestiging.zfill(12)
        if len(vestiging) != 12 or not vestiging.isdigit():
            raise Weigering(
                "vestiging_ongeldig",
                "Het vestigingsnummer dat eHerkenning doorgaf, bestaat niet uit 12 cijfers. "
                + _BEHEERDER_KNOOPPUNT,
            )
    niveau_claim = claims.get(settings.oidc_claim_niveau)
    if niveau_claim is None:
        niveau_claim = claims.get("acr")
    naam = claims.get(settings.oidc_claim_naam)
    return Inlog(
        onderwerp=onderwerp,
        naam=(naam.strip()[:100] or None) if isinstance(naam, str) else None,
        kvk=kvk,
        vestiging=vestiging,
        niveau=lees_niveau(niveau_claim),
        diensten=_lijst(claims.get(settings.oidc_claim_dienst)),
    )


def ontbrekende_claims(claims: Mapping[str, Any], settings: Settings) -> bool:
    """Whether the ID token lacks something the rules need (then the userinfo endpoint is asked)."""
    if claims.get(settings.oidc_claim_niveau) is None and claims.get("acr") is None:
        return True
    if settings.oidc_dienst and claims.get(settings.oidc_claim_dienst) is None:
        return True
    beheerder = claims.get("sub") in settings.portaal_beheerders
    return not beheerder and claims.get(settings.oidc_claim_kvk) is None


def beoordeel(inlog: Inlog, settings: Settings) -> None:
    """The rules for everyone: level and machtiging for this service (DESIGN §5)."""
    nodig = Niveau.van_getal(settings.oidc_min_niveau)
    if inlog.niveau is None:
        raise Weigering(
            "niveau_onbekend",
            f"eHerkenning gaf geen betrouwbaarheidsniveau door dat het knooppunt kent, dus we kunnen niet "
            f"nagaan of uw inlogmiddel {nodig.label} of hoger is. " + _BEHEERDER_KNOOPPUNT,
        )
    if inlog.niveau < nodig:
        raise Weigering(
            "niveau_te_laag",
            f"Uw eHerkenningsmiddel heeft niveau {inlog.niveau.label}; voor het knooppunt is {nodig.label} "
            f"nodig. Vraag bij uw eHerkenningsleverancier een middel van niveau {nodig.label} of hoger aan "
            "en log daarmee opnieuw in.",
        )
    if settings.oidc_dienst and settings.oidc_dienst not in inlog.diensten:
        raise Weigering(
            "dienst_ontbreekt",
            "U bent met eHerkenning niet gemachtigd voor de dienst van het knooppunt. Vraag de beheerder "
            "van eHerkenning in uw organisatie (de machtigingenbeheerder) om u voor deze dienst te "
            "machtigen, en log daarna opnieuw in.",
        )


def is_beheerder(inlog: Inlog, settings: Settings) -> bool:
    return inlog.onderwerp in settings.portaal_beheerders


def deelnemer_van(session: Session, inlog: Inlog) -> Deelnemer:
    """The one participant of this login: (KvK, vestigingsnummer); the KvK number alone when the
    login names no vestiging; or, for a login of a vestiging that is not registered, the
    participant registered for the whole KvK number (without vestigingsnummer), if there is exactly
    one. Colleagues of one organisation share its mailbox (the OIN)."""
    if inlog.kvk is None:
        raise Weigering(
            "geen_kvk",
            "De inlog van eHerkenning noemde geen KvK-nummer, dus we weten niet namens welke organisatie u "
            "inlogt. Log in met een machtiging namens uw organisatie. " + _BEHEERDER_KNOOPPUNT,
        )
    gevonden = store.met_kvk(session, inlog.kvk, inlog.vestiging)
    if len(gevonden) == 1:
        return gevonden[0]
    if not gevonden and inlog.vestiging is not None:
        # A login for one vestiging of an organisation that joined as a whole (registered without a
        # vestigingsnummer): that participant. Not when the organisation joined per vestiging.
        hele = [d for d in store.met_kvk(session, inlog.kvk, limiet=50) if d.vestigingsnummer is None]
        if len(hele) == 1:
            return hele[0]
        raise GeenDeelnemer(
            "vestiging_onbekend",
            f"Uw inlog is voor vestiging {inlog.vestiging} van KvK-nummer {inlog.kvk}, maar die vestiging "
            "is geen deelnemer van het knooppunt. Log in met een machtiging voor de vestiging die "
            "deelneemt, of vraag de beheerder van het knooppunt om deze vestiging in het adresboek op "
            "te nemen.",
        )
    if not gevonden:
        raise GeenDeelnemer(
            "kvk_onbekend",
            f"Uw organisatie (KvK-nummer {inlog.kvk}) is geen deelnemer van het knooppunt. Wilt u "
            "deelnemen, of denkt u dat dit een vergissing is? " + _BEHEERDER_KNOOPPUNT,
        )
    raise Weigering(
        "kvk_dubbelzinnig",
        f"Bij KvK-nummer {inlog.kvk} horen meerdere deelnemers (vestigingen), en uw inlog noemde geen "
        "vestigingsnummer. Vraag de beheerder van eHerkenning in uw organisatie om uw machtiging te "
        "beperken tot de vestiging waarvoor u werkt, en log daarna opnieuw in.",
    )


# --- settings ------------------------------------------------------------------------------------


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def veilige_url(url: str, settings: Settings) -> bool:
    """https with a host; plain http only in development and only to this machine (a test broker)."""
    try:
        delen = urlsplit(url)
    except ValueError:
        return False
    if not delen.hostname:
        return False
    if delen.scheme == "https":
        return True
    return delen.scheme == "http" and settings.is_development and _is_loopback(delen.hostname)


def controleer_instellingen(settings: Settings) -> None:
    """Called when the portal starts. In production the portal has no other login, so incomplete
    OIDC settings stop the start with a SettingsError that names what to set (like the kluis)."""
    if not settings.is_development:
        ontbrekend = [
            naam
            for naam, waarde in (
                ("KNOOPPUNT_OIDC_ISSUER", settings.oidc_issuer),
                ("KNOOPPUNT_OIDC_CLIENT_ID", settings.oidc_client_id),
                ("KNOOPPUNT_OIDC_CLIENT_SECRET", settings.oidc_client_secret.get_secret_value()),
                ("KNOOPPUNT_OIDC_REDIRECT_URL", settings.oidc_redirect_url),
                ("KNOOPPUNT_OIDC_COOKIE_SLEUTEL", settings.oidc_cookie_sleutel.get_secret_value()),
            )
            if not waarde
        ]
        if ontbrekend:
            raise SettingsError(
                "Het portaal staat aan in productie, maar inloggen met eHerkenning (OIDC) is niet volledig "
                f"ingesteld: zet {', '.join(ontbrekend)} (zie docs/portaal.md, 'Inloggen (eHerkenning via "
                "OIDC)'). Of zet KNOOPPUNT_PORTAAL_ACTIEF=false."
            )
    sleutel = settings.oidc_cookie_sleutel.get_secret_value()
    if sleutel and len(sleutel) < 32:
        raise SettingsError(
            "KNOOPPUNT_OIDC_COOKIE_SLEUTEL is te kort: minstens 32 tekens (maak er een met: "
            'python -c "import secrets; print(secrets.token_urlsafe(32))").'
        )
    if not settings.oidc_issuer:
        return
    if not settings.oidc_client_id:
        raise SettingsError(
            "KNOOPPUNT_OIDC_CLIENT_ID hoort bij KNOOPPUNT_OIDC_ISSUER: de client-id bij de makelaar."
        )
    if not veilige_url(settings.oidc_issuer, settings):
        raise SettingsError(
            f"KNOOPPUNT_OIDC_ISSUER {settings.oidc_issuer!r} moet een https-adres zijn (http alleen in "
            "ontwikkeling, naar een makelaar op deze machine)."
        )
    if settings.oidc_redirect_url and not veilige_url(settings.oidc_redirect_url, settings):
        raise SettingsError(
            f"KNOOPPUNT_OIDC_REDIRECT_URL {settings.oidc_redirect_url!r} moet een https-adres zijn "
            "(https://<portaal>/portaal/inloggen/oidc/terug)."
        )
    if "openid" not in settings.oidc_scopes.split():
        raise SettingsError("KNOOPPUNT_OIDC_SCOPES moet 'openid' bevatten (OpenID Connect).")


def flow_cookie(settings: Settings) -> dict[str, Any]:
    """Arguments of the SessionMiddleware that carries the flow: a ``__Host-`` cookie, Secure,
    HttpOnly, SameSite=Lax (the broker's redirect back is a top-level GET, so it is sent), signed,
    and valid for FLOW_SECONDEN."""
    sleutel = settings.oidc_cookie_sleutel.get_secret_value() or secrets.token_urlsafe(32)
    return {
        "secret_key": sleutel,
        "session_cookie": FLOW_COOKIE,
        "max_age": FLOW_SECONDEN,
        "path": "/",
        "same_site": "lax",
        "https_only": True,
    }


# --- the broker ----------------------------------------------------------------------------------


class MakelaarFout(Exception):
    """The broker cannot be reached or is not configured as the settings say (502)."""

    def __init__(self, reden: str, uitleg: str) -> None:
        super().__init__(reden)
        self.reden = reden
        self.uitleg = uitleg


_MAKELAAR_WEG = (
    "eHerkenning is op dit moment niet bereikbaar. Probeer het over enkele minuten opnieuw; "
    "lukt het dan nog niet, neem dan contact op met de beheerder van het knooppunt."
)
_OPNIEUW = "Begin opnieuw met inloggen."


class Makelaar:
    """The eHerkenning broker of this portal: an Authlib client, its discovery document loaded on
    the first login (and kept), checked against the settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        geheim = settings.oidc_client_secret.get_secret_value()
        client_kwargs: dict[str, Any] = {
            "scope": settings.oidc_scopes,
            "code_challenge_method": "S256",
            "timeout": 10.0,
        }
        if not geheim:  # a public client (development): PKCE only
            client_kwargs["token_endpoint_auth_method"] = "none"  # noqa: S105 - a method, not a secret
        oauth = OAuth()
        self.client = oauth.register(
            "eherkenning",
            client_id=settings.oidc_client_id,
            client_secret=geheim or None,
            server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs=client_kwargs,
        )

    @classmethod
    def uit_instellingen(cls, settings: Settings) -> Makelaar | None:
        controleer_instellingen(settings)
        return cls(settings) if settings.oidc_issuer else None

    async def metadata(self) -> dict[str, Any]:
        try:
            gegevens: dict[str, Any] = await self.client.load_server_metadata()
        except _MAKELAAR_ONBEREIKBAAR as exc:
            raise MakelaarFout("discovery_mislukt", _MAKELAAR_WEG) from exc
        # OpenID Connect Discovery §4.3: the document must be the configured issuer's own.
        if str(gegevens.get("issuer", "")).rstrip("/") != self.settings.oidc_issuer.rstrip("/"):
            self.client.server_metadata.clear()
            raise MakelaarFout(
                "issuer_onjuist",
                "De eHerkenningsmakelaar is op dit knooppunt niet juist ingesteld (de uitgever klopt "
                "niet). " + _BEHEERDER_KNOOPPUNT,
            )
        for sleutel in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not veilige_url(str(gegevens.get(sleutel, "")), self.settings):
                self.client.server_metadata.clear()
                raise MakelaarFout(
                    "endpoint_onveilig",
                    "De eHerkenningsmakelaar is op dit knooppunt niet juist ingesteld (een adres is "
                    "geen https). " + _BEHEERDER_KNOOPPUNT,
                )
        aangeboden = gegevens.get("id_token_signing_alg_values_supported") or []
        algoritmen = [a for a in aangeboden if a in ALGORITMEN]
        gegevens["id_token_signing_alg_values_supported"] = algoritmen or ["RS256"]
        return gegevens

    def redirect_url(self, request: Request) -> str:
        """KNOOPPUNT_OIDC_REDIRECT_URL, or (development, where it may be unset) the callback's
        address on the host and scheme of this request. Not ``request.url_for``: the portal is an
        app mounted under /portaal, and the router in the request's scope is that of the outer app,
        which does not know the portal's route names."""
        if self.settings.oidc_redirect_url:
            return self.settings.oidc_redirect_url
        pad = str(request.scope.get("root_path", "")) + request.app.url_path_for("oidc_terug")
        return str(request.url.replace(path=pad, query="", fragment=""))

    async def naar_makelaar(self, request: Request, volgende: str) -> str:
        """Start a login: the broker's authorization URL (with PKCE, state and nonce); the flow
        cookie now holds what the callback needs."""
        await self.metadata()
        redirect_url = self.redirect_url(request)
        gegevens = await self.client.create_authorization_url(redirect_url)
        await self.client.save_authorize_data(
            request,
            redirect_uri=redirect_url,
            **{k: gegevens[k] for k in ("state", "nonce", "code_verifier")},
        )
        request.session[_VOLGENDE] = volgende
        url: str = gegevens["url"]
        return url

    @staticmethod
    def neem_volgende(request: Request) -> str | None:
        """Where the user wanted to go, as kept at the start of the flow (taken out of the cookie)."""
        volgende = request.session.pop(_VOLGENDE, None)
        return volgende if isinstance(volgende, str) else None

    async def terug(self, request: Request) -> dict[str, Any]:
        """The callback: check and exchange; returns the claims (of the ID token, completed from
        userinfo when it lacks what the rules need)."""
        parameters = request.query_params
        if parameters.get("error"):
            if parameters["error"] in ("access_denied", "login_required", "interaction_required"):
                raise Weigering(
                    "afgebroken",
                    "Het inloggen bij eHerkenning is afgebroken of niet gelukt. " + _OPNIEUW,
                )
            raise Weigering(
                "makelaar_fout",
                "eHerkenning meldde een fout bij het inloggen. " + _OPNIEUW + " Blijft het gebeuren, neem "
                "dan contact op met de beheerder van het knooppunt.",
                status=502,
            )
        metadata = await self.metadata()
        # RFC 9207: a broker that names itself in the response must be the one we sent the user to.
        if "iss" in parameters and parameters["iss"] != metadata["issuer"]:
            raise Weigering(
                "iss_onjuist",
                "Het antwoord kwam niet van de eHerkenningsmakelaar van dit knooppunt. " + _OPNIEUW,
                status=400,
            )
        try:
            token = await self.client.authorize_access_token(
                request,
                claims_options={
                    "iss": {"essential": True, "value": metadata["issuer"]},
                    "aud": {"essential": True, "value": self.settings.oidc_client_id},
                },
                leeway=SPELING_SECONDEN,
            )
        except MismatchingStateError as exc:
            raise Weigering(
                "state_onjuist",
                "Deze inlogpoging is verlopen of niet in deze browser begonnen (u deed er langer dan "
                f"{FLOW_SECONDEN // 60} minuten over, of opende de terugkeerlink elders). " + _OPNIEUW,
                status=400,
            ) from exc
        except OAuthError as exc:  # the token endpoint refused the code: used before, expired, ...
            raise Weigering(
                "code_geweigerd",
                "eHerkenning accepteerde de inlogcode niet (al gebruikt of verlopen). " + _OPNIEUW,
                status=400,
            ) from exc
        except JoseError as exc:  # the ID token: signature, issuer, audience, times, nonce
            raise Weigering(
                "id_token_ongeldig",
                "De inlog van eHerkenning kon niet worden gecontroleerd. " + _OPNIEUW + " Blijft het "
                "gebeuren, neem dan contact op met de beheerder van het knooppunt.",
                status=400,
            ) from exc
        except _MAKELAAR_ONBEREIKBAAR as exc:
            raise MakelaarFout("token_mislukt", _MAKELAAR_WEG) from exc
        uit_id_token = token.get("userinfo")  # Authlib's name for the checked ID token's claims
        if not uit_id_token:
            raise Weigering(
                "geen_id_token",
                "eHerkenning gaf geen ID-token terug. " + _BEHEERDER_KNOOPPUNT,
                status=502,
            )
        claims: dict[str, Any] = dict(uit_id_token)
        if ontbrekende_claims(claims, self.settings) and metadata.get("userinfo_endpoint"):
            claims = await self._aangevuld(claims, token, metadata)
        return claims

    async def _aangevuld(
        self, claims: dict[str, Any], token: dict[str, Any], metadata: dict[str, Any]
    ) -> dict[str, Any]:
        if not veilige_url(str(metadata["userinfo_endpoint"]), self.settings):
            raise MakelaarFout(
                "endpoint_onveilig",
                "De eHerkenningsmakelaar is op dit knooppunt niet juist ingesteld (een adres is geen "
                "https). " + _BEHEERDER_KNOOPPUNT,
            )
        try:
            extra = await self.client.userinfo(token=token)
        except (*_MAKELAAR_ONBEREIKBAAR, OAuthError) as exc:
            raise MakelaarFout("userinfo_mislukt", _MAKELAAR_WEG) from exc
        # OpenID Connect Core §5.3.4: userinfo must be about the subject of the ID token.
        if extra.get("sub") != claims["sub"]:
            raise Weigering(
                "userinfo_sub",
                "De gegevens van eHerkenning hoorden niet bij elkaar. " + _OPNIEUW,
                status=502,
            )
        return {**extra, **claims}  # the signed ID token wins

    # --- logout (RP-initiated, when the broker offers it) ----------------------------------------

    def na_uitloggen_url(self, request: Request) -> str:
        """Where the broker sends the user after logging out there (register it at the broker)."""
        return urljoin(self.redirect_url(request), "../../uitgelogd")

    async def uitlog_url(self, request: Request) -> str | None:
        metadata = await self.metadata()
        eind = metadata.get("end_session_endpoint")
        if not eind or not veilige_url(str(eind), self.settings):
            return None
        gegevens = await self.client.create_logout_url(
            post_logout_redirect_uri=self.na_uitloggen_url(request), client_id=self.settings.oidc_client_id
        )
        await self.client.framework.set_state_data(
            request.session, gegevens["state"], {"post_logout_redirect_uri": self.na_uitloggen_url(request)}
        )
        url: str = gegevens["url"]
        return url

    def biedt_uitloggen(self) -> bool:
        """Whether to offer logging out at the broker: yes, unless its (already loaded) discovery
        document says it has no end_session_endpoint."""
        geladen = self.client.server_metadata
        return "_loaded_at" not in geladen or bool(geladen.get("end_session_endpoint"))

    async def terug_van_uitloggen(self, request: Request) -> bool:
        """Whether this is the broker's redirect after a logout this browser asked for."""
        if not request.query_params.get("state"):
            return False
        try:
            await self.client.validate_logout_response(request)
        except OAuthError:
            return False  # the portal session is gone either way; nothing to undo
        return True


def markeer_uitloggen(request: Request, makelaar: Makelaar | None, onderwerp: str) -> bool:
    """After a local logout: whether the page offers logging out at the broker too (a login
    through the broker, which has an end_session_endpoint). The mark in the flow cookie lets
    only this browser, just now, follow that offer."""
    if makelaar is None or onderwerp.startswith(ONTWIKKEL_PREFIX) or not makelaar.biedt_uitloggen():
        return False
    request.session[_UITLOGGEN] = True
    return True


def neem_uitlogmarkering(request: Request) -> bool:
    return bool(request.session.pop(_UITLOGGEN, False))
