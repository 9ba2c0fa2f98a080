"""Who may do what over API v1 (DESIGN §4, §5): every endpoint × owner, counterparty, another
participant, and no (or an unregistered) certificate.

The scenario: the gemeente (SHV) sent a saldoverzoek to Energie BV (SE). For the recipient's
endpoints the owner is Energie BV and the counterparty the gemeente; for the sender's endpoints
it is the other way round. The other participant is the Kredietbank, an SHV with no part in it.
Someone else's message is 404 — indistinguishable from one that does not exist — and stays
untouched: still unconfirmed in the owner's inbox, with its content.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from knooppunt.jobs import audit
from knooppunt.pki import ontwikkel_ca
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Deelnemer
from tests.factories import Partij, envelop

ROLLEN = ("eigenaar", "tegenpartij", "ander", "anoniem")
PUBLIEKE_VELDEN = {
    "oin",
    "kvkNummer",
    "vestigingsnummer",
    "naam",
    "rol",
    "modules",
    "versies",
    "gebruiktBsn",
    "standaardAkkoord",
    "schuldensoorten",
    "certificaten",
}
# Private adresboek data planted on Energie BV; none of it may leave the hub over API v1.
GEHEIM_CONTACT = {"email": "geheim-contactpersoon@energie.example", "telefoon": "+31301234567"}
GEHEIM_SLEUTELBEHEER = "knooppunt"


@dataclass
class Scenario:
    """One open saldoverzoek from the gemeente to Energie BV, and the clients of every role."""

    afzender: Partij
    ontvanger: Partij
    ander: Partij
    envelop: dict[str, Any]
    clients: dict[str | None, Any]  # per Partij.oin, plus None for no certificate

    @property
    def ref(self) -> str:
        return str(self.envelop["referentienummer"])

    @property
    def conv(self) -> str:
        return str(self.envelop["conversatieReferentienummer"])

    @property
    def inhoud(self) -> str:
        return str(self.envelop["inhoud"])

    def client(self, partij: Partij | None) -> Any:
        return self.clients[partij.oin if partij else None]

    def ongemoeid(self) -> None:
        """The message is exactly as the sender left it: not fetched, confirmed or refused, and
        the recipient still gets it, content included."""
        verzonden = self.client(self.afzender).get("/verzonden").json()["berichten"]
        bericht = next(b for b in verzonden if b["referentienummer"] == self.ref)
        assert bericht["status"] == "aangeboden"
        assert (bericht["opgehaaldOp"], bericht["bevestigdOp"], bericht["geweigerdOp"]) == (None, None, None)
        inbox = self.client(self.ontvanger).get("/berichten").json()["berichten"]
        assert [(b["referentienummer"], b["inhoud"]) for b in inbox] == [(self.ref, self.inhoud)]


@dataclass(frozen=True)
class Geval:
    """One endpoint: the request, whose it is, the status per role and what else must hold."""

    naam: str
    methode: str
    pad: str  # with {ref}, {conv}, {oin}
    eigenaar: str  # "afzender" or "ontvanger": whose endpoint this is in the scenario
    statussen: dict[str, int]
    body: Callable[[Scenario], Any] | None = None
    zien_bericht: tuple[str, ...] = ("eigenaar",)  # roles that may see the message's metadata
    controle: Callable[[Scenario, str, Any], None] | None = None

    def partijen(self, sc: Scenario) -> dict[str, Partij | None]:
        eigenaar, tegenpartij = (
            (sc.afzender, sc.ontvanger) if self.eigenaar == "afzender" else (sc.ontvanger, sc.afzender)
        )
        return {"eigenaar": eigenaar, "tegenpartij": tegenpartij, "ander": sc.ander, "anoniem": None}


def _alle(status: int) -> dict[str, int]:
    return {"eigenaar": status, "tegenpartij": status, "ander": status, "anoniem": 401}


def _alleen_eigenaar(status: int, anders: int) -> dict[str, int]:
    return {"eigenaar": status, "tegenpartij": anders, "ander": anders, "anoniem": 401}


# --- what each endpoint must answer beyond its status -------------------------------------------


def _opnieuw_aangeboden(sc: Scenario, rol: str, r: Any) -> None:
    if rol == "eigenaar":  # the idempotent retry returns the original
        assert (r.json()["referentienummer"], r.json()["afzender"]) == (sc.ref, sc.afzender.oin)
    else:  # someone else cannot claim, overwrite or read the message by reusing its number
        assert r.json()["code"] == "REFERENTIENUMMER_CONFLICT"
        assert "afzender" not in r.json()
        assert "ontvangenOp" not in r.text


def _opnieuw_in_verzending(sc: Scenario, rol: str, r: Any) -> None:
    [uitkomst] = r.json()["berichten"]
    assert sc.inhoud not in r.text  # a verzending echoes no content, not even to its sender
    if rol == "eigenaar":  # the idempotent retry returns the original
        assert uitkomst["status"] == 200
        assert (uitkomst["bericht"]["referentienummer"], uitkomst["bericht"]["afzender"]) == (
            sc.ref,
            sc.afzender.oin,
        )
    else:  # as a single submit: someone else cannot claim or read the message by its number
        assert (uitkomst["status"], uitkomst["probleem"]["code"]) == (409, "REFERENTIENUMMER_CONFLICT")
        assert "bericht" not in uitkomst and "ontvangenOp" not in r.text


def _inbox(sc: Scenario, rol: str, r: Any) -> None:
    berichten = r.json()["berichten"]
    if rol == "eigenaar":
        assert [(b["referentienummer"], b["inhoud"]) for b in berichten] == [(sc.ref, sc.inhoud)]
    else:
        assert berichten == []


def _een_bericht(sc: Scenario, rol: str, r: Any) -> None:
    if rol == "eigenaar":
        assert (r.json()["referentienummer"], r.json()["inhoud"]) == (sc.ref, sc.inhoud)
    else:
        assert r.json()["code"] == "NIET_GEVONDEN"


def _bevestigd(sc: Scenario, rol: str, r: Any) -> None:
    if rol == "eigenaar":
        assert r.json()["status"] == "bevestigd"
    else:
        assert r.json()["code"] == "NIET_GEVONDEN"


def _batch_bevestigd(sc: Scenario, rol: str, r: Any) -> None:
    [uitkomst] = r.json()["bevestigingen"]
    assert uitkomst["referentienummer"] == sc.ref
    if rol == "eigenaar":
        assert (uitkomst["status"], uitkomst.get("code")) == ("bevestigd", None)
    else:  # neither confirmed nor its real status given away
        assert (uitkomst["status"], uitkomst["code"]) == ("onbekend", "NIET_GEVONDEN")


def _geweigerd(sc: Scenario, rol: str, r: Any) -> None:
    if rol == "eigenaar":
        assert r.json()["status"] == "geweigerd"
    else:
        assert r.json()["code"] == "NIET_GEVONDEN"


def _verzonden(sc: Scenario, rol: str, r: Any) -> None:
    refs = [b["referentienummer"] for b in r.json()["berichten"]]
    assert refs == ([sc.ref] if rol == "eigenaar" else [])


def _conversatie(sc: Scenario, rol: str, r: Any) -> None:
    if rol in ("eigenaar", "tegenpartij"):
        [bericht] = r.json()["berichten"]
        assert bericht["referentienummer"] == sc.ref
        assert bericht.get("inhoud") is None  # a timeline is metadata, also for the parties
    else:
        assert r.json()["code"] == "NIET_GEVONDEN"


def _logboek(sc: Scenario, rol: str, r: Any) -> None:
    berichten = r.json()["berichten"]
    if rol in ("eigenaar", "tegenpartij"):
        assert [b["referentienummer"] for b in berichten] == [sc.ref]
        assert berichten[0].get("inhoud") is None  # metadata, also for the recipient of an open one
    else:
        assert berichten == []


def _geen_privegegevens(deelnemer: dict[str, Any]) -> None:
    assert set(deelnemer) == PUBLIEKE_VELDEN


def _adresboek(sc: Scenario, rol: str, r: Any) -> None:
    deelnemers = r.json()["deelnemers"]
    assert sc.ontvanger.oin in {d["oin"] for d in deelnemers}
    for deelnemer in deelnemers:
        _geen_privegegevens(deelnemer)
    _geen_geheimen(r.text)


def _adresboekvermelding(sc: Scenario, rol: str, r: Any) -> None:
    assert r.json()["oin"] == sc.ontvanger.oin
    assert r.json()["certificaten"], "the public certificates are what the adresboek is for"
    _geen_privegegevens(r.json())
    _geen_geheimen(r.text)


def _geen_geheimen(tekst: str) -> None:
    for geheim in [*GEHEIM_CONTACT.values(), GEHEIM_SLEUTELBEHEER, "PRIVATE KEY"]:
        assert geheim not in tekst


def _checkpoint(sc: Scenario, rol: str, r: Any) -> None:
    # The signed tree head reveals the number of audit entries, nothing about any entry.
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text.splitlines()[1].isdigit()


def _berichttypen(sc: Scenario, rol: str, r: Any) -> None:
    assert "saldoverzoek" in {t["code"] for t in r.json()["berichttypen"]}


def _berichttype(sc: Scenario, rol: str, r: Any) -> None:
    assert (r.json()["code"], r.json()["module"]) == ("saldoverzoek", "schuldregeling")


# fmt: off
GEVALLEN = [
    Geval("bericht aanbieden (zelfde referentienummer)", "POST", "/berichten", "afzender",
          {"eigenaar": 200, "tegenpartij": 409, "ander": 409, "anoniem": 401},
          body=lambda sc: sc.envelop, controle=_opnieuw_aangeboden),
    Geval("verzending (zelfde referentienummer)", "POST", "/verzendingen", "afzender", _alle(200),
          body=lambda sc: {"berichten": [sc.envelop]}, controle=_opnieuw_in_verzending),
    Geval("inbox", "GET", "/berichten", "ontvanger", _alle(200), controle=_inbox),
    Geval("inbox gefilterd op afzender", "GET", "/berichten?afzender={afzender}", "ontvanger", _alle(200),
          controle=_inbox),
    Geval("een bericht", "GET", "/berichten/{ref}", "ontvanger", _alleen_eigenaar(200, 404),
          controle=_een_bericht),
    Geval("bevestigen", "POST", "/berichten/{ref}/bevestiging", "ontvanger", _alleen_eigenaar(200, 404),
          controle=_bevestigd),
    Geval("meerdere bevestigen", "POST", "/bevestigingen", "ontvanger", _alle(200),
          body=lambda sc: {"referentienummers": [sc.ref]}, controle=_batch_bevestigd),
    Geval("weigeren", "POST", "/berichten/{ref}/weigering", "ontvanger", _alleen_eigenaar(200, 404),
          body=lambda sc: {"reden": "ONTSLEUTELING_MISLUKT"}, controle=_geweigerd),
    Geval("verzonden", "GET", "/verzonden", "afzender", _alle(200), controle=_verzonden),
    Geval("verzonden in een conversatie", "GET", "/verzonden?conversatieReferentienummer={conv}", "afzender",
          _alle(200), controle=_verzonden),
    Geval("logboek", "GET", "/logboek", "afzender", _alle(200), zien_bericht=("eigenaar", "tegenpartij"),
          controle=_logboek),
    Geval("conversatie", "GET", "/conversaties/{conv}", "afzender",
          {"eigenaar": 200, "tegenpartij": 200, "ander": 404, "anoniem": 401},
          zien_bericht=("eigenaar", "tegenpartij"), controle=_conversatie),
    Geval("adresboek", "GET", "/adresboek", "ontvanger", _alle(200), zien_bericht=(), controle=_adresboek),
    Geval("adresboek zoeken", "GET", "/adresboek?zoek=Energie", "ontvanger", _alle(200), zien_bericht=(),
          controle=_adresboek),
    Geval("adresboekvermelding", "GET", "/adresboek/{oin}", "ontvanger", _alle(200), zien_bericht=(),
          controle=_adresboekvermelding),
    Geval("berichttypen", "GET", "/berichttypen", "ontvanger", _alle(200), zien_bericht=(),
          controle=_berichttypen),
    Geval("een berichttype", "GET", "/berichttypen/saldoverzoek?module=schuldregeling", "ontvanger",
          _alle(200), zien_bericht=(), controle=_berichttype),
    Geval("auditcheckpoint", "GET", "/audit/checkpoint", "ontvanger", _alle(200), zien_bericht=(),
          controle=_checkpoint),
]
# fmt: on


def _prive_gegevens(rt: Runtime, oin: str) -> None:
    with transactie(rt.sessions) as session:
        deelnemer = session.get(Deelnemer, oin)
        assert deelnemer is not None
        deelnemer.contact = dict(GEHEIM_CONTACT)
        deelnemer.sleutelbeheer = GEHEIM_SLEUTELBEHEER


@pytest.fixture
def scenario(cast: dict[str, Partij], client_voor: Any, rt: Runtime) -> Scenario:
    gemeente, energie, kredietbank = cast["gemeente"], cast["energie"], cast["kredietbank"]
    _prive_gegevens(rt, energie.oin)
    clients: dict[str | None, Any] = {p.oin: client_voor(p) for p in (gemeente, energie, kredietbank)}
    clients[None] = client_voor(None)
    vraag = envelop(gemeente, energie, "saldoverzoek")
    r = clients[gemeente.oin].post("/berichten", json=vraag)
    assert r.status_code == 201, r.text
    audit.sequence(rt.sessions, rt.ondertekenaar(), max_wacht=timedelta(seconds=300))  # a signed head
    return Scenario(afzender=gemeente, ontvanger=energie, ander=kredietbank, envelop=vraag, clients=clients)


def _verzoek(sc: Scenario, geval: Geval, partij: Partij | None) -> tuple[Any, str]:
    pad = geval.pad.format(ref=sc.ref, conv=sc.conv, oin=sc.ontvanger.oin, afzender=sc.afzender.oin)
    body = geval.body(sc) if geval.body else None
    r = sc.client(partij).request(geval.methode, pad, json=body)
    return r, pad + (str(body) if body is not None else "")


@pytest.mark.parametrize("rol", ROLLEN)
@pytest.mark.parametrize("geval", GEVALLEN, ids=[g.naam for g in GEVALLEN])
def test_autorisatie(scenario: Scenario, geval: Geval, rol: str) -> None:
    partij = geval.partijen(scenario)[rol]
    r, verzocht = _verzoek(scenario, geval, partij)

    assert r.status_code == geval.statussen[rol], r.text
    assert r.headers["API-Version"] == "1.0.0"
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == r.status_code
    if rol == "anoniem":
        assert r.json()["code"] == "NIET_GEAUTHENTICEERD"
    elif geval.controle is not None:
        geval.controle(scenario, rol, r)

    if rol not in geval.zien_bericht:
        # Nothing about the message beyond what the caller put in the request itself.
        for geheim in (scenario.inhoud, scenario.ref, scenario.conv):
            if geheim not in verzocht:
                assert geheim not in r.text
    if rol != "eigenaar":
        scenario.ongemoeid()


def _onbekend_certificaat(pki_dir: Path, tmp_path: Path) -> Partij:
    """A certificate from the trusted CA for an OIN that is not in the adresboek."""
    map_ = tmp_path / "onbekend"
    map_.mkdir()
    for bron in ontwikkel_ca.ca_paden(pki_dir):
        shutil.copy(bron, map_ / bron.name)
    oin = "00000003999999990000"
    uit = ontwikkel_ca.issue(map_, oin=oin, naam="Niet aangesloten", basisnaam="onbekend")
    return Partij(oin, "Niet aangesloten", "SE", "99999999", uit.certificaat, uit.sleutel)


@pytest.mark.parametrize("geval", GEVALLEN, ids=[g.naam for g in GEVALLEN])
def test_onbekend_certificaat(
    scenario: Scenario, geval: Geval, client_voor: Any, pki_dir: Path, tmp_path: Path
) -> None:
    """A certificate the hub's CA issued, but not registered for any participant, gets nowhere."""
    onbekend = _onbekend_certificaat(pki_dir, tmp_path)
    scenario.clients[onbekend.oin] = client_voor(onbekend)
    r, _ = _verzoek(scenario, geval, onbekend)
    assert (r.status_code, r.headers["content-type"]) == (401, "application/problem+json")
    assert r.json()["code"] == "NIET_GEAUTHENTICEERD"
    scenario.ongemoeid()


def test_afzender_komt_uit_het_certificaat(scenario: Scenario) -> None:
    """A body claiming another sender cannot make the Kredietbank speak for the gemeente."""
    vervalst = envelop(scenario.ander, scenario.ontvanger, "saldoverzoek")
    vervalst["afzender"] = scenario.afzender.oin
    r = scenario.client(scenario.ander).post("/berichten", json=vervalst)
    assert r.status_code == 201, r.text
    assert r.json()["afzender"] == scenario.ander.oin
    verzonden_gemeente = scenario.client(scenario.afzender).get("/verzonden").json()["berichten"]
    assert [b["referentienummer"] for b in verzonden_gemeente] == [scenario.ref]


def test_batch_met_eigen_en_andermans_referentienummer(
    scenario: Scenario, cast: dict[str, Partij], client_voor: Any
) -> None:
    """One batch mixing the caller's own message with someone else's confirms only its own."""
    zorg = cast["zorg"]
    eigen = envelop(scenario.afzender, zorg, "saldoverzoek")
    assert scenario.client(scenario.afzender).post("/berichten", json=eigen).status_code == 201
    onbekend = str(uuid.uuid4())
    r = client_voor(zorg).post(
        "/bevestigingen", json={"referentienummers": [scenario.ref, eigen["referentienummer"], onbekend]}
    )
    assert r.status_code == 200, r.text
    uitkomsten = {u["referentienummer"]: (u["status"], u.get("code")) for u in r.json()["bevestigingen"]}
    assert uitkomsten == {
        scenario.ref: ("onbekend", "NIET_GEVONDEN"),  # Energie BV's message: as unknown as a random number
        eigen["referentienummer"]: ("bevestigd", None),
        onbekend: ("onbekend", "NIET_GEVONDEN"),
    }
    scenario.ongemoeid()
