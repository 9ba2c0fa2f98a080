"""Uploading answers in the werkplek (DESIGN §5 "Portal", §7; handbook art. 18.1–18.3) in Debian's
Chromium with the portal's real CSP: a creditor whose keys are in the browser receives saldoverzoeken
and betaalvoorstellen (sealed by the Python SDK), uploads its answers as CSV; the page reads,
validates, numbers, signs and encrypts them and submits them through the hub's batch path.

- an invalid upload shows every error by file, row and column and sends nothing (18.3c);
- a valid one is accepted, and the SDK on the other side opens and verifies every answer;
- uploading the same files again sends nothing twice (DESIGN §7: the answer's number is a UUIDv8
  from an HMAC of question and answer; the dry run lists the numbers that exist);
- no request body holds a payload value of the CSV (the server sees envelopes and ciphertext only).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from typing import Any

from tests.browser.conftest import Portaalserver, log_in
from tests.browser.test_sleutels import GEMEENTE, csp_pagina, server  # noqa: F401 - fixtures

# The creditor (schuldregeling 1.0, nuts). One user makes its keys once: in the werkplek keys are
# the organisation's, so the whole flow is one test (the server is this module's own).
SCHULDEISER = "00000003501234560000"
ORGANISATIE = "Demo Energie BV (Schuldeiser)"
JONG = re.compile(r"is (minder dan een dag|1 dag|\d+ dagen) oud \(jonger dan \d+ dagen")
"""A young certificate's age in whole days (werkplek.js `leeftijd`), never "0.0 dagen oud"."""

# In the server's environment: the municipality (hosted keys) sends, per client, a saldoverzoek and
# a betaalvoorstel in one conversation to the energy company's newest certificate (made in the
# browser). Prints one JSON line per question: its number, conversation, type and klantnummerSHV.
VRAGEN = r"""
import json, sys, uuid
from knooppunt import runtime
from knooppunt.config import Settings
from knooppunt.hub import mailbox
from knooppunt.portaal.demo import _met_klant
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import Kluis

rt = runtime.bouw(Settings(), upgrade=False)
client = Gastclient(rt, Kluis.uit_instellingen(rt.settings), sys.argv[1], wie="test")
for nummer in range(int(sys.argv[3]), int(sys.argv[3]) + int(sys.argv[4])):
    conversatie = str(uuid.uuid4())
    for code in ("saldoverzoek_nuts", "betaalvoorstel"):
        payload = _met_klant(voorbeeld("schuldregeling", code), nummer)
        bericht = TeVersturen(sys.argv[2], code, payload, conversatie)
        with client.transactie() as (session, nu):
            afzender = client.deelnemer(session)
            sleutel = client.sleutel(session, "test", nu)
            envelop = client.verzegel(session, bericht, sleutel=sleutel, nu=nu)
            r, _ = mailbox.verstuur(session, afzender, envelop, nu=nu, instellingen=rt.instellingen)
            print(json.dumps({"ref": r.referentienummer, "conv": conversatie, "type": code,
                              "klant": payload["klantnummerSHV"]}))
rt.close()
"""

# The municipality fetches its answers with the SDK: decrypt, verify the browser's signature
# against the adresboek, compare the signed metadata with the envelope, validate the payload.
OPEN = r"""
import json, sys
from knooppunt import runtime
from knooppunt.config import Settings
from knooppunt.portaal.gastclient import Gastclient
from knooppunt.portaal.kluis import Kluis

rt = runtime.bouw(Settings(), upgrade=False)
client = Gastclient(rt, Kluis.uit_instellingen(rt.settings), sys.argv[1], wie="test")
for o in client.haal_op(waarvoor="test"):
    e = o.envelop
    print(json.dumps({"ref": e["referentienummer"], "cross": e.get("crossReferentienummer"),
                      "conv": e["conversatieReferentienummer"], "versie": e["versie"],
                      "type": e["berichttype"], "afzender": e["afzender"], "fout": o.fout,
                      "detail": o.foutdetail, "payload": o.payload}))
rt.close()
"""


def _python(portaalserver: Portaalserver, script: str, *args: str) -> list[dict[str, Any]]:
    r = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=portaalserver.omgeving,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr + r.stdout
    return [json.loads(regel) for regel in r.stdout.splitlines() if regel.startswith("{")]


SALDO_KOP = [
    "referentienummer",
    "conversatieReferentienummer",
    "klantnummerSHV",
    "antwoord.saldoverzoek",
    "antwoord.klantnummerSE",
    "antwoord.contactpersoonSE.naam",
    "antwoord.contactpersoonSE.email",
    "antwoord.peildatum",
    "antwoord.betaalgegevens.iban",
    "antwoord.vordering.factuurnummerSE",
    "antwoord.vordering.schuldtype",
    "antwoord.vordering.hoofdsom",
    "antwoord.vordering.actueelBedrag",
    "antwoord.reden.code",
    "antwoord.reden.tekst",
]
BETAAL_KOP = [
    "referentienummer",
    "conversatieReferentienummer",
    "klantnummerSHV",
    "antwoord.betaalvoorstel",
    "antwoord.klantnummerSE",
    "antwoord.betaalgegevens.iban",
    "antwoord.reden.code",
    "antwoord.reden.tekst",
]
STATUS_KOP = [
    "ontvanger",
    "conversatieReferentienummer",
    "klantnummerSHV",
    "klantnummerSE",
    "contactpersoonSE.naam",
    "contactpersoonSE.email",
    "toelichting",
]
# Values only the CSV holds (they must never reach the server in the clear).
GEHEIM_FACTUUR = "FACT-ZEER-GEHEIM-7781"
GEHEIM_NAAM = "Mevrouw Geheimhouding"
GEHEIM_REDEN = "Onbekend-bij-ons-XQ"
GEHEIM_OPGESTELD = "Opgesteld in de werkplek, vertrouwelijk 5521"


def _csv(kop: list[str], rijen: list[dict[str, str]], *, bom: bool = True) -> bytes:
    regels = [";".join(kop)] + [";".join(r.get(k, "") for k in kop) for r in rijen]
    return (("\ufeff" if bom else "") + "\r\n".join(regels) + "\r\n").encode("utf-8")


def _statusverzoeken(vragen: list[dict[str, Any]]) -> bytes:
    """Art. 14.1 / 18.1c: a statusverzoek to the municipality in the third client's conversation."""
    saldo = [v for v in vragen if v["type"] == "saldoverzoek_nuts"]
    return _csv(
        STATUS_KOP,
        [
            {
                "ontvanger": GEMEENTE,
                "conversatieReferentienummer": saldo[2]["conv"],
                "klantnummerSHV": saldo[2]["klant"],
                "klantnummerSE": "EN-3",
                "contactpersoonSE.naam": "Team BB",
                "contactpersoonSE.email": "bb@energie.example.nl",
                "toelichting": "Hoe staat het ervoor?",
            }
        ],
    )


def _bestanden(vragen: list[dict[str, Any]]) -> tuple[bytes, bytes]:
    saldo = [v for v in vragen if v["type"] == "saldoverzoek_nuts"]
    betaal = [v for v in vragen if v["type"] == "betaalvoorstel"]
    rijen: list[dict[str, str]] = []
    # Client 1: saldo with two debts on two rows (one answer: the rows share the referentienummer);
    # the download's ' before a formula-like cell is taken off ('-…).
    for factuur, bedrag in ((GEHEIM_FACTUUR, "125000"), ("F-2", "30000")):
        rijen.append(
            {
                "referentienummer": saldo[0]["ref"],
                "conversatieReferentienummer": saldo[0]["conv"],
                "klantnummerSHV": saldo[0]["klant"],
                "antwoord.saldoverzoek": "saldo",
                "antwoord.klantnummerSE": "'-EN-1",
                "antwoord.contactpersoonSE.naam": GEHEIM_NAAM,
                "antwoord.contactpersoonSE.email": "bb@energie.example.nl",
                "antwoord.peildatum": "1-3-2026",
                "antwoord.betaalgegevens.iban": "NL91ABNA0417164300",
                "antwoord.vordering.factuurnummerSE": factuur,
                "antwoord.vordering.schuldtype": "openstaand",
                "antwoord.vordering.hoofdsom": bedrag,
                "antwoord.vordering.actueelBedrag": bedrag,
            }
        )
    # Client 2: klant onbekend (art. 8.1) with a reason.
    rijen.append(
        {
            "referentienummer": saldo[1]["ref"],
            "conversatieReferentienummer": saldo[1]["conv"],
            "klantnummerSHV": saldo[1]["klant"],
            "antwoord.saldoverzoek": "Klant onbekend",
            "antwoord.reden.code": "GEEN_MATCH",
            "antwoord.reden.tekst": GEHEIM_REDEN,
        }
    )
    # Client 3: not answered in this upload (its answer columns are empty).
    rijen.append(
        {
            "referentienummer": saldo[2]["ref"],
            "conversatieReferentienummer": saldo[2]["conv"],
            "klantnummerSHV": saldo[2]["klant"],
        }
    )
    betaalrijen = [
        {
            "referentienummer": betaal[0]["ref"],
            "conversatieReferentienummer": betaal[0]["conv"],
            "klantnummerSHV": betaal[0]["klant"],
            "antwoord.betaalvoorstel": "akkoord",
            "antwoord.klantnummerSE": "EN-1",
            "antwoord.betaalgegevens.iban": "NL91ABNA0417164300",
        },
        {
            "referentienummer": betaal[1]["ref"],
            "conversatieReferentienummer": betaal[1]["conv"],
            "klantnummerSHV": betaal[1]["klant"],
            "antwoord.betaalvoorstel": "niet akkoord",
            "antwoord.reden.code": "AANBOD_TE_LAAG",
            "antwoord.reden.tekst": "Wij verwachten meer.",
        },
    ]
    return _csv(SALDO_KOP, rijen), _csv(BETAAL_KOP, betaalrijen, bom=False)


def _maak_sleutels(page: Any, naam: str, organisatie: str = ORGANISATIE) -> str:
    """Log in, make the organisation's keys; returns the passphrase (shown once)."""
    from playwright.sync_api import expect

    log_in(page, organisatie, naam=naam)
    page.goto("/portaal/sleutels")
    page.get_by_role("button", name="Sleutels aanmaken").click()
    expect(page.locator("#wachtwoord-nieuw")).not_to_have_text("")
    geheim = page.locator("#wachtwoord-nieuw").text_content() or ""
    page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=60_000)
    return geheim


def _ontgrendel(page: Any, geheim: str) -> None:
    from playwright.sync_api import expect

    page.get_by_label("Wachtwoord", exact=True).fill(geheim)
    page.get_by_role("button", name="Ontgrendelen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("ontgrendeld", timeout=60_000)


def _bevestig_jong_certificaat(page: Any) -> None:
    """DESIGN §5 key transparency: the municipality's certificate is new, so the page stops and asks
    before it seals anything for it; confirmed, the same files go again."""
    from playwright.sync_api import expect

    expect(page.locator("#upload-jong")).to_be_visible(timeout=60_000)
    expect(page.locator("#upload-waarschuwingen")).to_contain_text(JONG)
    page.get_by_label("Ik heb deze certificaten gecontroleerd; versleutel voor deze sleutels").check()
    page.get_by_role("button", name="Bestanden controleren en versturen").click()


def _upload(page: Any, bestanden: list[tuple[str, bytes]]) -> None:
    page.locator("#upload-bestanden").set_input_files(
        [{"name": naam, "mimeType": "text/csv", "buffer": inhoud} for naam, inhoud in bestanden]
    )
    page.get_by_role("button", name="Bestanden controleren en versturen").click()


def test_antwoorden_uploaden_in_de_browser(
    csp_pagina: Any,  # noqa: F811 - the fixture
    server: Portaalserver,  # noqa: F811 - the fixture
    browser: Any,
    toegankelijk: Any,
) -> None:
    """Art. 18.1–18.3 and DESIGN §7 in the werkplek: errors by file/row/column and nothing sent
    (18.3c), a valid upload accepted and opened by the SDK, a re-upload sending nothing twice."""
    from playwright.sync_api import expect

    page = csp_pagina
    geheim = _maak_sleutels(page, "Uma Upload")
    vragen = _python(server, VRAGEN, GEMEENTE, SCHULDEISER, "61", "3")
    saldo, betaal = _bestanden(vragen)

    # 1. Invalid (18.3c): a wrong answer kind, an amount with a comma, a non-CSV file, a debt on
    # 'klant onbekend'. Every error is shown by file, row and column; nothing is sent.
    regels = saldo.decode("utf-8").split("\r\n")
    hoofdsom = SALDO_KOP.index("antwoord.vordering.hoofdsom")
    cellen = [r.split(";") for r in regels]
    cellen[2][hoofdsom] = "300,00"  # row 3: not whole cents,
    # and in the same row a wrong IBAN (mod-97) and a peildatum that is no date: all three at once
    # (an independent werkplek probe needed four uploads to see one row's errors).
    for rij in (1, 2):  # rows 2 and 3 answer one saldoverzoek: these cells are the answer's
        cellen[rij][SALDO_KOP.index("antwoord.betaalgegevens.iban")] = "NL91ABNA0417164301"
        cellen[rij][SALDO_KOP.index("antwoord.peildatum")] = "2027-13-45"
    cellen[3][hoofdsom] = "500"  # row 4: a debt on 'klant onbekend'
    regels = [";".join(c) for c in cellen]
    _upload(
        page,
        [
            ("saldoverzoeken.csv", "\r\n".join(regels).encode("utf-8")),
            ("betaalvoorstellen.csv", betaal.replace(b";akkoord;", b";misschien;")),
            ("notities.txt", b"geen csv"),
        ],
    )
    expect(page.locator("#upload-fouten")).to_be_visible(timeout=60_000)
    fouten = page.locator("#upload-foutenlijst tr")
    teksten = [fouten.nth(i).inner_text() for i in range(fouten.count())]
    alles = "\n".join(teksten)
    assert "notities.txt" in alles and "alleen bestanden met de extensie .csv" in alles.lower()
    assert re.search(
        r"betaalvoorstellen\.csv\s+2\s+D \(antwoord\.betaalvoorstel\)\s+'misschien' is geen geldig antwoord",
        alles,
    ), alles
    assert re.search(
        r"saldoverzoeken\.csv\s+3\s+L \(antwoord\.vordering\.hoofdsom\)\s+'300,00' is geen bedrag", alles
    ), alles
    rij3 = [r for r in teksten if re.match(r"saldoverzoeken\.csv\s+[23]\s", r)]
    assert any("antwoord.betaalgegevens.iban" in r and "mod-97" in r for r in rij3), rij3
    assert any("antwoord.peildatum" in r and "een datum als jjjj-mm-dd" in r for r in rij3), rij3
    assert re.search(
        r"saldoverzoeken\.csv\s+4\s+L \(antwoord\.vordering\.hoofdsom\)\s+"
        r"Dit hoort niet bij 'Klant onbekend'",
        alles,
        re.I,
    ), alles
    expect(page.locator("#upload-fouten-kop")).to_contain_text("Er is niets verstuurd")
    vraagnummers = {v["ref"] for v in vragen}
    conversaties = {v["conv"] for v in vragen}

    def antwoorden_van_schuldeiser() -> list[dict[str, Any]]:
        return [
            o
            for o in _python(server, OPEN, GEMEENTE)
            if o["afzender"] == SCHULDEISER and (o["cross"] in vraagnummers or o["conv"] in conversaties)
        ]

    assert antwoorden_van_schuldeiser() == [], "an invalid upload sent something (18.3c)"

    # 2. Valid: accepted; rows without an answer are skipped.
    page.lichamen.clear()
    status = _statusverzoeken(vragen)
    alle = [("saldoverzoeken.csv", saldo), ("betaalvoorstellen.csv", betaal), ("statusverzoeken.csv", status)]
    _upload(page, alle)
    expect(page.locator("#upload-jong")).to_be_visible(timeout=60_000)
    assert antwoorden_van_schuldeiser() == [], "sealed for a young certificate before the user confirmed it"
    _bevestig_jong_certificaat(page)
    uitslag = page.locator("#upload-uitslag")
    expect(uitslag).to_be_visible(timeout=120_000)
    expect(uitslag).to_contain_text("Verstuurd: 5 berichten in 1 deel")
    expect(uitslag).to_contain_text("Al eerder verstuurd en nu overgeslagen: 0")
    expect(uitslag).to_contain_text("Onderweg bevestigd")
    expect(uitslag).to_contain_text("1 rij zonder antwoord overgeslagen")  # Dutch singular
    expect(uitslag).not_to_contain_text("1 rijen")
    assert page.locator("#upload-fouten").is_hidden()

    # The SDK on the other side opens and verifies every answer (signature, metadata, payload).
    ontvangen = antwoorden_van_schuldeiser()
    antwoorden = {o["cross"]: o for o in ontvangen if o["cross"]}
    assert len(antwoorden) == 4, ontvangen
    (verzoek,) = [o for o in ontvangen if o["type"] == "statusverzoek"]
    assert verzoek["fout"] is None and verzoek["payload"]["toelichting"] == "Hoe staat het ervoor?"
    for o in antwoorden.values():
        assert o["fout"] is None, o
    s0 = [v for v in vragen if v["type"] == "saldoverzoek_nuts"]
    b0 = [v for v in vragen if v["type"] == "betaalvoorstel"]
    eerste = antwoorden[s0[0]["ref"]]
    assert eerste["type"] == "saldoverzoek_antwoord"
    assert [v["factuurnummerSE"] for v in eerste["payload"]["vorderingen"]] == [GEHEIM_FACTUUR, "F-2"]
    assert eerste["payload"]["peildatum"] == "2026-03-01" and eerste["payload"]["klantnummerSE"] == "-EN-1"
    assert antwoorden[s0[1]["ref"]]["type"] == "klant_onbekend"
    assert antwoorden[s0[1]["ref"]]["payload"]["reden"]["tekst"] == GEHEIM_REDEN
    assert antwoorden[b0[0]["ref"]]["type"] == "betaalvoorstel_akkoord"
    assert antwoorden[b0[1]["ref"]]["type"] == "betaalvoorstel_niet_akkoord"
    # Each number is the UUIDv8 of antwoordnummers (version 8, variant 10).
    for o in antwoorden.values():
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", o["ref"]
        ), o

    # No request body held a payload value of the CSV (DESIGN §5: the server sees ciphertext only).
    assert page.lichamen
    for url, data in page.lichamen:
        for waarde in (GEHEIM_FACTUUR, GEHEIM_NAAM, GEHEIM_REDEN, "NL91ABNA0417164300"):
            assert waarde.encode() not in data, f"{waarde} reached the server in {url}"

    # 3. The same files again (DESIGN §7, 18.3c/d): nothing is sent twice, all shown as already sent.
    _upload(page, alle)
    expect(uitslag).to_contain_text("Verstuurd: 0 berichten", timeout=60_000)
    expect(uitslag).to_contain_text("Al eerder verstuurd en nu overgeslagen: 5")
    expect(uitslag).to_contain_text("Al verzonden op")
    # Still the same four answers at the municipality (open messages are fetched again until confirmed).
    assert sorted(o["ref"] for o in antwoorden_van_schuldeiser()) == sorted(o["ref"] for o in ontvangen)

    # 4. Compose (DESIGN §7): the statusverzoek's form from its schema, filled in the page; a
    # missing required field is named; the recipient's young certificate must be confirmed first.
    saldo0 = [v for v in vragen if v["type"] == "saldoverzoek_nuts"]
    keuze = page.locator("#opstel-type option", has_text=re.compile(r"^Statusverzoek \(.* 1\.0\)$"))
    page.locator("#opstel-type").select_option(value=keuze.first.get_attribute("value"))
    page.locator("#opstel-ontvanger").fill(GEMEENTE)
    page.locator("#opstel-conversatie").fill(saldo0[1]["conv"])
    page.locator("#opstel-contactpersoonSE-naam").fill("Team BB")
    page.locator("#opstel-contactpersoonSE-email").fill("bb@energie.example.nl")
    page.locator("#opstel-toelichting").fill(GEHEIM_OPGESTELD)
    page.get_by_role("button", name="Bericht controleren en versturen").click()
    expect(page.locator("#opstel-fouten")).to_contain_text("Klantnummer SHV")
    page.locator("#opstel-klantnummerSHV").fill(saldo0[1]["klant"])
    page.get_by_role("button", name="Bericht controleren en versturen").click()
    expect(page.locator("#opstel-waarschuwing")).to_contain_text(JONG)
    page.get_by_label("Ik heb gecontroleerd dat dit certificaat van de ontvanger is").check()
    page.get_by_role("button", name="Bericht controleren en versturen").click()
    expect(page.locator("#opstel-uitslag")).to_contain_text("Verstuurd: Statusverzoek")
    opgesteld = [
        o
        for o in antwoorden_van_schuldeiser()
        if o["payload"] and o["payload"].get("toelichting") == GEHEIM_OPGESTELD
    ]
    assert len(opgesteld) == 1 and opgesteld[0]["fout"] is None and opgesteld[0]["type"] == "statusverzoek"
    for url, data in page.lichamen:
        assert GEHEIM_OPGESTELD.encode() not in data, f"the composed text reached the server in {url}"
    assert not [f for f in page.console_fouten if "Content Security Policy" in f or "TrustedHTML" in f]

    # 5. A submission broken off completes when the same files are uploaded again (after a reload).
    _afgebroken(page, server, geheim)
    # 6. WCAG 2.1 AA on the werkplek's upload and compose sections.
    _toegankelijk(browser, server, geheim, toegankelijk)


def _afgebroken(page: Any, srv: Portaalserver, geheim: str) -> None:
    """DESIGN §7: "if the submission breaks off, submitting the same upload again completes it" —
    with parts of two (the layout's maxDeel lowered in the page's copy), the second part's request
    is cut off: the first part stays sent, nothing else is; the same files again send the rest."""
    from playwright.sync_api import expect

    vragen = _python(srv, VRAGEN, GEMEENTE, SCHULDEISER, "81", "3")
    saldo, betaal = _bestanden(vragen)
    alle = [("saldoverzoeken.csv", saldo), ("betaalvoorstellen.csv", betaal)]

    def kleine_delen(route: Any) -> None:
        antwoord = route.fetch()
        indeling = antwoord.json()
        indeling["maxDeel"] = 2
        route.fulfill(response=antwoord, json=indeling)

    page.route("**/verzenden/indelingen", kleine_delen)
    delen = {"n": 0}

    def breek_af(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        delen["n"] += 1
        if delen["n"] == 2:
            route.abort()
        else:
            route.continue_()

    page.route("**/sleutels/api/verzenden", breek_af)
    page.reload()  # the layouts are fetched again (with the small parts); the keys must be unlocked
    _ontgrendel(page, geheim)
    _upload(page, alle)
    _bevestig_jong_certificaat(page)
    expect(page.locator("#upload-fouten")).to_contain_text("afgebroken", timeout=120_000)
    expect(page.locator("#sleutels-status")).to_contain_text("Upload dezelfde bestanden opnieuw")
    vraagnummers = {v["ref"] for v in vragen}
    verstuurd = [
        o for o in _python(srv, OPEN, GEMEENTE) if o["cross"] in vraagnummers and o["afzender"] == SCHULDEISER
    ]
    assert len(verstuurd) == 2, verstuurd  # the first part only

    page.unroute("**/sleutels/api/verzenden")
    _upload(page, alle)
    uitslag = page.locator("#upload-uitslag")
    expect(uitslag).to_contain_text("Verstuurd: 2 berichten in 1 deel", timeout=120_000)
    expect(uitslag).to_contain_text("Al eerder verstuurd en nu overgeslagen: 2")
    alles = [
        o for o in _python(srv, OPEN, GEMEENTE) if o["cross"] in vraagnummers and o["afzender"] == SCHULDEISER
    ]
    assert len(alles) == 4 and all(o["fout"] is None for o in alles)
    assert len({o["cross"] for o in alles}) == 4  # each question answered once


def _toegankelijk(browser: Any, srv: Portaalserver, geheim: str, toegankelijk: Any) -> None:
    """WCAG 2.1 AA (axe-core) on the werkplek with the upload and compose sections, a form shown and
    an upload's errors listed (axe needs the CSP bypassed: a context of its own)."""
    from playwright.sync_api import expect

    ctx = browser.new_context(base_url=srv.url, ignore_https_errors=True, locale="nl-NL", bypass_csp=True)
    page = ctx.new_page()
    log_in(page, ORGANISATIE, naam="Uma Upload")
    page.goto("/portaal/sleutels")
    _ontgrendel(page, geheim)
    page.locator("#opstel-type").select_option(index=1)
    expect(page.locator("#opstel-formulier")).to_be_visible()
    _upload(page, [("leeg.csv", b"")])
    expect(page.locator("#upload-fouten")).to_be_visible()
    toegankelijk(page)
    ctx.close()


# --- every module: the generic answer files (csvmodules) in the browser -------------------------------

INCASSO = "00000003505678950000"
INCASSO_NAAM = "Demo Incasso BV (Schuldeiser)"

# The municipality (hosted keys) sends the collection agency (keys in the browser) one question per
# (module, versie, berichttype) of argv[3:]: its example payload about a demo client. Prints one JSON
# line per question.
MODULEVRAGEN = r"""
import json, sys, uuid
from knooppunt import runtime
from knooppunt.config import Settings
from knooppunt.hub import mailbox
from knooppunt.portaal.demo import _met_klant
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import Kluis

rt = runtime.bouw(Settings(), upgrade=False)
client = Gastclient(rt, Kluis.uit_instellingen(rt.settings), sys.argv[1], wie="test")
for i, vraag in enumerate(sys.argv[3:]):
    module, versie, code = vraag.split(":")
    conversatie = str(uuid.uuid4())
    payload = _met_klant(voorbeeld(module, code, versie), 40 + i)
    bericht = TeVersturen(sys.argv[2], code, payload, conversatie, module=module, versie=versie)
    with client.transactie() as (session, nu):
        afzender = client.deelnemer(session)
        sleutel = client.sleutel(session, "test", nu)
        envelop = client.verzegel(session, bericht, sleutel=sleutel, nu=nu)
        r, _ = mailbox.verstuur(session, afzender, envelop, nu=nu, instellingen=rt.instellingen)
        print(json.dumps({"ref": r.referentienummer, "conv": conversatie, "module": module,
                          "versie": versie, "type": code, "klant": payload["klantnummerSHV"]}))
rt.close()
"""


def _generiek_antwoord(vraag: dict[str, Any], antwoord: str) -> dict[str, str]:
    """The download's row of a question (csvindeling's columns) with antwoord.berichttype and the
    antwoord.* cells of that answer's example payload (as the download writes cells)."""
    from knooppunt.portaal import csvindeling, export
    from knooppunt.protocol.catalogus import CATALOGUS
    from knooppunt.protocol.payloads.voorbeelden import voorbeeld

    module, versie = vraag["module"], vraag["versie"]
    soort = CATALOGUS.zoek(module, antwoord, versie)
    assert soort is not None
    rij = {
        "referentienummer": vraag["ref"],
        "conversatieReferentienummer": vraag["conv"],
        "module": module,
        "versie": versie,
        "berichttype": vraag["type"],
        "klantnummerSHV": vraag["klant"],
        csvindeling.ANTWOORDSOORT: soort.naam,
    }
    for kolom, waarde in export.plat(voorbeeld(module, antwoord, versie)).items():
        if not kolom.endswith("#") and not export.is_pdf(waarde):
            rij[csvindeling.ANTWOORD + kolom] = export.cel(waarde)
    rij[csvindeling.ANTWOORD + "klantnummerSHV"] = vraag["klant"]
    return rij


def _als_csv(rijen: list[dict[str, str]]) -> bytes:
    kop: list[str] = []
    for rij in rijen:
        kop += [k for k in rij if k not in kop]
    return _csv(kop, rijen)


def test_generieke_antwoorden_in_elke_module(
    csp_pagina: Any,  # noqa: F811 - the fixture
    server: Portaalserver,  # noqa: F811 - the fixture
) -> None:
    """DESIGN §7 "every module" in the werkplek: the generic answer files (antwoord.berichttype) of
    schuldregeling 2.0 and pauzeknop are read, checked (JSON Schema and controles.js: IBAN mod-97,
    amounts that add up), numbered, sealed and sent in the browser; an invalid upload shows every
    error by file, row and column and sends nothing; the SDK at the municipality opens the answers."""
    from playwright.sync_api import expect

    page = csp_pagina
    _maak_sleutels(page, "Ivo Incasso", INCASSO_NAAM)
    vragen = _python(
        server,
        MODULEVRAGEN,
        GEMEENTE,
        INCASSO,
        "schuldregeling:2.0:saldoverzoek",
        "pauzeknop:2.0:kennisgeving",
    )
    sr, pauze = vragen
    sr_rij = _generiek_antwoord(sr, "saldoverzoek_antwoord")
    pauze_rij = _generiek_antwoord(pauze, "kennisgeving_antwoord")
    geheim_factuur = "FACT-GENERIEK-GEHEIM-4410"
    sr_rij["antwoord.vorderingen.1.factuurnummerSE"] = geheim_factuur
    sr_rij["antwoord.betaalgegevens.iban"] = "NL 91 abna 0417 1643 00"  # spaces, lower case: normalised

    def antwoorden_van_incasso() -> list[dict[str, Any]]:
        return [
            o
            for o in _python(server, OPEN, GEMEENTE)
            if o["afzender"] == INCASSO and o["cross"] in {v["ref"] for v in vragen}
        ]

    # 1. Invalid: a bad IBAN (mod-97), a debt whose parts do not add up, the wrong answer type, an
    # answer column of another answer. Every error at its file, row and column; nothing is sent.
    fout_sr = dict(sr_rij)
    fout_sr["antwoord.betaalgegevens.iban"] = "NL91ABNA0417164301"
    fout_sr["antwoord.vorderingen.1.actueelBedrag"] = "125001"
    fout_pauze = dict(pauze_rij, **{"antwoord.berichttype": "Betaalvoorstel antwoord (akkoord)"})
    fout_pauze2 = dict(
        pauze_rij, referentienummer=str(uuid.uuid4()), **{"antwoord.berichttype": "Geen medewerking"}
    )
    _upload(
        page,
        [
            ("saldoverzoeken.csv", _als_csv([fout_sr])),
            ("kennisgevingen_pauze.csv", _als_csv([fout_pauze, fout_pauze2])),
        ],
    )
    expect(page.locator("#upload-fouten")).to_be_visible(timeout=60_000)
    fouten = page.locator("#upload-foutenlijst tr")
    alles = "\n".join(fouten.nth(i).inner_text() for i in range(fouten.count()))
    assert re.search(
        r"saldoverzoeken\.csv\s+2\s+\w+ \(antwoord\.betaalgegevens\.iban\)\s+IBAN 'NL91ABNA0417164301' is "
        r"ongeldig \(de controle \(mod-97\) klopt niet\) \(betaalgegevens\.iban\)",
        alles,
    ), alles
    assert re.search(
        r"saldoverzoeken\.csv\s+2\s+\w+ \(antwoord\.vorderingen\.1\.actueelBedrag\)\s+"
        r"actueelBedrag \(125001\) moet gelijk zijn aan "
        r"hoofdsom \+ rente \+ kosten \+ incassokosten \(125000\)",
        alles,
    ), alles
    assert re.search(
        r"kennisgevingen_pauze\.csv\s+2\s+\w+ \(antwoord\.berichttype\)\s+"
        r"'Betaalvoorstel antwoord \(akkoord\)' is geen antwoord op een kennisgeving \(pauze\): "
        r"vul een van deze in: 'Kennisgeving antwoord \(pauze\)', 'Geen medewerking'",
        alles,
        re.I,
    ), alles
    assert re.search(
        r"kennisgevingen_pauze\.csv\s+3\s+\w+ \(antwoord\.pauze\.akkoord\)\s+"
        r"Dit hoort niet bij 'Geen medewerking'",
        alles,
    ), alles
    expect(page.locator("#upload-fouten-kop")).to_contain_text("Er is niets verstuurd")
    assert antwoorden_van_incasso() == [], "an invalid upload sent something (18.3c)"

    # 2. Valid: both answers sealed for the municipality's young certificate once confirmed.
    page.lichamen.clear()
    goed = [("saldoverzoeken.csv", _als_csv([sr_rij])), ("kennisgevingen_pauze.csv", _als_csv([pauze_rij]))]
    _upload(page, goed)
    _bevestig_jong_certificaat(page)
    uitslag = page.locator("#upload-uitslag")
    expect(uitslag).to_be_visible(timeout=120_000)
    expect(uitslag).to_contain_text("Verstuurd: 2 berichten in 1 deel")
    ontvangen = {o["cross"]: o for o in antwoorden_van_incasso()}
    assert set(ontvangen) == {sr["ref"], pauze["ref"]}, ontvangen
    for o in ontvangen.values():
        assert o["fout"] is None, o
    a_sr, a_pauze = ontvangen[sr["ref"]], ontvangen[pauze["ref"]]
    assert a_sr["type"] == "saldoverzoek_antwoord" and a_sr["conv"] == sr["conv"]
    assert a_sr["payload"]["betaalgegevens"]["iban"] == "NL91ABNA0417164300"
    assert [v["factuurnummerSE"] for v in a_sr["payload"]["vorderingen"]] == [geheim_factuur, "F-2022-31877"]
    assert a_sr["payload"]["vorderingen"][0]["actueelBedrag"] == 125000
    assert a_pauze["type"] == "kennisgeving_antwoord"
    assert a_pauze["payload"]["pauze"] == {"akkoord": True, "incassoOpgeschortTot": "2024-10-31"}
    assert a_pauze["payload"]["factuurnummers"] == ["F-2023-55101", "F-2022-31877"]
    for o in ontvangen.values():
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", o["ref"]
        ), o
    for url, data in page.lichamen:
        for waarde in (geheim_factuur, "NL91ABNA0417164300", "Incassobureau Voorbeeld"):
            assert waarde.encode() not in data, f"{waarde} reached the server in {url}"

    # 3. The same files again: nothing sent twice.
    _upload(page, goed)
    expect(uitslag).to_contain_text("Al eerder verstuurd en nu overgeslagen: 2", timeout=60_000)
    assert len(antwoorden_van_incasso()) == 2

    # 4. A new message of a module, from a file with module and ontvanger (csvmodules.starten): an
    # empty versie is the highest version both accept (schuldregeling 2.0); a wrong OIN is named.
    start = {
        "module": "schuldregeling",
        "versie": "",
        "berichttype": "statusverzoek",
        "ontvanger": GEMEENTE,
        "conversatieReferentienummer": sr["conv"],
        "klantnummerSHV": sr["klant"],
        "contactpersoonSE.naam": "Team Incasso",
        "contactpersoonSE.email": "team@incasso.example.nl",
        "toelichting": "Generiek statusverzoek 8812",
    }
    _upload(page, [("nieuw.csv", _als_csv([start, dict(start, ontvanger="123")]))])
    expect(page.locator("#upload-fouten")).to_contain_text(
        "'123' is geen OIN: vul het Organisatie-identificatienummer (20 cijfers)", timeout=60_000
    )
    assert re.search(r"nieuw\.csv\s+3\s+D \(ontvanger\)", page.locator("#upload-foutenlijst").inner_text())
    _upload(page, [("nieuw.csv", _als_csv([start]))])
    expect(uitslag).to_contain_text("Verstuurd: 1 bericht in 1 deel", timeout=60_000)
    (verzoek,) = [
        o
        for o in _python(server, OPEN, GEMEENTE)
        if o["afzender"] == INCASSO and o["type"] == "statusverzoek" and o["conv"] == sr["conv"]
    ]
    assert verzoek["fout"] is None and verzoek["payload"]["toelichting"] == "Generiek statusverzoek 8812"
    assert verzoek["versie"] == "2.0"
