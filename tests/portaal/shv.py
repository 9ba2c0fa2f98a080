"""Helpers of the debt counsellor's page tests: fill a generated payload form the way a person
would (amounts in euros), send it, and read what the creditor received."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.testclient import TestClient

from knooppunt.hub import adresboek, audit
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.portaal.demo import SR
from knooppunt.portaal.formulier import centen_als_invoer, is_bedrag
from knooppunt.portaal.gastclient import Gastclient, bewaar_sleutel
from knooppunt.portaal.kluis import Kluis
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht
from tests.portaal.conftest import csrf_van, oin_van

VERBORGEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
REFERENTIE = re.compile(r"<code>([0-9a-f-]{36})</code>")


def velden(payload: Mapping[str, Any], pad: str = "") -> dict[str, str]:
    """A payload as the form's fields (``p.klant.achternaam``), amounts typed in euros."""
    uit: dict[str, str] = {}
    for naam, waarde in payload.items():
        sub = f"{pad}.{naam}" if pad else naam
        if isinstance(waarde, Mapping):
            uit |= velden(waarde, sub)
        elif isinstance(waarde, list):
            for i, item in enumerate(waarde):
                if isinstance(item, Mapping):
                    uit |= velden(item, f"{sub}[{i}]")
                else:
                    uit[f"p.{sub}[{i}]"] = str(item)
        elif isinstance(waarde, bool):
            uit[f"p.{sub}"] = "ja" if waarde else "nee"
        elif isinstance(waarde, int) and is_bedrag(naam):
            uit[f"p.{sub}"] = centen_als_invoer(waarde)
        elif isinstance(waarde, float):
            uit[f"p.{sub}"] = str(waarde).replace(".", ",")
        else:
            uit[f"p.{sub}"] = str(waarde)
    return uit


def verborgen(pagina: str) -> list[tuple[str, str]]:
    return [(n, html.unescape(w)) for n, w in VERBORGEN.findall(pagina)]


def als_data(paren: list[tuple[str, str]] | Mapping[str, str]) -> dict[str, list[str]]:
    """Form fields as httpx sends them (a name may repeat, e.g. ``ontvanger``); later values of a
    ``p.`` field replace earlier ones, as when a person retypes it."""
    uit: dict[str, list[str]] = {}
    for naam, waarde in paren.items() if isinstance(paren, Mapping) else paren:
        if naam in uit and (naam.startswith(("p.", "actie", "csrf", "antwoord_op."))):
            uit[naam] = [waarde]
        else:
            uit.setdefault(naam, []).append(waarde)
    return uit


def formulier(
    portaal: TestClient,
    berichttype: str,
    ontvangers: list[str],
    *,
    conversatie: str | None = None,
    antwoord_op: str | None = None,
    module: str | None = None,
) -> Any:
    """GET the payload form (step 2) for these creditors (demo keys or OINs)."""
    params: list[tuple[str, str]] = [("berichttype", berichttype)]
    if module:
        params.append(("module", module))
    params += [("ontvanger", o if o.isdigit() else oin_van(o)) for o in ontvangers]
    if conversatie:
        params.append(("conversatie", conversatie))
    if antwoord_op:
        params.append(("antwoord_op", antwoord_op))
    antwoord = portaal.get("/portaal/opstellen/inhoud", params=params)
    assert antwoord.status_code == 200, antwoord.text
    return antwoord


def verstuur(
    portaal: TestClient,
    berichttype: str,
    ontvangers: list[str],
    payload: Mapping[str, Any],
    *,
    conversatie: str | None = None,
    antwoord_op: str | None = None,
    actie: str = "versturen",
    extra: Mapping[str, str] | None = None,
    module: str | None = None,
) -> Any:
    """Open the form, fill it with ``payload`` and press a button (by default Versturen)."""
    pagina = formulier(
        portaal, berichttype, ontvangers, conversatie=conversatie, antwoord_op=antwoord_op, module=module
    )
    data = [*verborgen(pagina.text), *velden(payload).items(), ("actie", actie), *(extra or {}).items()]
    return portaal.post("/portaal/opstellen/inhoud", data=als_data(data))


def referenties(pagina: str) -> list[str]:
    """The referentienummers on a success page."""
    return REFERENTIE.findall(pagina)


def conversatie_van(pagina: str) -> str:
    gevonden = re.search(r'href="/portaal/clienten/([0-9a-f-]{36})"', pagina)
    assert gevonden, "no link to the client on the page"
    return gevonden.group(1)


def ontvangen(rt: Runtime, kluis: Kluis, wie: str, referentienummer: str) -> dict[str, Any]:
    """What the creditor's own client gets: decrypted, signature-checked, schema-validated."""
    client = Gastclient(rt, kluis, oin_van(wie), wie="test")
    (bericht,) = client.haal_op(waarvoor="test", referentienummers=[referentienummer])
    assert bericht.fout is None, bericht.foutdetail
    assert bericht.payload is not None
    return bericht.payload


def bericht(rt: Runtime, referentienummer: str) -> Bericht:
    with transactie(rt.sessions) as session:
        gevonden = session.query(Bericht).filter_by(referentienummer=referentienummer).one()
        session.expunge(gevonden)
        return gevonden


def demo_conversatie(rt: Runtime, nummer: int = 1) -> str:
    """The conversation of the demo's client ``nummer`` (1: zorg answered standaard akkoord and
    woning klant_onbekend; the others have open questions)."""
    with transactie(rt.sessions) as session:
        rijen = (
            session.query(Bericht.conversatie_referentienummer)
            .filter_by(afzender=oin_van("gemeente"))
            .order_by(Bericht.id)
            .all()
        )
    volgorde = list(dict.fromkeys(r[0] for r in rijen))
    return volgorde[nummer - 1]


def laatste(rt: Runtime, *, afzender: str, ontvanger: str, berichttype: str, conversatie: str) -> Bericht:
    with transactie(rt.sessions) as session:
        gevonden = (
            session.query(Bericht)
            .filter_by(
                afzender=afzender,
                ontvanger=ontvanger,
                berichttype=berichttype,
                conversatie_referentienummer=conversatie,
            )
            .order_by(Bericht.id.desc())
            .first()
        )
        assert gevonden is not None
        session.expunge(gevonden)
        return gevonden


def payload(code: str, **wijzig: Any) -> dict[str, Any]:
    """The example payload of a type, with top-level changes."""
    uit = voorbeeld(SR, code)
    uit.update(wijzig)
    return uit


def tweede_gemeente(rt: Runtime, kluis: Kluis) -> str:
    """Another debt counsellor with hosted keys (for access-control tests); returns its OIN."""
    oin = "00000001001234567000"
    pki = rt.settings.dev_pki_dir
    uit = ontwikkel_ca.issue(
        pki, oin=oin, naam="Gemeente Anderdorp", key_type="ec", uit_map=pki / "anderdorp"
    )
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        adresboek.registreer(
            session,
            adresboek.NieuweDeelnemer(
                oin=oin,
                naam="Gemeente Anderdorp",
                rol="SHV",
                kvk_nummer="50999999",
                modules=[SR],
                certificaten=[lees_pem(uit.certificaat.read_bytes())],
                sleutelbeheer="portaal",
            ),
            nu=nu,
            ankers=rt.ankers,
            door=audit.beheerder("test"),
        )
        bewaar_sleutel(
            session,
            kluis,
            oin=oin,
            certificaat_pem=uit.certificaat.read_bytes(),
            sleutel_pem=uit.sleutel.read_bytes(),
            nu=nu,
        )
    return oin


def schuldeiser_zonder_module(rt: Runtime) -> str:
    """A creditor in the adresboek that has not joined module schuldregeling."""
    oin = "00000003509876540000"
    with transactie(rt.sessions) as session:
        adresboek.registreer(
            session,
            adresboek.NieuweDeelnemer(
                oin=oin,
                naam="Incasso Elders BV",
                rol="SE",
                kvk_nummer="50987654",
                modules=["betalingsregeling"],
            ),
            nu=db_nu(session),
            ankers=rt.ankers,
            door=audit.beheerder("test"),
        )
    return oin


def aantal_berichten(rt: Runtime) -> int:
    with transactie(rt.sessions) as session:
        return session.query(Bericht).count()


def nieuwe_conversatie() -> str:
    return str(uuid.uuid4())


def csrf(pagina: str) -> str:
    return csrf_van(pagina)
