"""The werkplek's sealing and numbering code (src/knooppunt/portaal/js/src/zegelen.js and
uploaden.js, run in Node's WebCrypto by js/test/zegel.mjs) against the Python side: what the page
seals — ES256 inside, ECDH-ES+A256KW for a P-256 recipient and RSA-OAEP-256 for an RSA one, the
headers of DESIGN §5 — the SDK opens and verifies (client/jose.py `open_`); an answer's number is
the UUIDv8 of portaal/antwoordnummers.py for the same secret and content (DESIGN §7), so the same
question and row always get the same number, in the page as on the server.

Needs node and npm; skipped without them, failing instead with CI=true."""

from __future__ import annotations

import base64
import copy
import json
import os
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from knooppunt.client import jose
from knooppunt.portaal import antwoordnummers
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.jwe import x5t_s256
from knooppunt.protocol.payloads import OngeldigePayload, schema_voor, valideer, velden
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from tests.factories import Partij
from tests.node import draai_script, node_met_pakketten

JS = Path(__file__).resolve().parents[2] / "src" / "knooppunt" / "portaal" / "js"


@pytest.fixture(scope="module")
def node() -> str:
    return node_met_pakketten(JS, "sealing with the werkplek's code")


def _run(node: str, invoer: dict[str, Any]) -> dict[str, Any]:
    uit: dict[str, Any] = draai_script(node, JS / "test" / "zegel.mjs", invoer)
    return uit


def _kop(compact: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(compact.split(".", maxsplit=1)[0] + "=="))  # type: ignore[no-any-return]


def test_de_sdk_opent_wat_de_pagina_verzegelt(node: str, pki: dict[str, Partij]) -> None:
    afzender = pki["gemeente"]  # P-256 signing key
    pkcs8 = serialization.load_pem_private_key(afzender.key_pad.read_bytes(), password=None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    teken = {"kid": jose.kid_van(afzender.certificaat), "pkcs8": base64.b64encode(pkcs8).decode()}
    gevallen = []
    for ontvanger, alg in ((pki["zorg"], "ECDH-ES+A256KW"), (pki["energie"], "RSA-OAEP-256")):
        cert = ontvanger.certificaat
        envelop = {
            "referentienummer": str(uuid.uuid4()),
            "conversatieReferentienummer": str(uuid.uuid4()),
            "crossReferentienummer": str(uuid.uuid4()),
            "module": "schuldregeling",
            "berichttype": "klant_onbekend",
            "versie": "1.0",
            "ontvanger": ontvanger.oin,
        }
        gevallen.append(
            {
                "payload": json.dumps({"klantnummerSHV": "K-1", "reden": {"code": "X", "tekst": "é <b>"}}),
                "envelop": envelop,
                "afzender": afzender.oin,
                "teken": teken,
                "ontvanger": {
                    "pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
                    "kid": x5t_s256(cert.public_bytes(serialization.Encoding.DER)),
                    "alg": alg,
                },
                "_partij": ontvanger,
            }
        )
    uit = _run(
        node, {"zegels": [{k: v for k, v in g.items() if k != "_partij"} for g in gevallen], "nummers": []}
    )
    for geval, jwe in zip(gevallen, uit["jwes"], strict=True):
        kop = _kop(jwe)
        epk = kop.pop("epk", None)
        assert (epk is not None) is (geval["ontvanger"]["alg"] == "ECDH-ES+A256KW")
        assert kop == {
            "alg": geval["ontvanger"]["alg"],
            "enc": "A256GCM",
            "kid": geval["ontvanger"]["kid"],
            "cty": "JWT",
        }
        ontvanger: Partij = geval["_partij"]
        env = {**geval["envelop"], "afzender": afzender.oin, "inhoud": jwe}
        geopend = jose.open_(
            jwe,
            ontvanger_sleutel={geval["ontvanger"]["kid"]: ontvanger.sleutel},
            afzender_certificaten=[afzender.certificaat],
            envelop=env,
        )
        assert geopend.json() == {"klantnummerSHV": "K-1", "reden": {"code": "X", "tekst": "é <b>"}}
        # DESIGN §5: the JWS header repeats the metadata and iat and names the signing certificate.
        assert geopend.kop["alg"] == "ES256" and geopend.kop["x5t#S256"] == teken["kid"]
        assert {k: geopend.kop[k] for k in geval["envelop"]} == geval["envelop"]
        assert geopend.kop["afzender"] == afzender.oin and isinstance(geopend.kop["iat"], int)
        # Other metadata in the envelope than was signed: the SDK refuses it.
        with pytest.raises(jose.OngeldigeEnvelop):
            jose.open_(
                jwe,
                ontvanger_sleutel={geval["ontvanger"]["kid"]: ontvanger.sleutel},
                afzender_certificaten=[afzender.certificaat],
                envelop={**env, "berichttype": "saldoverzoek_antwoord"},
            )


def test_antwoordnummers_gelijk_aan_python(node: str) -> None:
    """DESIGN §7: the page's number of an answer is antwoordnummers.uuid8 of antwoordnummers.canoniek."""
    geheim = os.urandom(32)
    vraag, conversatie = str(uuid.uuid4()), str(uuid.uuid4())
    payloads = [
        {"klantnummerSHV": "K-1", "vorderingen": [{"hoofdsom": 100000, "omschrijving": "Énergie € 'x'"}]},
        {"reden": {"tekst": 'a\nb "c"', "code": "Z"}, "klantnummerSHV": "K-2"},
    ]
    gegevens = [
        [
            antwoordnummers.VERSIE,
            "schuldregeling",
            "1.0",
            "saldoverzoek_antwoord",
            conversatie,
            vraag,
            "",
            "",
            p,
        ]
        for p in payloads
    ]
    uit = _run(
        node,
        {
            "zegels": [],
            "nummers": [{"sleutel": base64.b64encode(geheim).decode(), "gegevens": g} for g in gegevens],
        },
    )
    verwacht = [
        antwoordnummers.uuid8(
            geheim,
            antwoordnummers.canoniek(
                berichttype="saldoverzoek_antwoord",
                module="schuldregeling",
                versie="1.0",
                conversatie=conversatie,
                antwoord_op=vraag,
                payload=p,
            ),
        )
        for p in payloads
    ]
    assert uit["nummers"] == verwacht
    assert uit["nummers"][0] != uit["nummers"][1]


# --- controles.js: the checks JSON Schema cannot express, beside the Python payload models ----------


def _python_fouten(module: str, code: str, versie: str, payload: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        valideer(module, code, versie, payload)
    except OngeldigePayload as exc:
        return sorted((f.veld, f.reden) for f in exc.fouten)
    return []


def _zet(payload: dict[str, Any], pad: str, waarde: Any) -> dict[str, Any]:
    """``pad`` dotted, list items by number (``vorderingen.0.rente``); ``None`` removes the field."""
    delen = pad.split(".")
    doel: Any = payload
    for deel in delen[:-1]:
        doel = doel[int(deel)] if deel.isdigit() else doel[deel]
    if isinstance(doel, list):
        index = int(delen[-1])
        if index == len(doel):
            doel.append(waarde)
        else:
            doel[index] = waarde
    elif waarde is None:
        doel.pop(delen[-1], None)
    else:
        doel[delen[-1]] = waarde
    return payload


# A date in the future however long the suite runs: it is computed when the module is collected,
# and a run that starts in the evening reaches these tests after midnight (CI, stop 23: "tomorrow"
# had become today by then and the future-date rules rightly accepted it).
TOEKOMST = (velden.vandaag() + timedelta(days=30)).isoformat()
SR2 = ("schuldregeling", "2.0")

# (module, versie, berichttype, what to change in its example payload) — each breaks one rule of a
# Python model validator or field type that JSON Schema does not express.
REGELS: list[tuple[str, str, str, dict[str, Any]]] = [
    # controleer_opbouw: all four parts given and not adding up; some given and more than the total.
    (*SR2, "saldoverzoek_antwoord", {"vorderingen.0.actueelBedrag": 1}),
    (*SR2, "saldoverzoek_antwoord", {"vorderingen.0.rente": None, "vorderingen.0.actueelBedrag": 5}),
    # overgedragenAan only with schuldtype overgedragen; the same invoice twice.
    (*SR2, "saldoverzoek_antwoord", {"vorderingen.0.overgedragenAan": "Incasso BV"}),
    (*SR2, "saldoverzoek_antwoord", {"vorderingen.1.factuurnummerSE": "F-2023-55101"}),
    # either vorderingen or a totaalvordering; standaardAkkoord fits the type.
    (*SR2, "saldoverzoek_antwoord", {"vorderingen": None}),
    (
        *SR2,
        "saldoverzoek_antwoord",
        {"vorderingen": None, "totaalvordering": {"actueelBedrag": 500, "standaardAkkoord": True}},
    ),
    (
        *SR2,
        "saldoverzoek_antwoord_standaard_akkoord",
        {
            "vorderingen": None,
            "totaalvordering": {"actueelBedrag": 500, "hoofdsom": 600, "standaardAkkoord": True},
        },
    ),
    # a date that may not lie in the future; a contact person without telephone and e-mail.
    (*SR2, "saldoverzoek_antwoord", {"peildatum": TOEKOMST}),
    (*SR2, "saldoverzoek_antwoord", {"contactpersoonSE.email": None}),
    (
        *SR2,
        "saldoverzoek_antwoord",
        {"contactpersoonSE.email": "geen-adres@", "contactpersoonSE.telefoon": "030 123 4567 890 123"},
    ),
    # IBAN: mod-97, lower case, a country without IBAN, the Dutch form.
    (*SR2, "betaalvoorstel_akkoord", {"betaalgegevens.iban": "NL91ABNA0417164301"}),
    (*SR2, "betaalvoorstel_akkoord", {"betaalgegevens.iban": "XX91ABNA0417164300"}),
    (*SR2, "betaalvoorstel_akkoord", {"betaalgegevens.iban": "NL02ABNA012345678"}),
    # kennisgeving_antwoord in 1.0 and in 2.0 (with its antwoord).
    ("schuldregeling", "1.0", "kennisgeving_antwoord", {"klantnummerSE": None, "factuurnummers": []}),
    ("schuldregeling", "1.0", "kennisgeving_antwoord", {"factuurnummers": ["A", "B", "A"]}),
    (*SR2, "kennisgeving_antwoord", {"klantnummerSE": None, "factuurnummers": []}),
    (*SR2, "kennisgeving_antwoord", {"antwoord": "geen_openstaande_vorderingen"}),
    # statusbericht: the events of 13.2 need their date, 'overig' its explanation.
    (*SR2, "statusbericht", {"datumGebeurtenis": None}),
    (*SR2, "statusbericht", {"status": "overig", "toelichting": None}),
    (*SR2, "statusbericht", {"klant.geboortedatum": TOEKOMST}),
    (*SR2, "statusbericht", {"klant.geboortedatum": "1899-12-31"}),
    # other modules: the pause's answer, bewind, saldoverzoek, waarborgfonds.
    ("pauzeknop", "2.0", "kennisgeving_antwoord", {"pauze": {"akkoord": True}}),
    ("pauzeknop", "2.0", "kennisgeving_antwoord", {"pauze": {"akkoord": False}}),
    ("bewind", "2.0", "melding_bewind_antwoord", {"vorderingen.1.factuurnummerSE": "F-2023-55101"}),
    ("saldoverzoek", "2.0", "saldoverzoek_antwoord", {"openstaandeSchulden": None}),
    ("saldoverzoek", "2.0", "saldoverzoek_antwoord", {"totaalvordering": {"actueelBedrag": 5, "rente": 6}}),
    ("waarborgfonds", "2.0", "gebeurtenis", {"gebeurtenis": "aanvraag_afgewezen", "toelichting": None}),
    ("waarborgfonds", "2.0", "gebeurtenis", {"gebeurtenis": "pro_forma_afgegeven"}),
    (
        "waarborgfonds",
        "2.0",
        "gebeurtenis",
        {"proFormaBorgstelling": "3f1c2a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c"},
    ),
    ("waarborgfonds", "2.0", "verzoek_kredietinformatie", {"laatsteAanlevering": "2026-10-02"}),
    ("waarborgfonds", "2.0", "kredietinformatie", {"kredieten.0.kredietsom.netto": 480001}),
    ("waarborgfonds", "2.0", "kredietinformatie", {"kredieten.0.uitbetaaldatum": "2026-10-02"}),
    ("waarborgfonds", "2.0", "kredietinformatie", {"kredieten.0.betalingen.laatsteAflosdatum": "2026-01-01"}),
    # The types a debt counsellor, a bewindvoerder or a kredietbank starts.
    (*SR2, "betaalvoorstel", {"bedragConcurrent": 1, "aantalPreferent": 0}),
    (*SR2, "betaalvoorstel", {"vorderingen.0.eigenVordering": False}),
    (*SR2, "betaalvoorstel", {"vorderingen.0.aangebodenBedrag": 125001}),
    (*SR2, "betaalvoorstel", {"typeSchuldregeling": "SA"}),
    (*SR2, "betaalvoorstel", {"aanbodPercentage": 30.125}),
    ("schuldregeling", "1.0", "betaalvoorstel", {"aantalConcurrent": 3}),
    ("betalingsregeling", "2.0", "betaalvoorstel", {"vorderingen.1.aangebodenBedrag": 1}),
    ("betalingsregeling", "2.0", "betaalvoorstel", {"aantalTermijnen": 4}),
    ("betalingsregeling", "2.0", "betaalvoorstel", {"termijnbedrag": None, "financier": "Bank"}),
    ("schuldregeling", "1.0", "schuldregeling_geaccordeerd", {"betaalschema.1.datum": "2024-10-01"}),
    ("schuldregeling", "1.0", "schuldregeling_geaccordeerd", {"betaalschema.2.bedrag": 1}),
    ("schuldregeling", "1.0", "schuldregeling_geaccordeerd", {"vorderingen.0.prognoseEindbedrag": 125001}),
    (*SR2, "schuldregeling_geaccordeerd", {"uitbetaalmomenten": []}),
    ("betalingsregeling", "2.0", "schuldregeling_geaccordeerd", {"vorderingen.0.afkooppercentage": 99.5}),
    ("betalingsregeling", "2.0", "schuldregeling_geaccordeerd", {"typeSchuldregeling": "HF"}),
    (*SR2, "heroverweging", {"herzienVoorstel.vorderingen.0.aangebodenBedrag": 200000}),
    ("betalingsregeling", "2.0", "heroverweging", {"herzienVoorstel.termijnbedrag": 100}),
    (*SR2, "kennisgeving", {"adreskeuze": "postadres"}),
    ("pauzeknop", "2.0", "kennisgeving", {"pauze.einddatum": "2024-02-29"}),
    (
        "pauzeknop",
        "2.0",
        "kennisgeving",
        {"pauze.ingangsdatum": "2024-01-31", "pauze.einddatum": "2024-10-01"},
    ),
    ("bewind", "2.0", "melding_bewind", {"beschikking.datum": TOEKOMST}),
    ("waarborgfonds", "2.0", "aanvraag_overname", {"nettoKredietsom": 420001, "uitstaandSaldo": 420001}),
    ("waarborgfonds", "2.0", "aanvraag_overname", {"maandaflossing": 420001, "postcodeGebied": "0123"}),
    (
        "waarborgfonds",
        "2.0",
        "aanvraag_borgstelling",
        {"statistieken.3": {"code": "Leeftijdsgroep", "waarde": "35-44"}},
    ),
    ("waarborgfonds", "2.0", "verzoek_uitbetaling", {"reden": "anders", "toelichting": None}),
    # A werkplek tester composed these and the page sent them (DESIGN §3b: a pause of at most 8
    # months; a net credit not above the gross); the SDK refuses both.
    (
        "pauzeknop",
        "2.0",
        "kennisgeving",
        {"pauze.ingangsdatum": "2026-12-07", "pauze.einddatum": "2027-09-07"},
    ),
    ("waarborgfonds", "2.0", "aanvraag_borgstelling", {"nettoKredietsom": 500000}),
    ("waarborgfonds", "2.0", "aanvraag_borgstelling", {"maandaflossing": 480001}),
    # velden._code: a klantnummer or kenmerk with a tab or a non-breaking space inside (JSON
    # Schema's pattern lets them through), a zero-width space at its end.
    (*SR2, "statusbericht", {"klantnummerSHV": "SHV\t2024"}),
    (*SR2, "statusbericht", {"klantnummerSE": "EN\u00a0778812"}),
    ("waarborgfonds", "2.0", "aanvraag_borgstelling", {"kenmerk": "KB-2026-0042\u200b"}),
    # velden._tekst: only what Python counts as whitespace (\x1c is none to JSON Schema's \S).
    (*SR2, "statusbericht", {"status": "overig", "toelichting": "\x1c\x1d"}),
    # PdfDocument: a file name with a folder; base64 Python does not decode; no PDF.
    ("bewind", "2.0", "melding_bewind", {"beschikking.document.bestandsnaam": "map/beschikking.pdf"}),
    ("bewind", "2.0", "melding_bewind", {"beschikking.document.inhoud": "JVBERi0xLjQKMSAw" + "A"}),
    ("bewind", "2.0", "melding_bewind", {"beschikking.document.inhoud": "aGFsbG8gd2VyZWxkIQ=="}),
    # BSN (elfproef) and postcode in a message with them.
    (*SR2, "kennisgeving_bsn", {"klant.bsn": "123456789"}),
    (*SR2, "kennisgeving_bsn", {"partner.bsn": "12345678"}),
    (*SR2, "kennisgeving_bsn", {"adres.postcode": "1234ab"}),
    (*SR2, "kennisgeving_bsn", {"adres.postcode": "1234 SA"}),
]


def test_controles_js_gelijk_aan_de_python_modellen(node: str) -> None:
    """Each rule of REGELS broken once: controles.js reports exactly the Python model's errors
    (field and Dutch text); every catalogue example payload passes both."""
    gevallen: list[dict[str, Any]] = []
    verwacht: list[list[tuple[str, str]]] = []
    for module, versie, code, wijziging in REGELS:
        payload = voorbeeld(module, code, versie)
        for pad, waarde in wijziging.items():
            _zet(payload, pad, copy.deepcopy(waarde))
        fouten = _python_fouten(module, code, versie, payload)
        assert fouten, f"{module} {versie} {code} {wijziging}: the Python model accepts it"
        verwacht.append(fouten)
        gevallen.append(
            {
                "payload": payload,
                "schema": schema_voor(module, code, versie),
                "berichttype": code,
                "vandaag": velden.vandaag().isoformat(),
            }
        )
    geldig = []
    for t in CATALOGUS.alle():
        try:
            payload = voorbeeld(t.module, t.code, t.versie)
            schema = schema_voor(t.module, t.code, t.versie)
        except LookupError:
            continue
        assert _python_fouten(t.module, t.code, t.versie, payload) == []
        geldig.append((t.module, t.versie, t.code))
        gevallen.append(
            {
                "payload": payload,
                "schema": schema,
                "berichttype": t.code,
                "vandaag": velden.vandaag().isoformat(),
            }
        )
        verwacht.append([])
    uit = draai_script(node, JS / "test" / "controles.mjs", {"gevallen": gevallen})
    gekregen = [sorted((f["veld"], f["reden"]) for f in fouten) for fouten in uit["gevallen"]]
    namen = [f"{m} {v} {c} {w}" for m, v, c, w in REGELS] + [" ".join(g) for g in geldig]
    for naam, js, py in zip(namen, gekregen, verwacht, strict=True):
        assert js == py, naam


@pytest.mark.parametrize(
    ("soort", "waarden", "python"),
    [
        (
            "bsn",
            [
                "999993653",
                "111222333",
                "123456789",
                "12345678",
                "1234567890",
                "12345678a",
                "000000000",
                " 99999365",
            ],
            velden._bsn,
        ),
        (
            "iban",
            [
                "NL91ABNA0417164300",
                "NL91ABNA0417164301",
                "nl91abna0417164300",
                "NL91 ABNA 0417 1643 00",
                "NL9!ABNA0417164300",
                "XX91ABNA0417164300",
                "DE89370400440532013000",
                "DE89370400440532013001",
                "GB82WEST12345698765432",
                "FR1420041010050500013M02606",
                "",
            ],
            velden._iban,
        ),
        (
            "postcode",
            ["1234 AB", "1234AB", "1234 ab", "0123 AB", "1234 SS", "NL-1234 AB", "12345", ""],
            velden._postcode,
        ),
        (
            "telefoon",
            ["030 123 4567", "+31 30 123 4567", "(030) 1234567", "12345", "030-123-4567x"],
            velden._telefoon,
        ),
        (
            "email",
            ["a@b.nl", "a@b", "@b.nl", "a b@c.nl", "a@@b.nl", "a@.nl.", "x" * 65 + "@b.nl"],
            velden._email,
        ),
    ],
)
def test_waarden_gelijk_aan_python(node: str, soort: str, waarden: list[str], python: Any) -> None:
    """BSN (elfproef), IBAN (mod-97, python-stdnum's country registry), postcode, telephone number
    and e-mail address: the page's verdict and Dutch text are the Python field type's."""

    def verdict(waarde: str) -> str | None:
        try:
            python(waarde)
        except ValueError as exc:
            return str(exc)
        return None

    uit = draai_script(
        node, JS / "test" / "controles.mjs", {"waarden": [{"soort": soort, "waarde": w} for w in waarden]}
    )
    assert uit["waarden"] == [verdict(w) for w in waarden]
    assert any(v is None for v in uit["waarden"]) and any(v is not None for v in uit["waarden"])


# --- the generic files' reading: cells, error columns, defaults (uploaden.js) -------------------------


def test_cellen_en_kolommen_gelijk_aan_csvindeling(node: str) -> None:
    """A cell's value as csvindeling.waarde reads it (or its Dutch error), an error path's column as
    kolom_van_pad names it: the page reads a generic file as the server-side upload does."""
    from knooppunt.portaal import csvindeling
    from knooppunt.portaal.formulier import Omzetfout

    keuze = csvindeling.Kolom(
        "vorderingen.1.schuldtype", "keuze", (("openstaand", "Openstaand"), ("onbekend", "Onbekend"))
    )
    gevallen = [
        (csvindeling.Kolom("hoofdsom", "bedrag"), t) for t in ("12345", " 12 ", "12,50", "€ 5", "-3", "")
    ]
    gevallen += [(csvindeling.Kolom("aantal", "geheel"), t) for t in ("7", "-7", "1 000", "7,5", "x")]
    gevallen += [(csvindeling.Kolom("pct", "getal"), t) for t in ("12,5", "30 %", "1e2", "abc", "-0,25")]
    gevallen += [
        (csvindeling.Kolom("peildatum", "datum"), t)
        for t in ("2024-03-01", "1-3-2024", "31.12.2023", "31-2-2024", "gisteren", "01/03/2024")
    ]
    gevallen += [(csvindeling.Kolom("akkoord", "janee"), t) for t in ("ja", "NEE", "1", "waar", "misschien")]
    gevallen += [(keuze, t) for t in ("openstaand", "ONBEKEND", "Openstaand", "weg")]
    gevallen += [
        (csvindeling.Kolom("adres.postcode", "tekst"), "1234ab"),
        (csvindeling.Kolom("betaalgegevens.iban", "tekst"), "nl91 abna 0417 1643 00"),
        (csvindeling.Kolom("klant.bsn", "tekst"), "9999.936 53"),
        (csvindeling.Kolom("toelichting", "tekstvak"), "  twee\nregels  "),
    ]

    def python(kolom: csvindeling.Kolom, tekst: str) -> dict[str, Any]:
        try:
            return {"waarde": csvindeling.waarde(kolom, tekst)}
        except Omzetfout as exc:
            return {"fout": str(exc)}

    paden = [
        "vorderingen[0].hoofdsom",
        "totaalvordering.actueelBedrag",
        "kredieten[11].betalingen.x",
        "inhoud",
    ]
    uit = draai_script(
        node,
        JS / "test" / "cellen.mjs",
        {
            "cellen": [
                {
                    "kolom": {"naam": k.naam, "soort": k.soort, "opties": [list(o) for o in k.opties]},
                    "tekst": t,
                }
                for k, t in gevallen
            ],
            "paden": paden,
        },
    )
    assert uit["cellen"] == [python(k, t) for k, t in gevallen]
    assert uit["paden"] == [csvindeling.kolom_van_pad(p) for p in paden]


def test_standaardwaarden_zoals_model_dump(node: str) -> None:
    """A generic answer is numbered over its payload as validated (csvimport._canoniek: pydantic's
    model_dump without None): the page adds the same defaults (an empty factuurnummers), which the
    layouts name per block (werkplek_verzenden.standaarden)."""
    from knooppunt.portaal.routes.werkplek_verzenden import standaarden
    from knooppunt.protocol.payloads import payloadmodel

    gevallen = []
    verwacht = []
    for module, versie, code in (
        ("schuldregeling", "2.0", "kennisgeving_antwoord"),
        ("schuldregeling", "1.0", "kennisgeving_antwoord"),
        ("pauzeknop", "2.0", "kennisgeving_antwoord"),
        ("schuldregeling", "2.0", "saldoverzoek_antwoord"),
        ("bewind", "2.0", "melding_bewind_antwoord"),
        ("waarborgfonds", "2.0", "kredietinformatie"),
    ):
        payload = voorbeeld(module, code, versie)
        if "factuurnummers" in payload:
            payload["factuurnummers"] = []
            if payload.get("antwoord") == "openstaande_vorderingen":
                payload["antwoord"] = "geen_openstaande_vorderingen"
        model = valideer(module, code, versie, payload)
        kaal = {k: v for k, v in payload.items() if v != []}
        gevallen.append(
            {
                "payload": kaal,
                "schema": schema_voor(module, code, versie),
                "standaard": standaarden(payloadmodel(module, code, versie)),
            }
        )
        verwacht.append(model.model_dump(mode="json", exclude_none=True))
    uit = draai_script(node, JS / "test" / "cellen.mjs", {"standaard": gevallen})
    assert uit["standaard"] == verwacht
    assert any(
        "factuurnummers" not in g["payload"] and v.get("factuurnummers") == []
        for g, v in zip(gevallen, verwacht, strict=True)
    )


def test_een_leeg_te_laten_veld_krijgt_een_fout_bij_dat_veld(node: str) -> None:
    """DESIGN §7: every upload error at its file, row and column. A field the schema's if/then
    rules say must stay empty here (overgedragenAan unless the schuldtype is overgedragen) fails
    only a `type: null` branch; the page names that field instead of a general sentence. A wrong
    value of a nullable field still gets its own reason, not this one."""
    schema = schema_voor("schuldregeling", "saldoverzoek_antwoord", "1.0")
    overgedragen = voorbeeld("schuldregeling", "saldoverzoek_antwoord", "1.0")
    vordering = overgedragen["vorderingen"][0]
    vordering["schuldtype"], vordering["overgedragenAan"] = "openstaand", "Incasso B.V."
    verkeerd_soort = voorbeeld("schuldregeling", "saldoverzoek_antwoord", "1.0")
    verkeerd_soort["vorderingen"][0]["hoofdsom"] = "veel"
    uit = draai_script(
        node,
        JS / "test" / "schemafouten.mjs",
        {"gevallen": [{"payload": p, "schema": schema} for p in (overgedragen, verkeerd_soort)]},
    )
    (leeg,), soort = uit["gevallen"]
    assert leeg["pad"] == "/vorderingen/0/overgedragenAan"
    assert "hoort hier niet bij" in leeg["reden"]
    assert soort and all("hoort hier niet bij" not in f["reden"] for f in soort)
    assert any(f["pad"] == "/vorderingen/0/hoofdsom" for f in soort)


def test_telefoon_of_email_is_een_fout_niet_twee(node: str) -> None:
    """Newcomer walk-through B2: a contact person needs a telefoon or an email (the schema's anyOf
    of two `required` branches). Without either, the page reported each as if it alone were
    required ("Verplicht: telefoon ontbreekt", "Verplicht: email ontbreekt"); now one error names
    both, and says which block (`blok`) and fields (`velden`) it is about, for the compose form to
    name them by their labels. A wrong telefoon is still that field's own error."""
    schema = schema_voor("schuldregeling", "kennisgeving", "1.0")
    zonder = voorbeeld("schuldregeling", "kennisgeving", "1.0")
    zonder["contactpersoonSHV"] = {"naam": "A. Jansen"}
    verkeerd = voorbeeld("schuldregeling", "kennisgeving", "1.0")
    verkeerd["contactpersoonSHV"] = {"naam": "A. Jansen", "telefoon": "12"}
    uit = draai_script(
        node,
        JS / "test" / "schemafouten.mjs",
        {"gevallen": [{"payload": p, "schema": schema} for p in (zonder, verkeerd)]},
    )
    (een,), fout = uit["gevallen"]
    assert een["soort"] == "eenVan" and een["blok"] == "/contactpersoonSHV"
    assert een["velden"] == ["telefoon", "email"]
    assert een["pad"] == "/contactpersoonSHV/telefoon"
    assert "telefoon of email ontbreekt" in een["reden"]
    # The upload points at CSV columns: the column names are the user's words there.
    assert "(contactpersoonSHV.telefoon of contactpersoonSHV.email)" in een["reden"]
    assert fout and {f["pad"] for f in fout} == {"/contactpersoonSHV/telefoon"}
    assert all(f["soort"] != "eenVan" for f in fout)


def test_een_verkeerde_keuze_noemt_de_toegestane_waarden(node: str) -> None:
    """A value outside a list of choices: the error names the allowed values, so the user can fix the
    cell without the documentation (a constant: the one value)."""
    schema = {
        "type": "object",
        "properties": {"soort": {"enum": ["akkoord", "niet_akkoord", None]}, "versie": {"const": "1.0"}},
    }
    uit = draai_script(
        node,
        JS / "test" / "schemafouten.mjs",
        {"gevallen": [{"payload": {"soort": "ja", "versie": "2.0"}, "schema": schema}]},
    )
    [fouten] = uit["gevallen"]
    assert {f["pad"]: f["reden"] for f in fouten} == {
        "/soort": "'ja' is geen toegestane waarde; kies uit 'akkoord', 'niet_akkoord'. (soort)",
        "/versie": "'2.0' is geen toegestane waarde; kies '1.0'. (versie)",
    }


def test_leeftijd_van_een_certificaat_in_hele_dagen(node: str) -> None:
    """B3: a young certificate's age as a person says it, never "0.0 dagen oud"."""
    uit = draai_script(
        node,
        JS / "test" / "woorden.mjs",
        {
            "leeftijden": [0, 0.04, 0.99, 1, 1.5, 2, 3.97, 6.99],
            "meervouden": [[1, "fout", "fouten"], [2, "fout", "fouten"], [0, "dag", "dagen"]],
        },
    )
    assert uit["leeftijden"] == [
        "minder dan een dag oud",
        "minder dan een dag oud",
        "minder dan een dag oud",
        "1 dag oud",
        "1 dag oud",
        "2 dagen oud",
        "3 dagen oud",
        "6 dagen oud",
    ]
    assert uit["meervouden"] == ["1 fout", "2 fouten", "0 dagen"]


def test_een_verkeerde_keuze_in_een_upload_noemt_codes_met_hun_woorden(node: str) -> None:
    """DESIGN §7 (never internal codes alone): the werkplek upload's error for a cell outside a
    column's choices lists each code with its words, as the hosted upload does (formulier.keuzes)."""
    from knooppunt.portaal import formulier

    lijsten = [
        k.opties
        for code, versie in (("gebeurtenis", "2.0"),)
        for k in formulier.sjabloon("waarborgfonds", code, versie).kinderen
        if k.soort == "keuze"
    ]
    lijsten.append(
        next(
            k.opties
            for k in formulier.sjabloon("waarborgfonds", "voorbeoordeling", "2.0").kinderen
            if k.naam == "soortLening"
        )
    )
    uit = draai_script(
        node, JS / "test" / "keuzes.mjs", {"opties": [[list(o) for o in lijst] for lijst in lijsten]}
    )
    assert uit["keuzes"] == [formulier.keuzes(lijst) for lijst in lijsten]
    assert "pro_forma_afgegeven (pro-formaborgstelling afgegeven)" in uit["keuzes"][0]
    assert uit["keuzes"][-1] == "PL (persoonlijke lening), SK (saneringskrediet), SL (sociale lening)"


def test_de_regels_van_de_afzenderrol_gelijk_aan_python(node: str) -> None:
    """DESIGN §3b: a bewindvoerder asks saldo's on the beschikking, a debt counsellor never does —
    the module rule the SDK applies before sealing (``client.berichten.valideer_payload``) and on
    opening; controles.js ``afzenderFout`` gives the same field and text for every role and grondslag."""
    gevallen = []
    verwacht = []
    for code in ("saldoverzoek", "saldoverzoek_nuts", "saldoverzoek_publiek", "saldoverzoek_zorg"):
        for rol in ("SHV", "BW", "SE", "WF"):
            for grondslag in ("wgs", "toestemmingsverklaring", "beschikking"):
                payload = {**voorbeeld("saldoverzoek", code), "grondslag": grondslag}
                gevallen.append(
                    {"module": "saldoverzoek", "berichttype": code, "rol": rol, "payload": payload}
                )
                definitie = CATALOGUS.module("saldoverzoek")
                assert definitie is not None
                fout = definitie.afzenderfout(code, rol, payload)
                verwacht.append(None if fout is None else {"veld": fout[0], "reden": fout[1]})
    # Another module, or a type without the rule: none.
    gevallen.append(
        {
            "module": "schuldregeling",
            "berichttype": "saldoverzoek",
            "rol": "BW",
            "payload": {"grondslag": "wgs"},
        }
    )
    verwacht.append(None)
    uit = draai_script(node, JS / "test" / "controles.mjs", {"afzender": gevallen})
    assert uit["afzender"] == verwacht
    assert any(v is not None for v in verwacht)


def test_datums_en_repr_gelijk_aan_python(node: str) -> None:
    """The page shows a check's dates as dd-mm-jjjj, as the hosted form does (``formulier.nl_datums``:
    "een pauze duurt hoogstens 8 maanden: einddatum (07-09-2027) mag niet na 07-08-2027 liggen"), and
    quotes values as Python's repr() does, also characters that are not printable."""
    from knooppunt.portaal.formulier import nl_datums

    teksten = [
        "een pauze duurt hoogstens 8 maanden: einddatum (2027-09-07) mag niet na 2027-08-07 liggen",
        "einddatum (2024-02-29) moet na ingangsdatum (2024-03-01) liggen",
        "ontvangen 2026-01-15T08:30:12",
        "geen datum: 12026-01-151",
    ]
    reprs = ["AB\tCD", "EN\u00a0778812", "x\u200b", "'", "a\"b'", "\x1c", "\U0001f600", "\ue000", "é"]
    uit = draai_script(node, JS / "test" / "controles.mjs", {"datums": teksten, "reprs": reprs})
    assert uit["datums"] == [nl_datums(t) for t in teksten]
    assert uit["datums"][0].endswith("einddatum (07-09-2027) mag niet na 07-08-2027 liggen")
    assert uit["reprs"] == [repr(t) for t in reprs]
