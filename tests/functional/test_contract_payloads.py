"""An independent check of the payloads, written from DESIGN.md alone: §3 "Payloads", §3a's 2.0
changes and §3b's payloads of the other modules, against the JSON Schemas the hub *serves* at
`/api/v1/berichttypen` — what a vendor in another language validates with — and against the SDK.

An outside tester writes payloads from DESIGN's field lists. So, for every type of every module and
version: each field DESIGN names is in the served schema under exactly that name, at the place
DESIGN puts it, typed as DESIGN says (amounts integers in euro cents, dates ISO 8601); enumerations
are exactly DESIGN's; `bsn` only in the `*_bsn`/publiek variants. A minimal payload is built from
the served schema alone (its required fields, with a value a tester would write for each field name
or JSON Schema type and format) and must be valid for `jsonschema` *and* for the SDK; then every
enumeration value, boolean, `anyOf`/`oneOf` branch, optional field and wrong-typed value is tried,
and the served schema and the SDK must give the same verdict (a payload valid for one and not the
other is drift, unless the schema's own description says the rule cannot be expressed in JSON
Schema, or DESIGN makes the schema so). Identifiers are checked as DESIGN asks (BSN elfproef, IBAN
mod-97, KvK 8 digits, OIN prefix, postcode `1234 AB`). Finally, against a real `knooppunt serve` on
SQLite and PostgreSQL: the SDK sends these minimal payloads and the recipient's SDK opens them,
the SDK refuses an invalid payload before anything is sent, and the recipient's SDK refuses an
invalid payload it receives (INHOUD_ONGELDIG).

The schema part asks the app in this process for the served document (as a participant presenting
its certificate; the catalogue does not depend on the database); one test checks that a real
`knooppunt serve` serves the same document over mutual TLS.
"""

from __future__ import annotations

import base64
import copy
import itertools
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import Result
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from knooppunt import runtime as runtime_mod
from knooppunt.app import create_app
from knooppunt.client.berichten import valideer_payload
from knooppunt.client.fouten import VerzendFout
from knooppunt.client.hub import HubClient
from knooppunt.pki import ontwikkel_ca
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.soorten import Rol
from knooppunt.runtime import Runtime
from knooppunt.store.models import Base
from tests.conftest import DATABASES, MetCertificaat, maak_settings, registreer
from tests.factories import Partij, envelop
from tests.functional.server import Hub, mtls_client, start_hub

Sleutel = tuple[str, str, str]
"""(module, berichttype, versie)."""
Schema = dict[str, Any]

TYPEN: list[Sleutel] = sorted(
    (t.module, t.code, t.versie) for t in CATALOGUS.alle() if Rol.KNOOPPUNT not in t.van
)
"""Every participant-authored type of every module and version (the hub's notices have no payload)."""


def _id(sleutel: Sleutel) -> str:
    return "/".join(sleutel)


# --- the served schemas --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gediend(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_sjabloon: Path,
    pki_dir: Path,
    pki: dict[str, Partij],
) -> Iterator[dict[Sleutel, dict[str, Any]]]:
    """GET /api/v1/berichttypen as a registered participant asks it, by (module, code, versie)."""
    map_ = tmp_path_factory.mktemp("payloads-catalogus")
    shutil.copy(sqlite_sjabloon, map_ / "knooppunt.sqlite3")
    runtime = runtime_mod.bouw(
        maak_settings(f"sqlite:///{map_ / 'knooppunt.sqlite3'}", map_ / "data", pki_dir), upgrade=False
    )
    try:
        registreer(runtime, pki["gemeente"])
        app = MetCertificaat(create_app(runtime), pki["gemeente"].pem)
        with TestClient(app, base_url="https://testserver/api/v1") as client:
            r = client.get("/berichttypen")
            assert r.status_code == 200, r.text
            body = r.json()
            assert body.get("volgende") is None, "the catalogue came in pages"
            catalogus = {(t["module"], t["code"], t["versie"]): t for t in body["berichttypen"]}
            for (module, code, versie), t in catalogus.items():
                los = client.get(f"/berichttypen/{code}", params={"module": module, "versie": versie})
                assert los.status_code == 200, los.text
                t["losGevraagd"] = los.json()["schemas"]
            yield catalogus
    finally:
        runtime.close()


def schema_van(gediend: dict[Sleutel, dict[str, Any]], sleutel: Sleutel) -> Schema:
    t = gediend.get(sleutel)
    assert t is not None, f"{_id(sleutel)} is not in the served catalogue"
    schema = t["schemas"].get(sleutel[2])
    assert isinstance(schema, dict), f"{_id(sleutel)} is served without a JSON Schema"
    return schema


def validator(schema: Schema) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def sdk_fout(sleutel: Sleutel, payload: Any) -> str | None:
    """None when the SDK accepts the payload before sending; else its Dutch refusal."""
    try:
        valideer_payload(*sleutel, payload)
    except VerzendFout as fout:
        assert fout.code == "ONGELDIGE_INHOUD", fout.als_json()
        return fout.detail
    return None


def schema_fouten(v: jsonschema.Draft202012Validator, payload: Any) -> list[str]:
    return [f"{e.json_path}: {e.message[:160]}" for e in v.iter_errors(payload)]


# --- walking a served schema ------------------------------------------------------------------------------


def _los(root: Schema, s: Schema) -> Schema:
    while "$ref" in s:
        ref = s["$ref"]
        assert ref.startswith("#/$defs/"), ref
        s = root["$defs"][ref.removeprefix("#/$defs/")]
    return s


def _varianten(root: Schema, s: Schema) -> list[Schema]:
    """What a value at this place may be: $ref followed, a nullable `anyOf` unfolded, null left out."""
    s = _los(root, s)
    if "properties" not in s and "type" not in s and ("anyOf" in s or "oneOf" in s):
        takken: list[Schema] = s["anyOf"] if "anyOf" in s else s["oneOf"]
        return [v for tak in takken for v in _varianten(root, tak)]
    return [] if s.get("type") == "null" else [s]


def _alle_objecten(root: Schema, s: Schema) -> list[Schema]:
    """This object and every object nested in it, at any depth (for DESIGN's "somewhere")."""
    uit: list[Schema] = []
    te_doen, gezien = [s], set()
    while te_doen:
        for v in _varianten(root, te_doen.pop()):
            if id(v) in gezien:
                continue
            gezien.add(id(v))
            uit.append(v)
            te_doen.extend(v.get("properties", {}).values())
            if "items" in v:
                te_doen.append(v["items"])
    return [v for v in uit if "properties" in v]


def plekken(root: Schema, pad: str) -> list[Schema]:
    """The schemas a DESIGN path names: ``klant.bsn``, ``vorderingen[].schuldtype`` (the items of a
    list), ``*[].kenmerk`` (the items of some list: DESIGN's "per krediet"), ``**.iban`` (at any depth)."""
    huidig = [root]
    for stap in pad.split("."):
        if stap == "**":
            huidig = [o for s in huidig for o in _alle_objecten(root, s)]
            continue
        lijst, naam = stap.endswith("[]"), stap.removesuffix("[]")
        volgende: list[Schema] = []
        for s in huidig:
            for v in _varianten(root, s):
                eigenschappen = v.get("properties", {})
                kandidaten = list(eigenschappen.values()) if naam == "*" else [eigenschappen.get(naam)]
                for k in kandidaten:
                    for kv in _varianten(root, k) if k is not None else []:
                        if not lijst:
                            volgende.append(kv)
                        elif kv.get("type") == "array":
                            volgende.append(kv["items"])
        huidig = volgende
    return [v for s in huidig for v in _varianten(root, s)]


def overal(root: Schema, naam: str) -> list[Schema]:
    """Every property called ``naam`` anywhere in the schema."""
    return [
        v
        for o in _alle_objecten(root, root)
        if naam in o["properties"]
        for v in _varianten(root, o["properties"][naam])
    ]


# --- what DESIGN names, type by type ----------------------------------------------------------------------

SR, BR, SV, WF, BW, PK = (
    "schuldregeling",
    "betalingsregeling",
    "saldoverzoek",
    "waarborgfonds",
    "bewind",
    "pauzeknop",
)
KENNISGEVINGEN = ("kennisgeving", "kennisgeving_bsn")
SALDOVERZOEKEN = ("saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg")
SALDO_ANTWOORDEN = ("saldoverzoek_antwoord", "saldoverzoek_antwoord_standaard_akkoord")
BSN_VARIANTEN = ("kennisgeving_bsn", "saldoverzoek_publiek")


@dataclass(frozen=True)
class Waar:
    """Which types a DESIGN sentence speaks of (None: any)."""

    modules: tuple[str, ...] | None = None
    codes: tuple[str, ...] | None = None
    versies: tuple[str, ...] | None = None

    def past(self, sleutel: Sleutel) -> bool:
        module, code, versie = sleutel
        return (
            (self.modules is None or module in self.modules)
            and (self.codes is None or code in self.codes)
            and (self.versies is None or versie in self.versies)
        )


PERSOON = ("geslacht", "voorletters", "voornamen", "voorvoegsel", "achternaam", "geboortedatum")
ADRES = ("straatnaam", "huisnummer", "huisletter", "huisnummertoevoeging", "postcode", "woonplaats")
KLANTBLOK: dict[str, str | None] = {
    "klantnummerSHV": "tekst",
    "klantnummerSEVolgensSHV": "tekst",
    **{f"klant.{v}": None for v in PERSOON},
    **{f"partner.{v}": None for v in PERSOON},
    "klant.geboortedatum": "datum",
    "partner.geboortedatum": "datum",
    **{f"adres.{v}": None for v in ADRES},
    "adres.postcode": "tekst",
    "contactpersoonSHV.naam": "tekst",
    "contactpersoonSHV.telefoon": "tekst",
    "contactpersoonSHV.email": "tekst",
}
VORDERING_ANTWOORD: dict[str, str | None] = {
    "vorderingen[].factuurnummerSE": "tekst",
    "vorderingen[].schuldtype": "tekst",
    "vorderingen[].ontstaansdatum": "datum",
    "vorderingen[].oorspronkelijkBedrag": "bedrag",
    "vorderingen[].hoofdsom": "bedrag",
    "vorderingen[].rente": "bedrag",
    "vorderingen[].kosten": "bedrag",
    "vorderingen[].incassokosten": "bedrag",
    "vorderingen[].actueelBedrag": "bedrag",
    "vorderingen[].omschrijving": "tekst",
}
REDEN: dict[str, str | None] = {"reden": "object", "reden.code": "tekst", "reden.tekst": "tekst"}
AANVRAAG: dict[str, str | None] = {
    "kenmerk": "tekst",
    "soortLening": "tekst",
    "borgstellingCategorie": None,
    "postcodeGebied": "tekst",
    "brutoKredietsom": "bedrag",
    "looptijdMaanden": "geheel",
    "contact": "object",
}

DESIGN_VELDEN: list[tuple[Waar, dict[str, str | None], str]] = [
    (
        Waar(codes=KENNISGEVINGEN + SALDOVERZOEKEN),
        KLANTBLOK,
        '§3: "client: `klantnummerSHV`, `klantnummerSEVolgensSHV`, `klant` {geslacht, voorletters, '
        "voornamen, voorvoegsel, achternaam, geboortedatum, bsn (only in `*_bsn`/publiek variants)}, "
        "`partner` (same), `adres` {straatnaam, huisnummer, huisletter, huisnummertoevoeging, postcode, "
        'woonplaats}, `contactpersoonSHV` {naam, telefoon, email}"; "saldoverzoek: + ..."',
    ),
    (
        Waar(codes=BSN_VARIANTEN),
        {"klant.bsn": "tekst", "partner.bsn": "tekst"},
        '§3: "bsn (only in `*_bsn`/publiek variants)", "`partner` (same)"',
    ),
    (
        Waar(modules=(SR, BR), codes=SALDOVERZOEKEN),
        {"typeSchuldregeling": "tekst", "vorderingen[].factuurnummerSEVolgensSHV": "tekst"},
        '§3: "saldoverzoek: + `typeSchuldregeling` ..., `vorderingen[]` {factuurnummerSEVolgensSHV}"',
    ),
    (
        Waar(modules=(SV,), codes=SALDOVERZOEKEN),
        {"vorderingen[].factuurnummerSEVolgensSHV": "tekst", "grondslag": "tekst"},
        '§3b saldoverzoek: "payload without `typeSchuldregeling`, plus `grondslag`"',
    ),
    (
        Waar(codes=("saldoverzoek_nuts",)),
        {"slimmeMeterAkkoord": "ja/nee"},
        '§3: "nuts: + `slimmeMeterAkkoord` (5.3)"',
    ),
    (
        Waar(codes=SALDO_ANTWOORDEN),
        {
            "klantnummerSE": "tekst",
            "contactpersoonSE": "object",
            **VORDERING_ANTWOORD,
            "totaalvordering": "object",
        },
        '§3: "saldoverzoek antwoord: `klantnummerSE`, `contactpersoonSE`, per `vorderingen[]` '
        "{factuurnummerSE, "
        "schuldtype (openstaand | overgedragen | onbekend), ontstaansdatum, oorspronkelijkBedrag, hoofdsom, "
        'rente, kosten, incassokosten, actueelBedrag, omschrijving} or a `totaalvordering`"',
    ),
    (
        Waar(modules=(SR, BR), codes=SALDO_ANTWOORDEN),
        {"totaalvordering.standaardAkkoord": "ja/nee", "**.iban": "tekst", "**.betalingskenmerk": "tekst"},
        '§3: "`standaardAkkoord` flag per totaalvordering (6.2, 6.3); payment details (IBAN, '
        'betalingskenmerk)"',
    ),
    (
        Waar(modules=(SV,), codes=("saldoverzoek_antwoord",)),
        {
            "totaalvordering": "object",
            "openstaandeSchulden": "lijst",
            "**.iban": "tekst",
            "**.betalingskenmerk": "tekst",
        },
        '§3b: "`saldoverzoek_antwoord` (which may instead of matched vorderingen give *ongematchte '
        'schulden*: a `totaalvordering` or a list of `openstaandeSchulden`, one of the two required)"',
    ),
    (
        Waar(modules=(SR,), codes=("betaalvoorstel",)),
        {
            "typeSchuldregeling": "tekst",
            "afloscapaciteitPerMaand": "bedrag",
            "looptijdMaanden": "geheel",
            "aanbodPercentage": "percentage",
            "vorderingen": "lijst",
            "onderbouwing": "tekst",
        },
        '§3: "betaalvoorstel: `typeSchuldregeling`, totals (...), `afloscapaciteitPerMaand`, '
        "`looptijdMaanden`, "
        '`aanbodPercentage`, per vordering the offered amount, `onderbouwing` (text; no attachments, 9.2)"',
    ),
    (
        Waar(modules=(BR,), codes=("betaalvoorstel",)),
        {
            "typeSchuldregeling": "tekst",
            "termijnbedrag": "bedrag",
            "aantalTermijnen": "geheel",
            "eersteBetaaldatum": "datum",
            "uitbetaaldatum": "datum",
            "financier": "tekst",
            "vorderingen": "lijst",
            "onderbouwing": "tekst",
        },
        '§3b betalingsregeling: "`betaalvoorstel` carries `termijnbedrag`, `aantalTermijnen`, '
        '`eersteBetaaldatum` (BR) or `uitbetaaldatum` and `financier` (HF), per vordering 100 %"',
    ),
    (
        Waar(codes=("schuldregeling_geaccordeerd",)),
        {
            "datumAkkoord": "datum",
            "klantnummerSE": "tekst",
            "typeSchuldregeling": "tekst",
            "vorderingen[].factuurnummerSE": "tekst",
            "vorderingen[].afkooppercentage": "percentage",
            "vorderingen[].prognoseEindbedrag": "bedrag",
            "vorderingen[].actueelVorderingsbedrag": "bedrag",
            "vorderingen[].betaalreferentie": "tekst",
        },
        '§3: "schuldregeling geaccordeerd: `datumAkkoord`, `klantnummerSE`, `typeSchuldregeling`, '
        "per vordering "
        '{factuurnummerSE, afkooppercentage, prognoseEindbedrag, actueelVorderingsbedrag, betaalreferentie}"',
    ),
    (
        Waar(codes=("schuldregeling_geaccordeerd",), versies=("2.0",)),
        {"klantnummerSHV": "tekst", "uitbetaalmomenten": "lijst", "vorderingen[].vorderingstype": "tekst"},
        '§3a: "`schuldregeling_geaccordeerd` gains `klantnummerSHV`, `uitbetaalmomenten` and per '
        'vordering `vorderingstype`"',
    ),
    (
        Waar(
            codes=(
                "schuldregeling_beeindigd",
                "betaalvoorstel_niet_akkoord",
                "klant_onbekend",
                "geen_medewerking",
            )
        ),
        REDEN,
        '§3: "beëindigd / niet akkoord / klant onbekend: `reden` (code + text)"; §3a: "`geen_medewerking` '
        '(... required `reden`: ... plus text)"',
    ),
    (
        Waar(codes=("statusbericht",)),
        {"status": "tekst", "*": "datum"},
        '§3: "statusbericht: `status` ... + text"; "the statusbericht duties of 13.2–13.3 with the '
        'event date in the payload"',
    ),
    (
        Waar(codes=("kennisgeving_antwoord",)),
        {"klantnummerSE": "tekst", "factuurnummers": "lijst"},
        '§3: "payload: `klantnummerSE`, factuurnummers (4.1)"',
    ),
    (
        Waar(codes=("kennisgeving_antwoord",), versies=("2.0",)),
        {"contactpersoonSE": "object", "antwoord": None},
        '§3a: "`kennisgeving_antwoord` gains `contactpersoonSE` and `antwoord`"',
    ),
    (
        Waar(codes=KENNISGEVINGEN, versies=("2.0",)),
        {"adreskeuze": None},
        '§3a: "`kennisgeving` ... and `kennisgeving_bsn` ... gain `adreskeuze`"',
    ),
    (
        Waar(modules=(PK,), codes=KENNISGEVINGEN),
        {"pauze": "object", "pauze.fase": "tekst", "pauze.ingangsdatum": "datum", "pauze.einddatum": "datum"},
        '§3b pauzeknop: "`kennisgeving` and `kennisgeving_bsn` carry a required `pauze` {`fase`: '
        "`aanmelding` | "
        '`toelating`, `ingangsdatum`, `einddatum` at most 8 months later}"',
    ),
    (
        Waar(modules=(PK,), codes=("kennisgeving_antwoord",)),
        {"pauze.incassoOpgeschortTot": "datum", "pauze.akkoord": "ja/nee", "pauze.reden": None},
        '§3b pauzeknop: "`kennisgeving_antwoord`, carrying `pauze` {`incassoOpgeschortTot`, `akkoord`, '
        '`reden` when not akkoord}"',
    ),
    (
        Waar(modules=(WF,), codes=("voorbeoordeling", "aanvraag_borgstelling", "aanvraag_overname")),
        AANVRAAG,
        "§3b waarborgfonds table, `aanvraag_borgstelling` (and `voorbeoordeling`: "
        '"as `aanvraag_borgstelling`")',
    ),
    (
        Waar(modules=(WF,), codes=("aanvraag_borgstelling", "aanvraag_overname")),
        {"statistieken": "lijst", "proFormaBorgstelling": "tekst"},
        '§3b: "`statistieken`, optional `proFormaBorgstelling` (UUID)"',
    ),
    (
        Waar(modules=(WF,), codes=("aanvraag_overname",)),
        {"uitstaandSaldo": "bedrag", "datumUitbetaald": "datum"},
        '§3b: "as aanvraag + `uitstaandSaldo`, `datumUitbetaald`"',
    ),
    (
        Waar(modules=(WF,), codes=("beeindiging_borgstelling",)),
        {"kenmerk": "tekst", "datumBeeindigd": "datum"},
        '§3b: "`kenmerk`, `datumBeeindigd`"',
    ),
    (
        Waar(modules=(WF,), codes=("verzoek_uitbetaling",)),
        {"kenmerk": "tekst", "reden": "tekst"},
        '§3b: "`kenmerk`, `reden` (overleden, ...) + text"',
    ),
    (
        Waar(modules=(WF,), codes=("gebeurtenis",)),
        {"kenmerk": "tekst", "gebeurtenis": "tekst", "toelichting": "tekst"},
        '§3b: "`kenmerk`, `gebeurtenis` (...), `toelichting`"',
    ),
    (Waar(modules=(WF,), codes=("verzoek_kredietinformatie",)), {"peildatum": "datum"}, '§3b: "`peildatum`"'),
    (
        Waar(modules=(WF,), codes=("kredietinformatie",)),
        {
            "*[].kenmerk": "tekst",
            "*[].uitbetaaldatum": "datum",
            "*[].kredietsom": None,
            "*[].betalingen": None,
            "*[].achterstanden": None,
            "*[].betalingsregeling": None,
            "*[].dubieus": None,
        },
        '§3b: "per krediet: `kenmerk`, `uitbetaaldatum`, `kredietsom`, `betalingen`, `achterstanden`, '
        '`betalingsregeling`, `dubieus`"',
    ),
    (
        Waar(modules=(BW,), codes=("melding_bewind",)),
        {
            "soort": "tekst",
            "ingangsdatum": "datum",
            "beschikking.datum": "datum",
            "beschikking.rechtbank": "tekst",
            "beschikking.zaaknummer": "tekst",
            **{f"klant.{v}": None for v in PERSOON},
            "bewindvoerder": "object",
            "beheerrekening": "tekst",
        },
        '§3b bewind: "`melding_bewind` (BW → SE; `soort`: `beschermingsbewind` | `wsnp`, `ingangsdatum`, '
        "`beschikking` {datum, rechtbank, zaaknummer, optional PDF ≤ 1 MiB}, `klant`, `bewindvoerder` "
        "contact, "
        '`beheerrekening` IBAN"',
    ),
    (
        Waar(modules=(BW,), codes=("melding_bewind_antwoord",)),
        {"klantnummerSE": "tekst", "vorderingen[].factuurnummerSE": "tekst", "contactpersoonSE": "object"},
        '§3b: "`melding_bewind_antwoord` (SE → BW: `klantnummerSE`, `vorderingen` with factuurnummers, '
        'contact)"',
    ),
    (
        Waar(modules=(BW,), codes=("einde_bewind",)),
        {"einddatum": "datum", "reden": None},
        '§3b: "`einde_bewind` (...; `einddatum`, `reden`; no answer)"',
    ),
]

SOORTEN: dict[str, Callable[[Schema], bool]] = {
    "tekst": lambda s: (
        s.get("type") == "string" or ("enum" in s and all(isinstance(w, str) for w in s["enum"]))
    ),
    "datum": lambda s: s.get("type") == "string" and s.get("format") == "date",
    "bedrag": lambda s: s.get("type") == "integer",
    "geheel": lambda s: s.get("type") == "integer",
    "percentage": lambda s: s.get("type") in ("number", "integer"),
    "ja/nee": lambda s: s.get("type") == "boolean",
    "object": lambda s: s.get("type") == "object",
    "lijst": lambda s: s.get("type") == "array",
}


def design_velden(sleutel: Sleutel) -> dict[str, str | None]:
    velden: dict[str, str | None] = {}
    for waar, paden, _ in DESIGN_VELDEN:
        if waar.past(sleutel):
            velden.update(paden)
    return velden


@pytest.mark.parametrize("sleutel", TYPEN, ids=_id)
def test_par_3_elk_veld_dat_design_noemt_staat_op_zijn_plaats(
    gediend: dict[Sleutel, dict[str, Any]], sleutel: Sleutel
) -> None:
    """§3 "Payloads": "JSON, lowerCamelCase Dutch field names, one JSON Schema per type and `versie`,
    published by the hub at `/api/v1/berichttypen` ... Known fields of the live standard (reuse these
    names)", with §3a's and §3b's field lists (each list quoted in ``DESIGN_VELDEN``): every field
    DESIGN names for this type is in the served schema under exactly that name, where DESIGN puts it,
    typed as DESIGN says — "Amounts are integers in euro cents. Dates ISO 8601." """
    schema = schema_van(gediend, sleutel)
    ontbreekt, verkeerd = [], []
    for pad, soort in design_velden(sleutel).items():
        gevonden = plekken(schema, pad)
        if not gevonden:
            ontbreekt.append(pad)
        elif soort is not None and not any(SOORTEN[soort](s) for s in gevonden):
            verkeerd.append(f"{pad} is no {soort}: {gevonden}")
    assert not ontbreekt, f"{_id(sleutel)}: DESIGN's fields missing from the served schema: {ontbreekt}"
    assert not verkeerd, f"{_id(sleutel)}: {verkeerd}"


def test_par_3_elke_lijst_van_design_spreekt_ten_minste_een_type_aan() -> None:
    """Each DESIGN sentence in ``DESIGN_VELDEN`` must select a type of the catalogue, or the check
    above would pass by checking nothing."""
    leeg = [uitspraak for waar, _, uitspraak in DESIGN_VELDEN if not any(waar.past(s) for s in TYPEN)]
    assert not leeg, leeg


def test_par_3_elk_type_heeft_een_gediend_schema_en_het_losse_type_is_hetzelfde(
    gediend: dict[Sleutel, dict[str, Any]],
) -> None:
    """§3: "one JSON Schema per type and `versie`, published by the hub at `/api/v1/berichttypen`";
    §4: "`/api/v1/berichttypen/{code}?module=&versie=` ... with a JSON Schema ... per version". Every
    participant type of every module and version has its schema, and the list and the single type
    serve the same one."""
    met_schema = {k for k, t in gediend.items() if t["schemas"]}
    assert met_schema == set(TYPEN)
    for sleutel in TYPEN:
        jsonschema.Draft202012Validator.check_schema(schema_van(gediend, sleutel))
    for sleutel, t in gediend.items():
        assert t["losGevraagd"] == t["schemas"], _id(sleutel)


def test_par_3_veldnamen_lower_camel_case_nederlands(gediend: dict[Sleutel, dict[str, Any]]) -> None:
    """§3: "JSON, lowerCamelCase Dutch field names"."""
    fout = {
        (_id(s), naam)
        for s in TYPEN
        for o in _alle_objecten(schema_van(gediend, s), schema_van(gediend, s))
        for naam in o["properties"]
        if not re.fullmatch(r"[a-z][a-zA-Z0-9]*", naam)
    }
    assert not fout, sorted(fout)


# --- enumerations exactly as DESIGN lists them ------------------------------------------------------------

OPSOMMINGEN: list[tuple[Waar, str, set[str], bool, str]] = [
    # (types, path, values, exact (else: at least these), DESIGN's words)
    (
        Waar(modules=(SR,), versies=("1.0",)),
        "**.typeSchuldregeling",
        {"SB", "SK"},
        True,
        '§3: "(schuldregeling: SB, SK in 1.0',
    ),
    (
        Waar(modules=(SR,), versies=("2.0",)),
        "**.typeSchuldregeling",
        {"SB", "SK", "SA"},
        True,
        '§3: "+ SA in 2.0"; §3a "`typeSchuldregeling` gains `SA`"',
    ),
    (
        Waar(modules=(BR,)),
        "**.typeSchuldregeling",
        {"BR", "HF"},
        True,
        '§3: "betalingsregeling: BR, HF"; §3b "`typeSchuldregeling` `BR` ... or `HF`"',
    ),
    (
        Waar(),
        "**.schuldtype",
        {"openstaand", "overgedragen", "onbekend"},
        True,
        '§3: "schuldtype (openstaand | overgedragen | onbekend)"',
    ),
    (
        Waar(codes=("geen_medewerking",)),
        "reden.code",
        {
            "klant_onbekend",
            "recente_finale_kwijting",
            "recente_poging_tot_stabilisatie",
            "geen_samenwerking_met_shv",
        },
        True,
        '§3a: "required `reden`: `klant_onbekend` | `recente_finale_kwijting` | '
        '`recente_poging_tot_stabilisatie` | `geen_samenwerking_met_shv`"',
    ),
    (
        Waar(codes=("statusbericht",)),
        "status",
        {"dwangakkoord_aangevraagd", "uitstel", "opschorting", "lopend"},
        False,
        '§3: "statusbericht: `status` (e.g. dwangakkoord_aangevraagd, uitstel, opschorting, lopend, …)"',
    ),
    (
        Waar(modules=(SV,), codes=SALDOVERZOEKEN),
        "grondslag",
        {"wgs", "toestemmingsverklaring", "beschikking"},
        True,
        '§3b: "`grondslag`: `wgs` | `toestemmingsverklaring` | `beschikking`"',
    ),
    (
        Waar(modules=(WF,), codes=("voorbeoordeling", "aanvraag_borgstelling", "aanvraag_overname")),
        "soortLening",
        {"PL", "SK", "SL"},
        True,
        '§3b: "`soortLening` (PL, SK, SL)"',
    ),
    (
        Waar(modules=(WF,), codes=("voorbeoordeling", "aanvraag_borgstelling", "aanvraag_overname")),
        "borgstellingCategorie",
        {"100", "200", "300", "400"},
        True,
        '§3b: "`borgstellingCategorie` (100 regulier, 200 herfinanciering, 300 jongeren, 400 ondernemers)"',
    ),
    (
        Waar(modules=(WF,), codes=("verzoek_uitbetaling",)),
        "reden",
        {"overleden", "verhuisd_onbekend_adres", "nieuwe_schulden", "herberekening", "anders"},
        True,
        '§3b: "`reden` (overleden, verhuisd_onbekend_adres, nieuwe_schulden, herberekening, anders) + text"',
    ),
    (
        Waar(modules=(WF,), codes=("gebeurtenis",)),
        "gebeurtenis",
        {
            "pro_forma_afgegeven",
            "pro_forma_afgewezen",
            "borgstelling_afgegeven",
            "aanvraag_afgewezen",
            "aanvraag_in_behandeling",
            "beeindigd",
            "ingetrokken",
            "uitbetaald",
            "uitbetaalverzoek_afgewezen",
        },
        True,
        '§3b: "`gebeurtenis` (pro_forma_afgegeven, pro_forma_afgewezen, borgstelling_afgegeven, '
        "aanvraag_afgewezen, "
        'aanvraag_in_behandeling, beeindigd, ingetrokken, uitbetaald, uitbetaalverzoek_afgewezen)"',
    ),
    (
        Waar(modules=(BW,), codes=("melding_bewind",)),
        "soort",
        {"beschermingsbewind", "wsnp"},
        True,
        '§3b: "`soort`: `beschermingsbewind` | `wsnp`"',
    ),
    (
        Waar(modules=(PK,), codes=KENNISGEVINGEN),
        "pauze.fase",
        {"aanmelding", "toelating"},
        True,
        '§3b: "`fase`: `aanmelding` | `toelating`"',
    ),
]


@pytest.mark.parametrize(
    ("waar", "pad", "waarden", "precies"),
    [pytest.param(w, p, v, e, id=f"{p}:{u[:40]}") for w, p, v, e, u in OPSOMMINGEN],
)
def test_par_3_opsommingen_zoals_design_ze_noemt(
    gediend: dict[Sleutel, dict[str, Any]], waar: Waar, pad: str, waarden: set[str], precies: bool
) -> None:
    """§3/§3a/§3b's enumerations (each quoted in ``OPSOMMINGEN``): wherever the field occurs in the
    types DESIGN speaks of, the served schema lists exactly DESIGN's values ("e.g. ..., …": at least
    them), as strings; and the SDK accepts each of them."""
    typen = [s for s in TYPEN if waar.past(s)]
    gezien = 0
    for sleutel in typen:
        schema = schema_van(gediend, sleutel)
        for s in plekken(schema, pad):
            gezien += 1
            gekregen = {str(w) for w in s.get("enum", [])}
            assert all(isinstance(w, str) for w in s.get("enum", [None])), (_id(sleutel), pad, s)
            if precies:
                assert gekregen == waarden, (_id(sleutel), pad, sorted(gekregen))
            else:
                assert waarden <= gekregen, (_id(sleutel), pad, sorted(gekregen))
    assert gezien, f"{pad} occurs in none of {[_id(s) for s in typen]}"


# --- bsn, amounts, dates over every served schema ----------------------------------------------------------


def test_par_3_bsn_alleen_in_de_bsn_en_publiek_varianten(gediend: dict[Sleutel, dict[str, Any]]) -> None:
    """§3: "`klant` {..., bsn (only in `*_bsn`/publiek variants)}": over every module and version,
    a `bsn` field exists in exactly the `kennisgeving_bsn` and `saldoverzoek_publiek` schemas."""
    met_bsn = {s for s in TYPEN if overal(schema_van(gediend, s), "bsn")}
    assert met_bsn == {s for s in TYPEN if s[1] in BSN_VARIANTEN}


def test_par_3_bsn_daarbuiten_geweigerd_door_schema_en_sdk(gediend: dict[Sleutel, dict[str, Any]]) -> None:
    """§3: "bsn (only in `*_bsn`/publiek variants)"; §3: "BSN only to creditors with `gebruiktBsn`" is
    a payload rule the SDK enforces: a valid BSN put in the `klant` or `partner` of any other type of
    any module is refused by the served schema and by the SDK alike."""
    gezien = 0
    for sleutel in TYPEN:
        if sleutel[1] in BSN_VARIANTEN:
            continue
        schema = schema_van(gediend, sleutel)
        v = validator(schema)
        for wie in ("klant", "partner"):
            if wie not in schema["properties"]:
                continue
            gezien += 1
            payload = minimaal(schema)
            payload[wie] = {
                **Generator(schema).waarde(schema["properties"][wie], wie, wie),
                "bsn": "999993653",
            }
            assert schema_fouten(v, payload), f"{_id(sleutel)}: {wie}.bsn accepted by the served schema"
            assert sdk_fout(sleutel, payload), f"{_id(sleutel)}: {wie}.bsn accepted by the SDK"
    assert gezien >= 40, gezien


BEDRAGNAMEN = re.compile(r"(?i)(bedrag|saldo|hoofdsom|rente|kosten|afloscapaciteit|kredietsom|bruto|netto)")


def test_par_3_bedragen_zijn_gehele_getallen(gediend: dict[Sleutel, dict[str, Any]]) -> None:
    """§3: "Amounts are integers in euro cents." Over every served schema: every field named as an
    amount that holds a number is an integer (never a JSON number with decimals), and the only
    non-integer numbers are percentages."""
    fout = []
    for sleutel in TYPEN:
        schema = schema_van(gediend, sleutel)
        for o in _alle_objecten(schema, schema):
            for naam, eigenschap in o["properties"].items():
                for s in _varianten(schema, eigenschap):
                    if s.get("type") == "number" and "ercentage" not in naam:
                        fout.append(f"{_id(sleutel)}: {naam} is a number with decimals")
                    if BEDRAGNAMEN.search(naam) and s.get("type") in ("number", "string"):
                        fout.append(f"{_id(sleutel)}: amount {naam} is a {s.get('type')}")
    assert not fout, fout


def test_par_3_datums_iso_8601(gediend: dict[Sleutel, dict[str, Any]]) -> None:
    """§3: "Dates ISO 8601." Over every served schema: every field whose name says it is a date
    (…datum…, `incassoOpgeschortTot`) is a string of format `date`."""
    fout = []
    for sleutel in TYPEN:
        schema = schema_van(gediend, sleutel)
        for o in _alle_objecten(schema, schema):
            for naam, eigenschap in o["properties"].items():
                is_datum = "datum" in naam.lower() or naam in ("incassoOpgeschortTot", "laatsteAanlevering")
                if is_datum and not all(SOORTEN["datum"](s) for s in _varianten(schema, eigenschap)):
                    fout.append(f"{_id(sleutel)}: {naam}")
    assert not fout, fout


@pytest.mark.parametrize("sleutel", [s for s in TYPEN if s[1] in SALDO_ANTWOORDEN[1:]], ids=_id)
def test_par_3_standaard_akkoord_heeft_het_schema_van_saldoverzoek_antwoord(
    gediend: dict[Sleutel, dict[str, Any]], sleutel: Sleutel
) -> None:
    """§3: "Standaard akkoord is decided by the message *type* ...; the SDK keeps the payload's
    per-totaalvordering flag (6.3) consistent with it, and its schema is that of
    `saldoverzoek_antwoord` (7.1: "op dezelfde wijze")": the served schemas differ only in their
    `$id`, title and description; the SDK refuses a flag that contradicts the type, in both types."""
    module, _, versie = sleutel
    antwoord = (module, "saldoverzoek_antwoord", versie)

    def zonder_naam(s: Schema) -> Schema:
        return {k: w for k, w in s.items() if k not in ("$id", "title", "description")}

    akkoord_schema, antwoord_schema = schema_van(gediend, sleutel), schema_van(gediend, antwoord)
    assert zonder_naam(akkoord_schema) == zonder_naam(antwoord_schema)
    for soort, juist in ((sleutel, True), (antwoord, False)):
        schema = schema_van(gediend, soort)
        for vlag in (True, False):
            payload = Generator(schema, {"#oneOf": 1, "totaalvordering.standaardAkkoord": vlag}).object(
                schema, ""
            )
            assert "totaalvordering" in payload and "vorderingen" not in payload
            assert not schema_fouten(validator(schema), payload)
            assert (sdk_fout(soort, payload) is None) == (vlag is juist), (_id(soort), vlag)


# --- a minimal payload from the served schema, for every type --------------------------------------------

PDF = base64.b64encode(b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\ntrailer\n<< >>\n%%EOF\n").decode("ascii")
DATUM = "2024-03-01"
PER_VELDNAAM: dict[str, Any] = {
    # What a tester writes in a field of that name; DESIGN's identifiers in their written form.
    "bsn": "999993653",  # passes the elfproef
    "iban": "NL91ABNA0417164300",
    "beheerrekening": "NL91ABNA0417164300",
    "postcode": "3511 AB",  # DESIGN: "postcode `1234 AB`"
    "postcodeGebied": "3511",  # DESIGN: "`postcodeGebied` (4 digits)"
    "telefoon": "030 123 4567",
    "email": "info@example.nl",
    "proFormaBorgstelling": "7d9f0e3a-1c2b-4d5e-8f90-a1b2c3d4e5f6",  # DESIGN: "(UUID)"
    "bestandsnaam": "document.pdf",
    "inhoud": PDF,
    "einddatum": "2024-07-01",  # a pause of 4 months after DATUM (DESIGN: at most 8)
    # Amounts and counts a tester makes add up (the schemas' descriptions: "Totals must equal the sums
    # over vorderingen"; "per vordering 100 %"); one concurrent own debt.
    "afkooppercentage": 100,
    "prognoseEindbedrag": 1,
    "actueelVorderingsbedrag": 1,
    "aantalConcurrent": 1,
    "eigenVordering": True,
    "preferent": False,
    "akkoord": True,
    "standaardAkkoord": False,
}


class Generator:
    """A payload built from a served JSON Schema alone: the required fields (and, asked by ``keuzes``,
    an optional field, another enumeration value, another ``anyOf``/``oneOf`` branch), each with the
    value a tester would write — by field name (``PER_VELDNAAM``), else by JSON Schema type, format
    and bounds — then the schema's ``if``/``then``/``else``, ``anyOf`` and ``oneOf`` satisfied.

    ``keuzes``: ``{path: value}`` puts a value at a path; ``{"<object path>+<name>": True}`` adds an
    optional field; ``{"<object path>#anyOf": i}`` (or ``#oneOf``) takes branch ``i``. What was
    generated is kept (``gezien``: the schema of each value by path; ``objecten``; ``takken``), so
    the variants to try can be read from it."""

    def __init__(self, schema: Schema, keuzes: dict[str, Any] | None = None) -> None:
        self.root = schema
        self.keuzes = keuzes or {}
        self.gezien: dict[str, Schema] = {}
        self.objecten: dict[str, Schema] = {}
        self.takken: dict[str, int] = {}

    @staticmethod
    def sub(pad: str, naam: str) -> str:
        return f"{pad}.{naam}" if pad else naam

    def waarde(self, s: Schema, naam: str, pad: str) -> Any:
        varianten = _varianten(self.root, s)
        assert varianten, f"{pad}: only null is allowed"
        s = varianten[0]
        self.gezien[pad] = s
        if pad in self.keuzes:
            return copy.deepcopy(self.keuzes[pad])
        if "const" in s:
            return s["const"]
        if "enum" in s:
            return s["enum"][0]
        soort = s.get("type")
        if soort == "object":
            return self.object(s, pad)
        if soort == "array":
            # A tester sends one item of a list DESIGN names, also where the schema allows none.
            return [self.waarde(s["items"], naam, f"{pad}[{i}]") for i in range(max(1, s.get("minItems", 0)))]
        if naam in PER_VELDNAAM:
            return PER_VELDNAAM[naam]
        if soort == "string":
            if s.get("format") == "date":
                return DATUM
            tekst = "Tekst"[: s.get("maxLength", 5)]
            return tekst + "x" * (s.get("minLength", 1) - len(tekst))
        if soort == "integer":
            return max(s.get("minimum", 0), s.get("exclusiveMinimum", -1) + 1)
        if soort == "number":
            return s.get("minimum", 0)
        if soort == "boolean":
            return False
        raise AssertionError(f"{pad}: no value for {s}")

    def object(self, s: Schema, pad: str) -> dict[str, Any]:
        s = _los(self.root, s)
        self.objecten[pad] = s
        eigenschappen = s.get("properties", {})
        namen = list(s.get("required", []))
        namen += [n for n in eigenschappen if f"{pad}+{n}" in self.keuzes and n not in namen]
        uit: dict[str, Any] = {}
        for naam in namen:
            uit[naam] = self.waarde(eigenschappen[naam], naam, self.sub(pad, naam))
        self._combineer(s, s, uit, pad)
        return uit

    def _eis(self, deel: Schema, s: Schema, uit: dict[str, Any], pad: str) -> None:
        """Make ``uit`` satisfy a part of its object's schema (a branch, a ``then``, an ``else``)."""
        for naam in deel.get("required", []):
            if naam not in uit:
                uit[naam] = self.waarde(s["properties"][naam], naam, self.sub(pad, naam))
        for naam, regel in deel.get("properties", {}).items():
            if "const" in regel:
                uit[naam] = regel["const"]
            elif regel.get("type") == "null":
                uit.pop(naam, None)
            elif regel.get("maxItems") == 0:
                uit[naam] = []
        self._combineer(deel, s, uit, pad)

    def _combineer(self, deel: Schema, s: Schema, uit: dict[str, Any], pad: str) -> None:
        for soort in ("anyOf", "oneOf"):
            if soort in deel:
                takken = deel[soort]
                sleutel = f"{pad}#{soort}"
                self.takken[sleutel] = len(takken)
                i = self.keuzes.get(sleutel)
                if i is None:
                    if any(jsonschema.Draft202012Validator(t).is_valid(uit) for t in takken):
                        continue
                    i = 0
                self._eis(takken[i], s, uit, pad)
        for regel in deel.get("allOf", []):
            self._als(regel, s, uit, pad) if "if" in regel else self._eis(regel, s, uit, pad)
        if "if" in deel:
            self._als(deel, s, uit, pad)

    def _als(self, regel: Schema, s: Schema, uit: dict[str, Any], pad: str) -> None:
        if jsonschema.Draft202012Validator(regel["if"]).is_valid(uit):
            if "then" in regel:
                self._eis(regel["then"], s, uit, pad)
        elif "else" in regel:
            self._eis(regel["else"], s, uit, pad)


def minimaal(schema: Schema, keuzes: dict[str, Any] | None = None) -> dict[str, Any]:
    return Generator(schema, keuzes).object(schema, "")


# Cross-field rules the served schema once left out while the SDK enforced them (session 19's audit
# found each a DEVIATION; the schemas now carry them): each kind is checked on its own below.
REGELS_IN_HET_SCHEMA: dict[str, tuple[str, Callable[[Sleutel, str], bool]]] = {
    "gebeurtenis": (
        "gebeurtenis's schema carries its rules (proFormaBorgstelling with and only with "
        "pro_forma_afgegeven; toelichting with the four afwijzingen), as the SDK enforces them",
        # The first value, pro_forma_afgegeven, is the one that asks a proFormaBorgstelling.
        lambda s, label: (
            s[1] == "gebeurtenis" and (label in ("basis", "+toelichting") or label.startswith("gebeurtenis="))
        ),
    ),
    "statusbericht": (
        "statusbericht's schema requires datumGebeurtenis for dwangakkoord_aangevraagd, uitstel, "
        "opschorting (13.2-13.3) and toelichting for overig, as the SDK does",
        lambda s, label: (
            s[1] == "statusbericht"
            and label
            in {f"status={w}" for w in ("dwangakkoord_aangevraagd", "uitstel", "opschorting", "overig")}
        ),
    ),
    "verzoek_uitbetaling": (
        "verzoek_uitbetaling's schema requires toelichting with reden anders, as the SDK does",
        lambda s, label: s[1] == "verzoek_uitbetaling" and label == "reden=anders",
    ),
    "overgedragenAan": (
        "the schema allows vorderingen[].overgedragenAan only with schuldtype overgedragen, as the SDK does",
        lambda s, label: label.endswith("+overgedragenAan"),
    ),
    "geheel getal als 1.0": (
        "an integer written with a zero fraction (1.0) is an integer for JSON Schema and for the SDK "
        "(amounts, counts, huisnummer)",
        lambda s, label: re.search(r":=-?[0-9]+\.0$", label) is not None,
    ),
}
TOEGESTAAN: dict[str, Callable[[Sleutel, str], bool]] = {
    # DESIGN §3: the standaard akkoord's "schema is that of `saldoverzoek_antwoord`", so the flag the
    # SDK keeps consistent with the type cannot be in it.
    "standaardAkkoord": lambda s, label: (
        s[1] == "saldoverzoek_antwoord_standaard_akkoord" and label in ("#oneOf=1", "+totaalvordering")
    ),
    # The schemas' description: "Niet elke regel is in JSON Schema uit te drukken (... totalen gelijk
    # aan de som van hun delen)": a betaalvoorstel's counts follow its vorderingen.
    "totalen": lambda s, label: (
        s[1] == "betaalvoorstel"
        and label in ("vorderingen[0].eigenVordering=False", "vorderingen[0].preferent=True")
    ),
    # The schemas' description: "percentages 0 tot en met 100 met hoogstens twee decimalen" (JSON
    # Schema's multipleOf 0.01 is not exact for binary floating point).
    "percentage met drie decimalen": lambda s, label: label.endswith(":=33.333"),
}


def _soort_afwijking(sleutel: Sleutel, label: str) -> str | None:
    for naam, (_, past) in REGELS_IN_HET_SCHEMA.items():
        if past(sleutel, label):
            return naam
    for naam, past_ in TOEGESTAAN.items():
        if past_(sleutel, label):
            return naam
    return None


def _stappen(pad: str) -> list[str | int]:
    return [int(d[1:-1]) if d.startswith("[") else d for d in re.findall(r"[^.\[\]]+|\[\d+\]", pad)]


def _lees(payload: Any, pad: str) -> Any:
    for stap in _stappen(pad):
        payload = payload[stap]
    return payload


def _zet(payload: Any, pad: str, waarde: Any) -> None:
    stappen = _stappen(pad)
    for stap in stappen[:-1]:
        payload = payload[stap]
    payload[stappen[-1]] = waarde


MUTATIES: dict[str, list[Any]] = {
    # Wrong types a tester's code might write; both the schema and the SDK must refuse them.
    # (and the value itself written with a fraction, e.g. 100.0: see ``varianten``)
    "integer": ["1", 1.5, -1, True, None],
    "number": ["50", 101, -1, True, 33.333],
    "boolean": ["true", 1, None],
    "string": [1, "", None],
    "date": ["01-03-2024", "2024-3-1", "2024-03-01T00:00:00", "20240301", "2024-02-30"],
}


def varianten(schema: Schema) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, payload): the minimal payload, then one change at a time — every other enumeration
    value, the other boolean, every other ``anyOf``/``oneOf`` branch, every optional field added,
    the wrong types of ``MUTATIES`` at every value, and every integer written with a zero fraction
    (``100`` as ``100.0``: an integer for JSON Schema)."""
    g = Generator(schema)
    basis = g.object(schema, "")
    yield "basis", basis
    keuzes: list[tuple[str, dict[str, Any]]] = []
    for pad, s in g.gezien.items():
        if "enum" in s:
            keuzes += [(f"{pad}={w}", {pad: w}) for w in s["enum"] if w != _lees(basis, pad)]
        elif s.get("type") == "boolean":
            keuzes.append((f"{pad}={not _lees(basis, pad)}", {pad: not _lees(basis, pad)}))
    keuzes += [(f"{k}={i}", {k: i}) for k, n in g.takken.items() for i in range(1, n)]
    for pad, obj in g.objecten.items():
        keuzes += [
            (f"{pad}+{naam}", {f"{pad}+{naam}": True})
            for naam in obj.get("properties", {})
            if naam not in obj.get("required", [])
        ]
    for label, keuze in keuzes:
        yield label, Generator(schema, keuze).object(schema, "")
    for pad, s in g.gezien.items():
        soort = "date" if s.get("format") == "date" else s.get("type", "")
        fouten = MUTATIES.get(soort, [])
        if soort == "integer":
            fouten = [*fouten, float(_lees(basis, pad))]
        for fout in fouten:
            payload = copy.deepcopy(basis)
            _zet(payload, pad, fout)
            yield f"{pad}:={fout!r}", payload


def oordelen(gediend: dict[Sleutel, dict[str, Any]], sleutel: Sleutel) -> Iterator[tuple[str, str, str]]:
    """(label, what the schema says, what the SDK says) for every variant."""
    schema = schema_van(gediend, sleutel)
    v = validator(schema)
    for label, payload in varianten(schema):
        fouten, sdk = schema_fouten(v, payload), sdk_fout(sleutel, payload)
        yield label, "; ".join(fouten) or "valid", sdk or "valid"


def oneenigheid(gediend: dict[Sleutel, dict[str, Any]], sleutel: Sleutel) -> list[tuple[str, str, str]]:
    """(label, what the schema says, what the SDK says) for every variant on which they disagree."""
    return [o for o in oordelen(gediend, sleutel) if (o[1] == "valid") != (o[2] == "valid")]


@pytest.mark.parametrize("sleutel", TYPEN, ids=_id)
def test_par_3_minimale_payload_uit_het_gediende_schema_is_geldig_voor_schema_en_sdk(
    gediend: dict[Sleutel, dict[str, Any]], sleutel: Sleutel
) -> None:
    """§3 "Payloads (encrypted, so validated by sender SDK/portal and by the recipient)": "one JSON
    Schema per type and `versie`, published by the hub ... so vendors in any language can validate".
    A payload a tester builds from the served schema alone — its required fields, DESIGN's
    identifiers in their written form — is valid for `jsonschema` and for the SDK, and the SDK sends
    it as given (nothing added, nothing rewritten)."""
    schema = schema_van(gediend, sleutel)
    payload = minimaal(schema)
    assert not schema_fouten(validator(schema), payload), schema_fouten(validator(schema), payload)
    assert sdk_fout(sleutel, payload) is None, sdk_fout(sleutel, payload)
    assert valideer_payload(*sleutel, payload) == payload


@pytest.mark.parametrize("sleutel", TYPEN, ids=_id)
def test_par_3_schema_en_sdk_geven_hetzelfde_oordeel(
    gediend: dict[Sleutel, dict[str, Any]], sleutel: Sleutel
) -> None:
    """§3: "one JSON Schema per type ... so vendors in any language can validate" and "validated by
    sender SDK/portal and by the recipient": what the served schema accepts the SDK accepts, and what
    it refuses the SDK refuses — over every enumeration value, boolean, branch, optional field and
    wrong type (``varianten``). Not counted: rules the schema's description says JSON Schema cannot
    express, DESIGN's own "its schema is that of `saldoverzoek_antwoord`" (``TOEGESTAAN``), and the
    cross-field rules each checked by its own test below (``REGELS_IN_HET_SCHEMA``)."""
    nieuw = [o for o in oneenigheid(gediend, sleutel) if _soort_afwijking(sleutel, o[0]) is None]
    assert not nieuw, "\n".join(f"{label}: schema {s} / SDK {d}" for label, s, d in nieuw)


@pytest.mark.parametrize("soort", list(REGELS_IN_HET_SCHEMA))
def test_par_3_schema_en_sdk_eens_over_elke_regel(gediend: dict[Sleutel, dict[str, Any]], soort: str) -> None:
    """§3: "one JSON Schema per type ... so vendors in any language can validate" — one kind of rule
    the served schema and the SDK must agree on (see its description in ``REGELS_IN_HET_SCHEMA``):
    over every variant of that kind, in every type, the same verdict; and the kind is really met."""
    _, past = REGELS_IN_HET_SCHEMA[soort]
    getroffen, gevonden = 0, []
    for s in TYPEN:
        for label, schema_zegt, sdk_zegt in oordelen(gediend, s):
            if past(s, label):
                getroffen += 1
                if (schema_zegt == "valid") != (sdk_zegt == "valid"):
                    gevonden.append((_id(s), label, schema_zegt, sdk_zegt))
    assert getroffen, f"no variant of kind {soort}"
    assert not gevonden, "\n".join(map(str, gevonden[:12]))


def test_par_3_geheel_getal_met_nul_als_breuk_wordt_geheel_getal(
    gediend: dict[Sleutel, dict[str, Any]],
) -> None:
    """§3 "Amounts are integers in euro cents" and "one JSON Schema per type ... so vendors in any
    language can validate": JSON Schema counts 12.0 as the integer 12, so the SDK accepts it — in a
    huisnummer, an amount and a count — and sends it as the integer; 12.5, "12", true and infinity
    stay refused by both, the SDK's reason Dutch and at the field."""
    for sleutel, pad, waarde in (
        ((SR, "kennisgeving", "2.0"), "adres.huisnummer", 12),
        ((WF, "voorbeoordeling", "2.0"), "brutoKredietsom", 250000),
        ((WF, "voorbeoordeling", "2.0"), "looptijdMaanden", 36),
    ):
        schema = schema_van(gediend, sleutel)
        v = validator(schema)
        payload = minimaal(schema, {pad: float(waarde)})
        assert not schema_fouten(v, payload), (pad, schema_fouten(v, payload))
        verstuurd = valideer_payload(*sleutel, payload)
        assert _lees(verstuurd, pad) == waarde and type(_lees(verstuurd, pad)) is int, pad
        for fout in (waarde + 0.5, str(waarde), True, float("inf")):
            _zet(payload, pad, fout)
            assert schema_fouten(v, payload), (pad, fout)
            with pytest.raises(VerzendFout) as e:
                valideer_payload(*sleutel, payload)
            assert [f["name"] for f in e.value.velden] == [pad], (pad, fout, e.value.velden)
            assert "geheel getal" in e.value.velden[0]["reason"], (pad, fout, e.value.velden)


def test_par_3_de_variaties_raken_elke_soort_afwijking(gediend: dict[Sleutel, dict[str, Any]]) -> None:
    """The probe must be able to fail: each tolerated kind of disagreement (``TOEGESTAAN``) is really
    met by the variants, so the tolerance is not a blanket."""
    gezien = {
        _soort_afwijking(s, label)
        for s in TYPEN
        if s[1]
        in ("betaalvoorstel", "saldoverzoek_antwoord_standaard_akkoord", "schuldregeling_geaccordeerd")
        for label, _, _ in oneenigheid(gediend, s)
    }
    assert set(TOEGESTAAN) <= gezien, set(TOEGESTAAN) - gezien


# --- required fields DESIGN does not name -------------------------------------------------------------------

# Every payload field name DESIGN §2–§3b writes (a tester knows these and only these).
# fmt: off
DESIGN_NAMEN = frozenset({
    "klantnummerSHV", "klantnummerSEVolgensSHV", "klant", "geslacht", "voorletters", "voornamen",
    "voorvoegsel", "achternaam", "geboortedatum", "bsn", "partner", "adres", "straatnaam", "huisnummer",
    "huisletter", "huisnummertoevoeging", "postcode", "woonplaats", "contactpersoonSHV", "naam",
    "telefoon", "email", "typeSchuldregeling", "vorderingen", "factuurnummerSEVolgensSHV",
    "slimmeMeterAkkoord", "klantnummerSE", "contactpersoonSE", "factuurnummerSE", "schuldtype",
    "ontstaansdatum", "oorspronkelijkBedrag", "hoofdsom", "rente", "kosten", "incassokosten",
    "actueelBedrag", "omschrijving", "totaalvordering", "standaardAkkoord", "iban", "betalingskenmerk",
    "afloscapaciteitPerMaand", "looptijdMaanden", "aanbodPercentage", "onderbouwing", "datumAkkoord",
    "afkooppercentage", "prognoseEindbedrag", "actueelVorderingsbedrag", "betaalreferentie", "reden",
    "code", "status", "adreskeuze", "antwoord", "factuurnummers", "uitbetaalmomenten", "vorderingstype",
    "grondslag", "openstaandeSchulden", "termijnbedrag", "aantalTermijnen", "eersteBetaaldatum",
    "uitbetaaldatum", "financier", "kenmerk", "soortLening", "borgstellingCategorie", "postcodeGebied",
    "brutoKredietsom", "statistieken", "proFormaBorgstelling", "contact", "uitstaandSaldo",
    "datumUitbetaald", "datumBeeindigd", "gebeurtenis", "toelichting", "peildatum", "kredietsom",
    "betalingen", "achterstanden", "betalingsregeling", "dubieus", "soort", "ingangsdatum", "beschikking",
    "datum", "rechtbank", "zaaknummer", "bewindvoerder", "beheerrekening", "einddatum", "pauze", "fase",
    "incassoOpgeschortTot", "akkoord",
})
# fmt: on


def verplicht_buiten_design(schema: Schema) -> list[tuple[str, Schema, Schema]]:
    """(name, its schema, the enclosing object) of every required field, at any depth, whose name
    DESIGN never writes."""
    return [
        (naam, o["properties"][naam], o)
        for o in _alle_objecten(schema, schema)
        for naam in o.get("required", [])
        if naam not in DESIGN_NAMEN
    ]


@pytest.mark.parametrize("sleutel", TYPEN, ids=_id)
def test_par_3_verplichte_velden_die_design_niet_noemt_zijn_in_het_schema_beschreven(
    gediend: dict[Sleutel, dict[str, Any]], sleutel: Sleutel
) -> None:
    """§3: the schema is "published by the hub ... so vendors in any language can validate", and
    DESIGN's preamble: "Where you must deviate, ... write down why". A field the served schema
    requires but DESIGN never names cannot be known from DESIGN: the served schema must at least
    say what it is (a `description` on the field, its definition, or the object that holds it naming
    it)."""
    schema = schema_van(gediend, sleutel)
    stom = []
    for naam, eigenschap, houder in verplicht_buiten_design(schema):
        eigen = [eigenschap.get("description", "")] + [
            v.get("description", "") for v in _varianten(schema, eigenschap)
        ]
        if not any(eigen) and naam not in houder.get("description", ""):
            stom.append(naam)
    assert not stom, f"{_id(sleutel)}: required, not in DESIGN, not described: {stom}"


# --- DESIGN's words on what is required and optional -------------------------------------------------------

VERPLICHT: list[tuple[Waar, str, str]] = [
    (Waar(codes=("geen_medewerking",)), "reden", '§3a: "`geen_medewerking` (... required `reden` ...)"'),
    (
        Waar(codes=("betaalvoorstel_niet_akkoord",)),
        "reden",
        '§3: "the mandatory `reden`, 10.2, is a payload rule"',
    ),
    (Waar(codes=("schuldregeling_beeindigd",)), "reden", '§3: "(12.1; `reden`, 12.2, is a payload rule)"'),
    (Waar(modules=(PK,), codes=KENNISGEVINGEN), "pauze", '§3b: "carry a required `pauze`"'),
]


@pytest.mark.parametrize(("waar", "veld"), [pytest.param(w, v, id=u[:50]) for w, v, u in VERPLICHT])
def test_par_3_wat_design_verplicht_noemt_is_verplicht(
    gediend: dict[Sleutel, dict[str, Any]], waar: Waar, veld: str
) -> None:
    """§3/§3a/§3b (quoted in ``VERPLICHT``): the field is required in the served schema, and a payload
    without it is refused by the schema and by the SDK."""
    typen = [s for s in TYPEN if waar.past(s)]
    assert typen
    for sleutel in typen:
        schema = schema_van(gediend, sleutel)
        assert veld in schema.get("required", []), _id(sleutel)
        payload = minimaal(schema)
        del payload[veld]
        assert schema_fouten(validator(schema), payload) and sdk_fout(sleutel, payload), _id(sleutel)


def test_par_3b_pro_forma_borgstelling_optioneel(gediend: dict[Sleutel, dict[str, Any]]) -> None:
    """§3b waarborgfonds: "`statistieken`, optional `proFormaBorgstelling` (UUID)": not required, and a
    UUID is accepted there by the schema and the SDK, anything else refused by both."""
    for code in ("aanvraag_borgstelling", "aanvraag_overname"):
        sleutel = (WF, code, "2.0")
        schema = schema_van(gediend, sleutel)
        assert "proFormaBorgstelling" not in schema.get("required", [])
        v = validator(schema)
        payload = minimaal(schema)
        for waarde, geldig in (
            (str(uuid.uuid4()), True),
            ("7D9F0E3A-1C2B-4D5E-8F90-A1B2C3D4E5F6", False),
            ("7d9f0e3a1c2b4d5e8f90a1b2c3d4e5f6", False),
            ("pro-forma-1", False),
        ):
            payload["proFormaBorgstelling"] = waarde
            assert (not schema_fouten(v, payload), sdk_fout(sleutel, payload) is None) == (geldig, geldig), (
                waarde
            )


def test_par_3b_beschikking_pdf_optioneel(gediend: dict[Sleutel, dict[str, Any]]) -> None:
    """§3b bewind: "`beschikking` {datum, rechtbank, zaaknummer, optional PDF ≤ 1 MiB}": the served
    schema requires nothing else of the beschikking, and a melding without the PDF is valid."""
    sleutel = (BW, "melding_bewind", "2.0")
    schema = schema_van(gediend, sleutel)
    [beschikking] = plekken(schema, "beschikking")
    assert set(beschikking.get("required", [])) <= {"datum", "rechtbank", "zaaknummer"}
    payload = minimaal(schema)
    assert set(payload["beschikking"]) <= {"datum", "rechtbank", "zaaknummer"}
    assert not schema_fouten(validator(schema), payload) and sdk_fout(sleutel, payload) is None


@pytest.mark.parametrize("grondslag", ["wgs", "toestemmingsverklaring", "beschikking"])
def test_par_3b_grondslag_met_het_document_als_optionele_pdf(
    gediend: dict[Sleutel, dict[str, Any]], grondslag: str
) -> None:
    """§3b saldoverzoek: "plus `grondslag`: `wgs` | `toestemmingsverklaring` | `beschikking`, with the
    signed document as an optional PDF of at most 1 MiB inside the payload": a saldoverzoek on a
    toestemmingsverklaring or a beschikking without the PDF is valid for the schema and the SDK."""
    for code in SALDOVERZOEKEN:
        sleutel = (SV, code, "2.0")
        schema = schema_van(gediend, sleutel)
        payload = minimaal(schema, {"grondslag": grondslag})
        payload.pop("grondslagDocument", None)
        assert not schema_fouten(validator(schema), payload), code
        assert sdk_fout(sleutel, payload) is None, code


def test_par_3b_ongematchte_schulden_een_van_de_twee(gediend: dict[Sleutel, dict[str, Any]]) -> None:
    """§3b saldoverzoek: "`saldoverzoek_antwoord` (which may instead of matched vorderingen give
    *ongematchte schulden*: a `totaalvordering` or a list of `openstaandeSchulden`, one of the two
    required)": matched vorderingen, a totaalvordering or openstaandeSchulden each alone are valid;
    none of them is refused — by the schema and the SDK alike."""
    sleutel = (SV, "saldoverzoek_antwoord", "2.0")
    schema = schema_van(gediend, sleutel)
    v = validator(schema)
    for veld in ("vorderingen", "totaalvordering", "openstaandeSchulden"):
        payload = minimaal(schema, {f"+{veld}": True})
        for ander in {"vorderingen", "totaalvordering", "openstaandeSchulden"} - {veld}:
            payload.pop(ander, None)
        assert not schema_fouten(v, payload) and sdk_fout(sleutel, payload) is None, veld
    payload = minimaal(schema)
    for veld in ("vorderingen", "totaalvordering", "openstaandeSchulden"):
        payload.pop(veld, None)
    assert schema_fouten(v, payload) and sdk_fout(sleutel, payload)


def test_par_3b_pauze_hoogstens_8_maanden_en_reden_als_niet_akkoord(
    gediend: dict[Sleutel, dict[str, Any]],
) -> None:
    """§3b pauzeknop: "`einddatum` at most 8 months later" (the SDK: exactly 8 months accepted, a day
    more refused, an end before the start refused) and the answer's "`reden` when not akkoord" (no
    reden without akkoord is refused by the schema and the SDK; with it, accepted)."""
    for code in KENNISGEVINGEN:
        sleutel = (PK, code, "2.0")
        schema = schema_van(gediend, sleutel)
        for begin, eind, geldig in (
            ("2024-01-31", "2024-09-30", True),
            ("2024-03-01", "2024-11-01", True),
            ("2024-03-01", "2024-11-02", False),
            ("2024-03-01", "2024-03-01", False),
            ("2024-03-01", "2024-02-28", False),
        ):
            payload = minimaal(schema, {"pauze.ingangsdatum": begin, "pauze.einddatum": eind})
            assert (sdk_fout(sleutel, payload) is None) == geldig, (code, begin, eind)
    sleutel = (PK, "kennisgeving_antwoord", "2.0")
    schema = schema_van(gediend, sleutel)
    v = validator(schema)
    zonder = minimaal(schema, {"pauze.akkoord": False})
    assert "reden" in zonder["pauze"], "the served schema does not ask a reden without akkoord"
    assert not schema_fouten(v, zonder) and sdk_fout(sleutel, zonder) is None
    del zonder["pauze"]["reden"]
    assert schema_fouten(v, zonder) and sdk_fout(sleutel, zonder)


def test_par_3b_waarborgfonds_looptijd_en_postcodegebied(gediend: dict[Sleutel, dict[str, Any]]) -> None:
    """§3b waarborgfonds: "`postcodeGebied` (4 digits), `brutoKredietsom` (cents), `looptijdMaanden`
    (1–60)": at the bounds accepted, past them refused, by the served schema and the SDK alike."""
    for code in ("voorbeoordeling", "aanvraag_borgstelling", "aanvraag_overname"):
        sleutel = (WF, code, "2.0")
        schema = schema_van(gediend, sleutel)
        v = validator(schema)
        for pad, waarde, geldig in (
            ("looptijdMaanden", 1, True),
            ("looptijdMaanden", 60, True),
            ("looptijdMaanden", 0, False),
            ("looptijdMaanden", 61, False),
            ("postcodeGebied", "9999", True),
            ("postcodeGebied", "351", False),
            ("postcodeGebied", "35111", False),
            ("postcodeGebied", "3511AB", False),
            ("postcodeGebied", 3511, False),
            ("brutoKredietsom", 250000, True),
            ("brutoKredietsom", 2500.5, False),
            ("brutoKredietsom", "250000", False),
        ):
            payload = minimaal(schema, {pad: waarde})
            oordeel = (not schema_fouten(v, payload), sdk_fout(sleutel, payload) is None)
            assert oordeel == (geldig, geldig), (code, pad, waarde, oordeel)


# --- Dutch identifiers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proef:
    sleutel: Sleutel
    pad: str
    waarde: Any
    schema_geldig: bool
    sdk_geldig: bool
    waarom: str


IDENTIFICATIES = [
    # BSN elfproef: the schema can say "9 digits"; only the SDK can do the elfproef (its description says so).
    Proef((SR, "kennisgeving_bsn", "2.0"), "klant.bsn", "999993653", True, True, "passes the elfproef"),
    Proef((SR, "kennisgeving_bsn", "1.0"), "klant.bsn", "111222333", True, True, "passes the elfproef"),
    Proef((SR, "kennisgeving_bsn", "2.0"), "klant.bsn", "123456789", True, False, "fails the elfproef"),
    Proef((SR, "saldoverzoek_publiek", "1.0"), "klant.bsn", "999993654", True, False, "fails the elfproef"),
    Proef((PK, "kennisgeving_bsn", "2.0"), "klant.bsn", "99999365", False, False, "8 digits"),
    Proef((BR, "saldoverzoek_publiek", "2.0"), "klant.bsn", "999 993 653", False, False, "spaces"),
    # IBAN mod-97.
    Proef((BW, "melding_bewind", "2.0"), "beheerrekening", "NL91ABNA0417164300", True, True, "mod-97 holds"),
    Proef((BW, "melding_bewind", "2.0"), "beheerrekening", "NL91ABNA0417164301", True, False, "mod-97 fails"),
    Proef(
        (BW, "melding_bewind", "2.0"),
        "beheerrekening",
        "NL20ABNA0417164300",
        True,
        False,
        "check digits wrong",
    ),
    Proef(
        (BW, "melding_bewind", "2.0"), "beheerrekening", "DE89370400440532013000", True, True, "a German IBAN"
    ),
    Proef(
        (BW, "melding_bewind", "2.0"), "beheerrekening", "NL91 ABNA 0417 1643 00", False, False, "print form"
    ),
    # Postcode `1234 AB`: DESIGN's form accepted, the other spellings refused (not rewritten).
    Proef((SR, "kennisgeving", "1.0"), "adres.postcode", "1234 AB", True, True, "DESIGN's form"),
    Proef((SR, "kennisgeving", "2.0"), "adres.postcode", "9999 ZZ", True, True, "DESIGN's form"),
    Proef((SR, "kennisgeving", "2.0"), "adres.postcode", "1234AB", False, False, "without the space"),
    Proef((SR, "kennisgeving", "2.0"), "adres.postcode", "1234 ab", False, False, "lower case"),
    Proef(
        (SR, "kennisgeving", "2.0"), "adres.postcode", "0123 AB", False, False, "no postcode starts with 0"
    ),
    Proef((SR, "kennisgeving", "2.0"), "adres.postcode", "1234 AB\n", False, False, "a trailing newline"),
]


@pytest.mark.parametrize("proef", IDENTIFICATIES, ids=lambda p: f"{p.pad}={p.waarde!r}")
def test_par_3_nederlandse_identificaties(gediend: dict[Sleutel, dict[str, Any]], proef: Proef) -> None:
    """§3: "Validate Dutch identifiers properly (BSN elfproef, IBAN mod-97, ..., postcode `1234 AB`)
    with a maintained library": what the served schema can express it refuses; the SDK also does the
    elfproef and mod-97; DESIGN's postcode form is accepted and `1234AB` / `1234 ab` are refused."""
    schema = schema_van(gediend, proef.sleutel)
    payload = minimaal(schema)
    _zet(payload, proef.pad, proef.waarde)
    oordeel = (not schema_fouten(validator(schema), payload), sdk_fout(proef.sleutel, payload) is None)
    assert oordeel == (proef.schema_geldig, proef.sdk_geldig), proef.waarom


def test_par_3_postcode_schema_en_sdk_eens_over_sa_sd_ss(gediend: dict[Sleutel, dict[str, Any]]) -> None:
    """§3: "postcode `1234 AB`" validated "with a maintained library" — and the published schema lets a
    vendor validate the same: SA, SD and SS (never issued) are refused by the SDK and the served
    schema alike, in every module; their neighbours are accepted by both."""
    for sleutel in ((SR, "kennisgeving", "2.0"), (BW, "melding_bewind", "2.0"), (PK, "kennisgeving", "2.0")):
        schema = schema_van(gediend, sleutel)
        v = validator(schema)
        for letters, geldig in (("SA", False), ("SD", False), ("SS", False), ("SB", True), ("AS", True)):
            payload = minimaal(schema, {"adres.postcode": f"3511 {letters}"})
            oordeel = (not schema_fouten(v, payload), sdk_fout(sleutel, payload) is None)
            assert oordeel == (geldig, geldig), (_id(sleutel), letters, oordeel)


def test_par_3_telefoon_schema_en_sdk_eens(gediend: dict[Sleutel, dict[str, Any]]) -> None:
    """§3: "`contactpersoonSHV` {naam, telefoon, email}" in "one JSON Schema per type ... so vendors in
    any language can validate": a telephone number the SDK refuses is refused by the served schema,
    and one it accepts (10 to 15 digits, a + in front, spaces, dashes, parentheses) is accepted."""
    sleutel = (SR, "kennisgeving", "2.0")
    schema = schema_van(gediend, sleutel)
    v = validator(schema)
    for telefoon, geldig in (
        ("onbekend!!", False),
        ("030-1234567 tst 12", False),
        ("1234567890123456789", False),
        ("030 123 456", False),
        ("+31 30 123+4567", False),
        ("030 123 4567\n", False),
        ("030 123 4567", True),
        ("+31 (0)30-123 4567", True),
        ("0612345678", True),
        ("+123456789012345", True),
        ("+1234567890123456", False),
    ):
        payload = minimaal(schema, {"contactpersoonSHV.telefoon": telefoon})
        oordeel = (not schema_fouten(v, payload), sdk_fout(sleutel, payload) is None)
        assert oordeel == (geldig, geldig), (telefoon, oordeel)


def _zonder_traceback(r: Result) -> None:
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output


@pytest.mark.parametrize(
    ("oin", "kvk", "melding"),
    [
        ("00000003123456780000", "1234567", "8 cijfers"),
        ("00000003123456780000", "123456789", "8 cijfers"),
        ("00000003123456780000", "1234567a", "8 cijfers"),
        ("00000003123456780000", "87654321", "hoort niet bij OIN"),
        ("0000000312345678000", "12345678", "20 cijfers"),
        ("00000007123456780000", "12345678", "voorvoegsel"),
        ("00000003123456781234", "12345678", "+ KvK-nummer + 0000"),
    ],
)
def test_par_2_en_3_kvk_8_cijfers_en_oin_20_cijfers_met_bekend_voorvoegsel(
    cli: Callable[..., Result], pki: dict[str, Partij], oin: str, kvk: str, melding: str
) -> None:
    """§3: "Validate Dutch identifiers properly (... KvK 8 digits, OIN 20 digits with a known prefix
    ...)"; §2: "`oin` (20-digit ...; for companies `00000003` + KvK number + `0000`), `kvkNummer`".
    `knooppunt deelnemer add` refuses each malformed pair, saying what is wrong, and registers
    nothing; the well-formed pair is registered."""
    basis = ["deelnemer", "add", "--naam", "E", "--rol", "SE", "--module", "schuldregeling"]
    cert = ["--certificaat", str(pki["energie"].cert_pad)]
    r = cli(*basis, "--oin", oin, "--kvk", kvk, *cert)
    _zonder_traceback(r)
    assert r.exit_code != 0, r.output
    assert melding in r.output, r.output
    assert oin not in cli("deelnemer", "list").output
    goed = cli(*basis, "--oin", "00000003123456780000", "--kvk", "12345678", *cert)
    assert goed.exit_code == 0, goed.output
    assert "00000003123456780000" in cli("deelnemer", "list").output


# --- through a real hub: the SDK sends, the recipient's SDK opens or refuses --------------------------------


@dataclass
class Omgeving:
    hub: Hub
    rt: Runtime


@pytest.fixture(scope="module", params=DATABASES)
def omgeving(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_sjabloon: Path,
    pg_database: str | None,
    pki_dir: Path,
) -> Iterator[Omgeving]:
    """A real `knooppunt serve` for the SDK tests of this module, on SQLite and on PostgreSQL; every
    test makes participants of its own."""
    map_ = tmp_path_factory.mktemp(f"payloads-{request.param}")
    if request.param == "sqlite":
        shutil.copy(sqlite_sjabloon, map_ / "knooppunt.sqlite3")
        url = f"sqlite:///{map_ / 'knooppunt.sqlite3'}"
    else:
        assert pg_database is not None
        url = pg_database
    runtime = runtime_mod.bouw(maak_settings(url, map_ / "data", pki_dir), upgrade=False)
    try:
        with start_hub(database_url=url, data_dir=map_ / "hub", pki_dir=pki_dir) as hub:
            yield Omgeving(hub, runtime)
    finally:
        runtime.close()
        if request.param == "postgresql":
            engine = create_engine(url)
            with engine.begin() as conn:
                tabellen = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
                conn.execute(text(f"TRUNCATE {tabellen} RESTART IDENTITY CASCADE"))
            engine.dispose()


ALLE_MODULES = [SR, SV, BR, WF, BW, PK]
_KVK = itertools.count(72_100_001)


@pytest.fixture
def partijen(omgeving: Omgeving, pki_dir: Path, tmp_path: Path) -> dict[str, Partij]:
    """A debt counsellor, a creditor without and one with `gebruiktBsn`, the fund and a bewindvoerder,
    fresh for this test, in every module."""
    uit = {}
    for naam, rol, opties in (
        ("shv", "SHV", {}),
        ("se", "SE", {"schuldensoorten": ["nuts"]}),
        ("se_bsn", "SE", {"gebruikt_bsn": True, "schuldensoorten": ["publiek"]}),
        ("wf", "WF", {}),
        ("bw", "BW", {}),
    ):
        kvk = str(next(_KVK))
        oin = f"00000003{kvk}0000"
        certs = ontwikkel_ca.issue(
            pki_dir, oin=oin, naam=f"{naam} {kvk}", key_type="ec", uit_map=tmp_path / "certs"
        )
        partij = Partij(oin, f"{naam} {kvk}", rol, kvk, certs.certificaat, certs.sleutel, opties)
        registreer(omgeving.rt, partij, modules=ALLE_MODULES)
        uit[naam] = partij
    return uit


ROUTES: list[tuple[Sleutel, str, str]] = [
    # A message that starts a conversation in each module and version: (type, sender, recipient).
    ((SR, "kennisgeving", "1.0"), "shv", "se"),
    ((SR, "saldoverzoek_nuts", "2.0"), "shv", "se"),
    ((SR, "kennisgeving_bsn", "2.0"), "shv", "se_bsn"),
    ((SV, "saldoverzoek_publiek", "2.0"), "shv", "se_bsn"),
    ((BR, "betaalvoorstel", "2.0"), "shv", "se"),
    ((WF, "aanvraag_borgstelling", "2.0"), "shv", "wf"),
    ((WF, "verzoek_kredietinformatie", "2.0"), "wf", "shv"),
    ((BW, "melding_bewind", "2.0"), "bw", "se"),
    ((PK, "kennisgeving", "2.0"), "shv", "se"),
]


def sdk(hub: Hub, partij: Partij) -> HubClient:
    return HubClient(hub.url, cert=partij.cert_pad, key=partij.key_pad, ca=hub.ca)


def test_par_4_de_echte_hub_dient_dezelfde_schemas(
    omgeving: Omgeving, partijen: dict[str, Partij], gediend: dict[Sleutel, dict[str, Any]]
) -> None:
    """§4: "`GET /api/v1/berichttypen?module=&versie=` ... the catalogue of §3–§3b with a JSON Schema
    ... per version", over mutual TLS from a real `knooppunt serve`: the same schemas as above, and
    `?module=&versie=` gives exactly that module's version."""
    with mtls_client(omgeving.hub.url, omgeving.hub.ca, partijen["se"], timeout=60) as c:
        r = c.get("/berichttypen")
        assert r.status_code == 200, r.text
        echt = {(t["module"], t["code"], t["versie"]): t["schemas"] for t in r.json()["berichttypen"]}
        assert echt == {k: t["schemas"] for k, t in gediend.items()}
        for module, versie in ((SR, "1.0"), (SR, "2.0"), (WF, "2.0")):
            r = c.get("/berichttypen", params={"module": module, "versie": versie})
            assert r.status_code == 200, r.text
            assert {
                (t["module"], t["code"], t["versie"]): t["schemas"] for t in r.json()["berichttypen"]
            } == {k: s for k, s in echt.items() if k[0] == module and k[2] == versie}


def test_par_3_minimale_payloads_door_de_sdk_verstuurd_en_door_de_ontvanger_geopend(
    omgeving: Omgeving, partijen: dict[str, Partij], gediend: dict[Sleutel, dict[str, Any]]
) -> None:
    """§3 "Payloads (encrypted, so validated by sender SDK/portal and by the recipient)": a payload
    built from the served schema alone goes through the SDK and a real hub, in each module and
    version, and the recipient's SDK opens it: decrypted, verified, validated, exactly as sent."""
    hub = omgeving.hub
    for sleutel, van, naar in ROUTES:
        module, code, versie = sleutel
        payload = minimaal(schema_van(gediend, sleutel))
        with sdk(hub, partijen[van]) as afzender, sdk(hub, partijen[naar]) as ontvanger:
            verzonden = afzender.verstuur(
                ontvanger=partijen[naar].oin,
                berichttype=code,
                payload=payload,
                conversatie=str(uuid.uuid4()),
                module=module,
                versie=versie,
            )
            [bericht] = [b for b in ontvanger.ontvang(module=module) if not b.van_knooppunt]
            assert bericht.referentienummer == verzonden.referentienummer
            assert (bericht.fout, bericht.foutdetail) == (None, None), _id(sleutel)
            assert bericht.payload == payload, _id(sleutel)
            ontvanger.bevestig(bericht)


def _ongeldig(schema: Schema) -> tuple[dict[str, Any], str]:
    """A minimal payload with its first required field of a plain type given the wrong type."""
    payload = minimaal(schema)
    for naam in schema["required"]:
        s = _varianten(schema, schema["properties"][naam])[0]
        if s.get("type") in ("string", "integer", "boolean") and "const" not in s:
            payload[naam] = [payload[naam]]
            return payload, naam
    raise AssertionError(f"no plain required field in {schema['$id']}")


def test_par_3_de_sdk_weigert_een_ongeldige_payload_voor_het_versturen(
    omgeving: Omgeving, partijen: dict[str, Partij], gediend: dict[Sleutel, dict[str, Any]]
) -> None:
    """§3 "validated by sender SDK/portal": in each module and version the SDK refuses a payload with a
    wrong-typed or missing field before anything is sent — `ONGELDIGE_INHOUD` naming the field — and
    neither the recipient's inbox nor the sender's `verzonden` holds anything."""
    hub = omgeving.hub
    for sleutel, van, naar in ROUTES:
        module, code, versie = sleutel
        schema = schema_van(gediend, sleutel)
        fout_getypt, veld = _ongeldig(schema)
        zonder = minimaal(schema)
        weg = schema["required"][-1]
        del zonder[weg]
        with sdk(hub, partijen[van]) as afzender:
            for payload, genoemd in ((fout_getypt, veld), (zonder, weg)):
                with pytest.raises(VerzendFout) as fout:
                    afzender.verstuur(
                        ontvanger=partijen[naar].oin,
                        berichttype=code,
                        payload=payload,
                        conversatie=str(uuid.uuid4()),
                        module=module,
                        versie=versie,
                    )
                assert fout.value.code == "ONGELDIGE_INHOUD", (_id(sleutel), fout.value.als_json())
                assert genoemd in {v["name"].split(".")[0].split("[")[0] for v in fout.value.velden}, (
                    _id(sleutel),
                    fout.value.velden,
                )
    for naam, partij in partijen.items():
        with mtls_client(hub.url, hub.ca, partij, timeout=60) as c:
            assert c.get("/berichten").json()["berichten"] == [], naam
            assert c.get("/verzonden").json()["berichten"] == [], naam


def test_par_3_de_ontvanger_weigert_een_ongeldige_payload_inhoud_ongeldig(
    omgeving: Omgeving, partijen: dict[str, Partij], gediend: dict[Sleutel, dict[str, Any]]
) -> None:
    """§3 "validated ... by the recipient"; §4 weigering: "refuse content it cannot decrypt, verify or
    validate: content deleted, a `foutbericht` (`GEWEIGERD`, with the recipient's reason code) to the
    sender". A payload sealed and signed properly but invalid for its type (the hub cannot see that
    and accepts it) is opened by the recipient's SDK as `INHOUD_ONGELDIG` naming the field, never as
    a payload; refused, the sender gets a foutbericht GEWEIGERD with reason INHOUD_ONGELDIG."""
    hub = omgeving.hub
    verstuurd: dict[str, tuple[Sleutel, str, str, str]] = {}
    for sleutel, van, naar in ROUTES:
        module, code, versie = sleutel
        payload, veld = _ongeldig(schema_van(gediend, sleutel))
        e = envelop(partijen[van], partijen[naar], code, payload=payload, module=module, versie=versie)
        with mtls_client(hub.url, hub.ca, partijen[van], timeout=60) as c:
            r = c.post("/berichten", json=e)
            assert r.status_code == 201, r.text
        verstuurd[e["referentienummer"]] = (sleutel, van, naar, veld)
    for naar in {n for _, _, n in ROUTES}:
        with sdk(hub, partijen[naar]) as ontvanger:
            berichten = [b for b in ontvanger.ontvang(limit=1000) if not b.van_knooppunt]
            assert {b.referentienummer for b in berichten} == {
                ref for ref, (_, _, n, _) in verstuurd.items() if n == naar
            }
            for bericht in berichten:
                sleutel, _, _, veld = verstuurd[bericht.referentienummer]
                assert bericht.payload is None, _id(sleutel)
                assert bericht.fout == "INHOUD_ONGELDIG", (_id(sleutel), bericht.fout, bericht.foutdetail)
                assert veld in (bericht.foutdetail or ""), (_id(sleutel), bericht.foutdetail)
                ontvanger.weiger(bericht)
    meldingen = {}
    for van in {v for _, v, _ in ROUTES}:
        with mtls_client(hub.url, hub.ca, partijen[van], timeout=60) as c:
            for b in c.get("/berichten", params={"limit": 1000}).json()["berichten"]:
                assert b["berichttype"] == "foutbericht" and b["afzender"] == "KNOOPPUNT", b
                meldingen[b["melding"]["referentienummer"]] = b["melding"]
    assert set(meldingen) == set(verstuurd)
    for melding in meldingen.values():
        assert (melding["code"], melding["reden"]) == ("GEWEIGERD", "INHOUD_ONGELDIG"), melding


def test_par_3_de_datums_van_de_minimale_payloads_liggen_niet_in_de_toekomst() -> None:
    """The generator's fixed dates stay valid where the SDK refuses a date in the future (a
    geboortedatum, a peildatum): the tests above must not start failing on a calendar day."""
    assert date.fromisoformat(DATUM) < date.today()
    assert date.fromisoformat(PER_VELDNAAM["einddatum"]) < date.today()
