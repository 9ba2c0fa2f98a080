"""Every module and protocol version in the werkplek (issue #14, DESIGN §5 "Portal", §7 "every
module"), with the browser doing the cryptography and the portal's real Content Security Policy.

The rounds are derived from the catalogue (`CATALOGUS`), not listed by hand: per (module, versie)
the role that answers the most of its questions keeps its keys in the browser (the first demo
participant of that role in that module and version), and a demo participant of the asking role,
whose keys the portal hosts, sends it with the Python SDK one message of every type it may start
towards that role — one per answer the portal participant may give. In the werkplek:

1. Downloaden makes the zip in the browser; the per-type CSV holds the row of every message;
2. the rows of the questions get their answer filled in (the handbook's 17.1 columns in the
   versions that keep them, else ``antwoord.berichttype`` with the answer's example as cells) and go
   back through Uploaden: read, checked, numbered, signed and sealed in the browser;
3. the SDK at the asking participant opens every answer (signature, metadata, JSON Schema);
4. where the portal participant's role starts messages itself in that module and version, Opstellen
   composes one (the form filled from the type's example) and the SDK opens it too.

A type is left out of a round only for a reason the hub decides from the adresboek before anything
is exchanged (`UITGESLOTEN_VOORWAARDEN`, `ONTVANGERVOORWAARDEN`); `test_elke_module_en_versie`
fails when a module or version has no round or a round answers nothing. One server for the whole
file (and one on PostgreSQL when KNOOPPUNT_TEST_DATABASE_URL is set): every participant makes its
browser keys once.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from knooppunt.portaal import csvformaat, csvindeling, export
from knooppunt.portaal.demo import DEELNEMERS, DemoDeelnemer
from knooppunt.protocol.catalogus import CATALOGUS, SALDOVERZOEKEN, Berichttype, Rol, Voorwaarde
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from tests.browser.conftest import Portaalserver
from tests.browser.test_werkplek_upload import OPEN, _maak_sleutels, _python, _upload

# --- the rounds, from the catalogue --------------------------------------------------------------------

ONTVANGERVOORWAARDEN: dict[Voorwaarde, Callable[[DemoDeelnemer], bool]] = {
    Voorwaarde.ONTVANGER_GEBRUIKT_GEEN_BSN: lambda d: not d.gebruikt_bsn,
    Voorwaarde.ONTVANGER_GEBRUIKT_BSN: lambda d: d.gebruikt_bsn,
    Voorwaarde.ONTVANGER_NUTS: lambda d: "nuts" in d.schuldensoorten,
    Voorwaarde.ONTVANGER_PUBLIEK: lambda d: "publiek" in d.schuldensoorten,
    Voorwaarde.ONTVANGER_ZORG: lambda d: "zorg" in d.schuldensoorten,
    Voorwaarde.GEEN_STANDAARD_AKKOORD_ONTVANGEN: lambda d: True,  # a new conversation has none
}
"""Conditions on the recipient (its adresboek entry) or true in a new conversation."""

UITGESLOTEN_VOORWAARDEN = {
    Voorwaarde.EERDER_UITGEWISSELD: "needs an earlier exchange in the conversation",
    Voorwaarde.VERWIJST_NAAR_OPEN_VRAAG: "refers to an open question of the sender (a reminder)",
    Voorwaarde.VERWIJST_NAAR_LAATSTE_NIET_AKKOORD: "refers to a received niet-akkoord",
    Voorwaarde.LAATSTE_ANTWOORD_AKKOORD: "needs an akkoord received before",
    Voorwaarde.ALLEEN_KNOOPPUNT: "sent by the hub only",
}
"""Conditions a message cannot meet as the first one of a conversation: covered by the hub's rule
tests (tests/unit, tests/functional), not by a first round here."""

ANTWOORDVOORWAARDEN: dict[Voorwaarde, Callable[[DemoDeelnemer], bool]] = {
    Voorwaarde.AFZENDER_STANDAARD_AKKOORD: lambda d: d.standaard_akkoord,
    Voorwaarde.EERDER_UITGEWISSELD: lambda d: True,  # the question is the earlier exchange
}


def _doet_mee(d: DemoDeelnemer, module: str, versie: str) -> bool:
    """Whether a demo participant's adresboek entry (``code`` or ``code:versie,versie``) has it."""
    for regel in d.modules:
        code, _, versies = regel.partition(":")
        if code == module and (not versies or versie in versies.split(",")):
            return True
    return False


def _kan_eerst(t: Berichttype, ontvanger: DemoDeelnemer) -> bool:
    for v in t.voorwaarden:
        if v in UITGESLOTEN_VOORWAARDEN:
            return False
        if v not in ONTVANGERVOORWAARDEN:
            raise AssertionError(f"{t.module} {t.versie} {t.code}: voorwaarde {v} is new to this test")
        if not ONTVANGERVOORWAARDEN[v](ontvanger):
            return False
    return True


def _mag_antwoorden(t: Berichttype, afzender: DemoDeelnemer) -> bool:
    for v in t.voorwaarden:
        if v not in ANTWOORDVOORWAARDEN:
            raise AssertionError(f"{t.module} {t.versie} {t.code}: voorwaarde {v} is new to this test")
        if not ANTWOORDVOORWAARDEN[v](afzender):
            return False
    return True


def _handboekantwoorden(vraag: str) -> set[str]:
    """The answers the handbook's upload files (art. 18.2, `csvformaat`) give to a question: the
    saldoverzoek and betaalvoorstel files; any other question of such a version is answered in none."""
    if vraag in SALDOVERZOEKEN:
        return set(csvformaat.SALDO_ANTWOORDEN.values())
    if vraag == csvformaat.BETAALVOORSTEL.code:
        return set(csvformaat.BETAALVOORSTEL_ANTWOORDEN.values())
    return set()


@dataclass(frozen=True)
class Ronde:
    module: str
    versie: str
    portaal: DemoDeelnemer
    """Keys in the browser: receives, downloads, answers, composes."""
    vrager: DemoDeelnemer
    """Keys hosted by the portal: sends with the SDK, opens the answers."""
    berichten: tuple[tuple[str, str | None], ...]
    """(type sent, answer to give or None for a notice without one)."""
    opstellen: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return f"{self.module}-{self.versie}"


def _vragen(module: str, versie: str) -> list[Berichttype]:
    return [
        t
        for t in CATALOGUS.alle()
        if t.module == module and t.versie == versie and not t.door_knooppunt and not t.is_antwoord
    ]


def _rol_van_de_portaaldeelnemer(module: str, versie: str) -> Rol:
    """The role that answers most of the module's questions (the creditor, the fund)."""
    telling: dict[Rol, int] = {}
    for t in _vragen(module, versie):
        for antwoord in csvindeling.antwoordtypen(module, versie, t.code):
            for rol in antwoord.van & t.naar:
                telling[rol] = telling.get(rol, 0) + 1
    assert telling, f"{module} {versie} has no question with an answer"
    return max(telling, key=lambda r: telling[r])


def rondes() -> list[Ronde]:
    uit: list[Ronde] = []
    for m in CATALOGUS.modules():
        for versie in m.versies:
            rol = _rol_van_de_portaaldeelnemer(m.code, versie)
            portaal = next(d for d in DEELNEMERS if d.rol == rol.value and _doet_mee(d, m.code, versie))
            gestuurd = [t for t in _vragen(m.code, versie) if rol in t.naar and _kan_eerst(t, portaal)]
            vragers = [
                d
                for d in DEELNEMERS
                if d is not portaal
                and d.rol != rol.value
                and _doet_mee(d, m.code, versie)
                and any(Rol(d.rol) in t.van for t in gestuurd)
            ]
            assert vragers, f"{m.code} {versie}: no demo participant with hosted keys asks the {rol.value}"
            vrager = vragers[0]
            berichten: list[tuple[str, str | None]] = []
            for t in gestuurd:
                if Rol(vrager.rol) not in t.van:
                    continue
                antwoorden = [
                    a.code
                    for a in csvindeling.antwoordtypen(m.code, versie, t.code)
                    if rol in a.van
                    and _mag_antwoorden(a, portaal)
                    and (not csvindeling.is_handboek(m.code, versie) or a.code in _handboekantwoorden(t.code))
                ]
                berichten += [(t.code, a) for a in antwoorden] or [(t.code, None)]
            opstellen = tuple(
                t.code
                for t in csvindeling.starttypen(m.code, versie, rol.value)
                if all(v in ANTWOORDVOORWAARDEN or v in ONTVANGERVOORWAARDEN for v in t.voorwaarden)
                and Rol(vrager.rol) in t.naar
            )
            uit.append(Ronde(m.code, versie, portaal, vrager, tuple(berichten), opstellen))
    return uit


RONDES = rondes()


def test_elke_module_en_versie() -> None:
    """Every (module, versie) of the catalogue has a round that answers at least one question, and
    the browser participants never send with the SDK (their keys are not the portal's)."""
    alle = {(t.module, t.versie) for t in CATALOGUS.alle()}
    assert {(r.module, r.versie) for r in RONDES} == alle
    for r in RONDES:
        assert any(a for _, a in r.berichten), f"{r.id}: no question answered"
    in_browser = {r.portaal.oin for r in RONDES}
    assert not in_browser & {r.vrager.oin for r in RONDES}, "a sender's keys would be in the browser"
    assert [r.id for r in RONDES if r.opstellen], "no module where the portal participant starts messages"


# --- the SDK side -----------------------------------------------------------------------------------------

# Run in the server's environment: argv[1] (hosted keys) sends argv[2] one message per entry of the JSON
# list argv[3] ([module, versie, code, client]), the type's example about that demo client.
VERSTUUR = r"""
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
for module, versie, code, klant in json.loads(sys.argv[3]):
    conversatie = str(uuid.uuid4())
    payload = _met_klant(voorbeeld(module, code, versie), klant)
    bericht = TeVersturen(sys.argv[2], code, payload, conversatie, module=module, versie=versie)
    with client.transactie() as (session, nu):
        afzender = client.deelnemer(session)
        sleutel = client.sleutel(session, "test", nu)
        envelop = client.verzegel(session, bericht, sleutel=sleutel, nu=nu)
        r, _ = mailbox.verstuur(session, afzender, envelop, nu=nu, instellingen=rt.instellingen)
        print(json.dumps({"ref": r.referentienummer, "conv": conversatie, "module": module,
                          "versie": versie, "type": code, "klant": payload.get("klantnummerSHV")}))
rt.close()
"""


def _open(srv: Portaalserver, oin: str, van: str) -> list[dict[str, Any]]:
    return [o for o in _python(srv, OPEN, oin) if o["afzender"] == van]


# --- the browser side -------------------------------------------------------------------------------------


@dataclass
class Werkplek:
    page: Any
    geheim: str
    lichamen: list[tuple[str, bytes]]
    fouten: list[str]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def srv(request: pytest.FixtureRequest) -> Portaalserver:
    """`knooppunt serve` on SQLite, and on PostgreSQL when KNOOPPUNT_TEST_DATABASE_URL is set."""
    gevonden: Portaalserver = request.getfixturevalue(
        "portaalserver" if request.param == "sqlite" else "portaal_pg"
    )
    return gevonden


@pytest.fixture(scope="module")
def werkplekken(browser: Any, srv: Portaalserver) -> Iterator[dict[str, Werkplek]]:
    """Per browser participant, made on first use: a page with the portal's CSP in force whose user
    made the organisation's keys (unlocked from then on); every request body recorded."""
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    contexten: list[Any] = []

    class Lui(dict[str, Werkplek]):
        def __missing__(self, oin: str) -> Werkplek:
            d = next(d for d in DEELNEMERS if d.oin == oin)
            ctx = browser.new_context(
                base_url=srv.url,
                ignore_https_errors=True,
                locale="nl-NL",
                viewport={"width": 1280, "height": 900},
                accept_downloads=True,
            )
            ctx.set_default_timeout(30_000)
            contexten.append(ctx)
            page = ctx.new_page()
            w = Werkplek(page, "", [], [])
            page.on(
                "request",
                lambda v: (
                    w.lichamen.append((v.url, bytes(v.post_data_buffer))) if v.post_data_buffer else None
                ),
            )
            page.on("console", lambda m: w.fouten.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: w.fouten.append(f"pageerror: {e}"))
            w.geheim = _maak_sleutels(page, "Wim Werkplek", _organisatie(d))
            self[oin] = w
            return w

    lui = Lui()
    yield lui
    for ctx in contexten:
        ctx.close()


def _organisatie(d: DemoDeelnemer) -> str:
    """The organisation as the login lists it: 'Naam (Rol)'."""
    rolnamen = {
        "SHV": "Schuldhulpverlener",
        "SE": "Schuldeiser",
        "BW": "Bewindvoerder",
        "WF": "Waarborgfonds",
    }
    return f"{d.naam} ({rolnamen[d.rol]})"


def _rijen(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def _als_csv(kop: list[str], rijen: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO(newline="")
    schrijver = csv.DictWriter(buffer, kop, delimiter=";", lineterminator="\r\n", restval="")
    schrijver.writeheader()
    schrijver.writerows(rijen)
    return buffer.getvalue().encode("utf-8-sig")


# The handbook's answer columns (art. 18.2) per kind of answer, as a creditor fills them in.
HANDBOEK = {
    "saldo": {
        "antwoord.klantnummerSE": "SE-{n}",
        "antwoord.contactpersoonSE.naam": "Team Werkplek",
        "antwoord.contactpersoonSE.email": "team@werkplek.example.nl",
        "antwoord.peildatum": "1-3-2026",
        "antwoord.betaalgegevens.iban": "NL91ABNA0417164300",
        "antwoord.vordering.factuurnummerSE": "FACT-WERKPLEK-{n}",
        "antwoord.vordering.schuldtype": "openstaand",
        "antwoord.vordering.hoofdsom": "125000",
        "antwoord.vordering.actueelBedrag": "125000",
    },
    "klant onbekend": {"antwoord.reden.code": "GEEN_MATCH", "antwoord.reden.tekst": "Niet gevonden {n}"},
    "akkoord": {"antwoord.klantnummerSE": "SE-{n}", "antwoord.betaalgegevens.iban": "NL91ABNA0417164300"},
    "niet akkoord": {"antwoord.reden.code": "AANBOD_TE_LAAG", "antwoord.reden.tekst": "Te laag {n}"},
}


def _handboekantwoord(rij: dict[str, str], antwoord: str, n: int) -> dict[str, str]:
    """The row with a handbook answer (schuldregeling 1.0): the kind in the file's kenmerk column."""
    for soort, antwoorden in (
        (csvformaat.SALDOVERZOEK, csvformaat.SALDO_ANTWOORDEN),
        (csvformaat.BETAALVOORSTEL, csvformaat.BETAALVOORSTEL_ANTWOORDEN),
    ):
        if soort.kenmerk in rij:
            soortnaam = next((k for k, v in antwoorden.items() if v == antwoord), None)
            assert soortnaam is not None, f"{antwoord} has no kind in {soort.kenmerk}"
            assert soortnaam in HANDBOEK, f"the handbook's answer '{soortnaam}' is new to this test"
            cellen = {k: v.format(n=n) for k, v in HANDBOEK[soortnaam].items()}
            return dict(rij, **{soort.kenmerk: soortnaam}, **cellen)
    raise AssertionError(f"no handbook answer column in {sorted(rij)}")


def _generiek_antwoord(rij: dict[str, str], antwoord: str) -> dict[str, str]:
    """The row with antwoord.berichttype and the answer's example as antwoord.* cells."""
    module, versie = rij["module"], rij["versie"]
    soort = CATALOGUS.zoek(module, antwoord, versie)
    assert soort is not None
    uit = dict(rij, **{csvindeling.ANTWOORDSOORT: soort.naam})
    for kolom, waarde in export.plat(voorbeeld(module, antwoord, versie)).items():
        if not kolom.endswith("#") and not export.is_pdf(waarde):
            uit[csvindeling.ANTWOORD + kolom] = export.cel(waarde)
    if rij.get("klantnummerSHV") and csvindeling.ANTWOORD + "klantnummerSHV" in uit:
        uit[csvindeling.ANTWOORD + "klantnummerSHV"] = rij["klantnummerSHV"]
    return uit


def _download(w: Werkplek, tmp_path: Path) -> zipfile.ZipFile:
    from playwright.sync_api import expect

    with w.page.expect_download(timeout=120_000) as wacht:
        w.page.get_by_role("button", name="Download maken").click()
    expect(w.page.locator("#download-voortgang")).to_contain_text("Klaar", timeout=60_000)
    pad = tmp_path / wacht.value.suggested_filename
    wacht.value.save_as(pad)
    return zipfile.ZipFile(pad)


def _verstuur_upload(w: Werkplek, bestanden: list[tuple[str, bytes]], aantal: int) -> None:
    """Upload; confirm the recipient's young certificate when the page asks; the result line."""
    from playwright.sync_api import expect

    page = w.page
    _upload(page, bestanden)
    uitslag, jong, fouten = (
        page.locator("#upload-uitslag"),
        page.locator("#upload-jong"),
        page.locator("#upload-fouten"),
    )
    zichtbaar = "#upload-uitslag:visible, #upload-jong:visible, #upload-fouten:visible"
    expect(page.locator(zichtbaar).first).to_be_visible(timeout=120_000)
    if jong.is_visible():
        page.get_by_label("Ik heb deze certificaten gecontroleerd; versleutel voor deze sleutels").check()
        page.get_by_role("button", name="Bestanden controleren en versturen").click()
        expect(page.locator("#upload-uitslag:visible, #upload-fouten:visible").first).to_be_visible(
            timeout=120_000
        )
    assert fouten.is_hidden(), "the upload was refused:\n" + page.locator("#upload-foutenlijst").inner_text()
    woord = "bericht" if aantal == 1 else "berichten"
    expect(uitslag).to_contain_text(f"Verstuurd: {aantal} {woord}", timeout=120_000)


def _opstellen(w: Werkplek, ronde: Ronde, code: str, ontvanger: str, conversatie: str, merk: str) -> None:
    """Opstellen: the type chosen, the form filled from its example (amounts in euro, lists as many
    rows as the form offers), sent; a young certificate confirmed when asked."""
    from playwright.sync_api import expect

    page = w.page
    soort = CATALOGUS.zoek(ronde.module, code, ronde.versie)
    assert soort is not None
    opties = page.locator("#opstel-type option")
    labels = [opties.nth(i).inner_text() for i in range(opties.count())]
    gezocht = f"{soort.naam} ({csvindeling.modulenaam(ronde.module)} {ronde.versie})"
    assert gezocht in labels, f"'{gezocht}' is not offered in Opstellen: {labels}"
    page.locator("#opstel-type").select_option(label=gezocht)
    expect(page.locator("#opstel-formulier")).to_be_visible()
    page.locator("#opstel-ontvanger").fill(ontvanger)
    page.locator("#opstel-conversatie").fill(conversatie)
    waarden = export.plat(voorbeeld(ronde.module, code, ronde.versie))
    velden = page.locator("#opstel-velden [data-pad]")
    tekstveld = None
    for i in range(velden.count()):
        veld = velden.nth(i)
        pad, soortnaam = veld.get_attribute("data-pad") or "", veld.get_attribute("data-soort") or ""
        kolom = re.sub(r"\.(\d+)(?=\.|$)", lambda g: f".{int(g.group(1)) + 1}", pad)  # plat counts from 1
        if kolom not in waarden or export.is_pdf(waarden[kolom]):
            continue
        waarde = waarden[kolom]
        if soortnaam == "bedrag":
            veld.fill(f"{int(waarde) / 100:.2f}".replace(".", ","))
        elif soortnaam in ("keuze", "janee"):
            veld.select_option(value=export.cel(waarde))
        else:
            veld.fill(str(waarde))
        if soortnaam in ("tekst", "tekstvak") and tekstveld is None and kolom == "toelichting":
            tekstveld = veld
    if tekstveld is not None:
        tekstveld.fill(merk)
    knop = page.get_by_role("button", name="Bericht controleren en versturen")
    knop.click()
    uitslag, jong, fouten = (
        page.locator("#opstel-uitslag"),
        page.locator("#opstel-jong"),
        page.locator("#opstel-fouten"),
    )
    zichtbaar = "#opstel-uitslag:visible, #opstel-jong:visible, #opstel-fouten:visible"
    expect(page.locator(zichtbaar).first).to_be_visible(timeout=60_000)
    if jong.is_visible() and not fouten.is_visible():
        page.get_by_label("Ik heb gecontroleerd dat dit certificaat van de ontvanger is").check()
        knop.click()
    assert fouten.is_hidden() or not fouten.inner_text().strip(), f"Opstellen refused: {fouten.inner_text()}"
    expect(uitslag).to_contain_text(f"Verstuurd: {soort.naam}", timeout=60_000)


@pytest.mark.parametrize("ronde", RONDES, ids=[r.id for r in RONDES])
def test_ronde_in_de_werkplek(
    ronde: Ronde, srv: Portaalserver, werkplekken: dict[str, Werkplek], tmp_path: Path
) -> None:
    w = werkplekken[ronde.portaal.oin]
    w.lichamen.clear()
    berichten = [[ronde.module, ronde.versie, code, 200 + i] for i, (code, _) in enumerate(ronde.berichten)]
    gestuurd = [
        json.loads(r)
        for r in srv.python(VERSTUUR, ronde.vrager.oin, ronde.portaal.oin, json.dumps(berichten)).splitlines()
        if r.startswith("{")
    ]
    assert len(gestuurd) == len(ronde.berichten)
    antwoord_van = {g["ref"]: a for g, (_, a) in zip(gestuurd, ronde.berichten, strict=True)}

    # 1. Downloaden: the zip made in the browser; every message's row in its type's CSV.
    zip_ = _download(w, tmp_path)
    per_ref: dict[str, tuple[str, dict[str, str]]] = {}
    for naam in zip_.namelist():
        if naam.endswith(".csv"):
            for rij in _rijen(zip_.read(naam)):
                if rij.get("referentienummer") in antwoord_van:
                    per_ref[rij["referentienummer"]] = (naam, rij)
    for g in gestuurd:
        assert g["ref"] in per_ref, f"{g['type']} {g['ref']} is not in any CSV of the zip: {zip_.namelist()}"
        naam, rij = per_ref[g["ref"]]
        verwacht = export.soort_van(g["type"], ronde.module, ronde.versie).bestand
        assert naam == verwacht, f"{g['type']} in {naam}, not in {verwacht}"
        assert rij["berichttype"] == g["type"] if "berichttype" in rij else True
        assert f"leesbaar/{g['type']}-{g['ref']}.txt" in zip_.namelist()

    # 2. Uploaden: the answers filled into the downloaded rows, sealed in the browser.
    handboek = csvindeling.is_handboek(ronde.module, ronde.versie)
    per_bestand: dict[str, tuple[list[str], list[dict[str, str]]]] = {}
    ingevuld_per_ref: dict[str, dict[str, str]] = {}
    volgnummer: dict[str, int] = {}
    for n, g in enumerate(gestuurd):
        antwoord = antwoord_van[g["ref"]]
        if antwoord is None:
            continue
        naam, rij = per_ref[g["ref"]]
        ingevuld = _handboekantwoord(rij, antwoord, n) if handboek else _generiek_antwoord(rij, antwoord)
        ingevuld_per_ref[g["ref"]] = ingevuld
        volgnummer[g["ref"]] = n
        kop = next(csv.reader(io.StringIO(zip_.read(naam).decode("utf-8-sig")), delimiter=";"))
        kop_, rijen = per_bestand.setdefault(naam.rsplit("/", 1)[-1], (kop, []))
        kop_ += [k for k in ingevuld if k not in kop_]
        rijen.append(ingevuld)
    te_uploaden = [(naam, _als_csv(kop, rijen)) for naam, (kop, rijen) in per_bestand.items()]
    verwacht_antwoorden = {r: a for r, a in antwoord_van.items() if a}
    _verstuur_upload(w, te_uploaden, len(verwacht_antwoorden))

    # 3. The SDK at the asking participant opens and validates every answer.
    geopend = {
        o["cross"]: o
        for o in _open(srv, ronde.vrager.oin, ronde.portaal.oin)
        if o["cross"] in verwacht_antwoorden
    }
    assert set(geopend) == set(verwacht_antwoorden), (sorted(geopend), verwacht_antwoorden)
    for ref, o in geopend.items():
        assert o["fout"] is None, o
        assert (o["type"], o["versie"]) == (verwacht_antwoorden[ref], ronde.versie), o
        assert o["conv"] == next(g["conv"] for g in gestuurd if g["ref"] == ref)
        # What was filled in is what the other side reads (the cells as the download writes them).
        gelezen = {k: export.cel(v) for k, v in export.plat(o["payload"]).items()}
        for kolom, waarde in ingevuld_per_ref[ref].items():
            if not kolom.startswith(csvindeling.ANTWOORD) or kolom == csvindeling.ANTWOORDSOORT or not waarde:
                continue
            if handboek:  # the handbook's columns are named otherwise; its own texts are in the answer
                if any(
                    waarde == v.format(n=volgnummer[ref])
                    for vorm in HANDBOEK.values()
                    for v in vorm.values()
                    if "{n}" in v
                ):
                    assert waarde in gelezen.values(), (ref, kolom, waarde, gelezen)
            else:
                veld = kolom.removeprefix(csvindeling.ANTWOORD)
                assert gelezen.get(veld) == waarde, (ref, veld, gelezen.get(veld), waarde)
    for url, data in w.lichamen:
        for waarde in (b"NL91ABNA0417164300", b"Team Werkplek"):
            assert waarde not in data, f"{waarde!r} reached the server in {url}"

    # 4. Opstellen, where the portal participant's role starts messages in this module and version.
    for code in ronde.opstellen:
        merk = f"Opgesteld in de werkplek {ronde.id} {code}"
        conv = gestuurd[0]["conv"]
        _opstellen(w, ronde, code, ronde.vrager.oin, conv, merk)
        (o,) = [
            o
            for o in _open(srv, ronde.vrager.oin, ronde.portaal.oin)
            if o["type"] == code and o["conv"] == conv and o["versie"] == ronde.versie
        ]
        assert o["fout"] is None, o
        if "toelichting" in (o["payload"] or {}):
            assert o["payload"]["toelichting"] == merk
    for url, data in w.lichamen:
        assert b"Opgesteld in de werkplek" not in data, f"composed text reached the server in {url}"
    assert not [f for f in w.fouten if "Content Security Policy" in f or "TrustedHTML" in f], w.fouten


# --- what the SDK checks before sending, in the werkplek's compose ------------------------------------------

WIJKTEAM = "00000003506789060000"
INCASSO = "00000003505678950000"
KREDIETBANK = "00000003507890170000"
FONDS = "00000003508901280000"


def _vul_voorbeeld(
    w: Werkplek, module: str, code: str, versie: str, ontvanger: str, anders: dict[str, str]
) -> None:
    """The type chosen and its form filled from its example (amounts in euro), `anders` typed over
    it (by data-pad, as a person types it)."""
    from playwright.sync_api import expect

    page = w.page
    soort = CATALOGUS.zoek(module, code, versie)
    assert soort is not None
    label = f"{soort.naam} ({csvindeling.modulenaam(module)} {versie})"
    expect(page.locator("#opstel-type option", has_text=label).first).to_be_attached(timeout=60_000)
    page.locator("#opstel-type").select_option(label=label)
    expect(page.locator("#opstel-formulier")).to_be_visible()
    page.locator("#opstel-ontvanger").fill(ontvanger)
    page.locator("#opstel-conversatie").fill("")
    waarden = export.plat(voorbeeld(module, code, versie))
    velden = page.locator("#opstel-velden [data-pad]")
    for i in range(velden.count()):
        veld = velden.nth(i)
        pad, soortnaam = veld.get_attribute("data-pad") or "", veld.get_attribute("data-soort") or ""
        kolom = re.sub(r"\.(\d+)(?=\.|$)", lambda g: f".{int(g.group(1)) + 1}", pad)
        if pad in anders:
            veld.fill(anders[pad])
        elif kolom in waarden and not export.is_pdf(waarden[kolom]):
            waarde = waarden[kolom]
            if soortnaam == "bedrag":
                veld.fill(f"{int(waarde) / 100:.2f}".replace(".", ","))
            elif soortnaam in ("keuze", "janee"):
                veld.select_option(value=export.cel(waarde))
            else:
                veld.fill(str(waarde))


def _controleer_en_verstuur(w: Werkplek) -> None:
    from playwright.sync_api import expect

    page = w.page
    knop = page.get_by_role("button", name="Bericht controleren en versturen")
    knop.click()
    zichtbaar = "#opstel-uitslag:visible, #opstel-jong:visible, #opstel-fouten:visible"
    expect(page.locator(zichtbaar).first).to_be_visible(timeout=60_000)
    if page.locator("#opstel-jong").is_visible() and not page.locator("#opstel-fouten").is_visible():
        page.get_by_label("Ik heb gecontroleerd dat dit certificaat van de ontvanger is").check()
        knop.click()


def test_opstellen_controleert_wat_de_sdk_controleert(
    srv: Portaalserver, werkplekken: dict[str, Werkplek]
) -> None:
    """DESIGN §3b: a pause lasts at most 8 months; the net credit is not above the gross. A werkplek
    tester composed both and the page said "Verstuurd" (the SDK refuses them): the compose now runs
    the payload model's rules (controles.js) after the JSON Schema, says what is wrong beside the field
    with its dates as dd-mm-jjjj, and sends nothing. An amount in euro ("133,34") in every amount field
    and a postcode without its space ("3011AA") are taken as the hosted form takes them."""
    from playwright.sync_api import expect

    # The recipients' keys in the browser before anything is sealed for them.
    fonds, incasso = werkplekken[FONDS], werkplekken[INCASSO]
    wijkteam = werkplekken[WIJKTEAM]
    page = wijkteam.page
    pauze = {"pauze.ingangsdatum": "2026-12-07", "pauze.einddatum": "2027-09-07", "adres.postcode": "3011AA"}
    _vul_voorbeeld(wijkteam, "pauzeknop", "kennisgeving", "2.0", INCASSO, pauze)
    _controleer_en_verstuur(wijkteam)
    fouten = page.locator("#opstel-fouten")
    expect(fouten).to_contain_text(
        "Einddatum: een pauze duurt hoogstens 8 maanden: einddatum (07-09-2027) mag niet na "
        "07-08-2027 liggen."
    )
    assert "Postcode" not in fouten.inner_text(), fouten.inner_text()
    assert "2027-09-07" not in fouten.inner_text()
    expect(page.locator("#opstel-uitslag")).not_to_contain_text("Verstuurd")
    expect(page.locator("#opstel-pauze-einddatum")).to_have_attribute("aria-invalid", "true")
    # Within 8 months it goes, its postcode written as the standard does.
    page.locator("#opstel-pauze-einddatum").fill("2027-08-07")
    _controleer_en_verstuur(wijkteam)
    expect(page.locator("#opstel-uitslag")).to_contain_text("Verstuurd", timeout=60_000)
    gezonden = re.search(r"referentienummer ([0-9a-f-]{36})", page.locator("#opstel-uitslag").inner_text())
    assert gezonden is not None
    incasso.page.get_by_role("button", name="Berichten ophalen").click()
    incasso.page.locator(f'button[data-referentienummer="{gezonden.group(1)}"]').click()
    inhoud = incasso.page.locator("#bericht-inhoud table.inhoud")
    expect(inhoud).to_contain_text("3011 AA")
    expect(inhoud).to_contain_text("07-08-2027")

    kredietbank = werkplekken[KREDIETBANK]
    page = kredietbank.page
    anders = {"nettoKredietsom": "5000,00", "brutoKredietsom": "4800,00", "maandaflossing": "133,34"}
    _vul_voorbeeld(kredietbank, "waarborgfonds", "aanvraag_borgstelling", "2.0", FONDS, anders)
    _controleer_en_verstuur(kredietbank)
    fouten = page.locator("#opstel-fouten")
    expect(fouten).to_contain_text(
        "nettoKredietsom (500000) mag niet hoger zijn dan brutoKredietsom (480000)"
    )
    assert "geheel getal" not in fouten.inner_text(), fouten.inner_text()
    expect(page.locator("#opstel-uitslag")).not_to_contain_text("Verstuurd")
    page.locator("#opstel-nettoKredietsom").fill("4500,00")
    _controleer_en_verstuur(kredietbank)
    expect(page.locator("#opstel-uitslag")).to_contain_text("Verstuurd", timeout=60_000)
    ref = re.search(r"referentienummer ([0-9a-f-]{36})", page.locator("#opstel-uitslag").inner_text())
    assert ref is not None

    # The fund opens it in its werkplek: amounts in euro, the traject named after the case's kenmerk,
    # and "Beantwoorden" carries the kenmerk over into the answer (as the upload does).
    page = fonds.page
    page.get_by_role("button", name="Berichten ophalen").click()
    page.locator(f'button[data-referentienummer="{ref.group(1)}"]').click()
    inhoud = page.locator("#bericht-inhoud table.inhoud")
    expect(inhoud).to_contain_text("€ 4.800,00")
    expect(inhoud).to_contain_text("€ 4.500,00")
    expect(inhoud).to_contain_text("€ 133,34")
    kenmerk = voorbeeld("waarborgfonds", "aanvraag_borgstelling", "2.0")["kenmerk"]
    expect(page.locator("#bericht-kop")).to_contain_text(f"Kenmerk {kenmerk}")
    page.get_by_role("button", name="Beantwoorden").click()
    expect(page.locator("#opstel-formulier")).to_be_visible()
    expect(page.locator("#opstel-kenmerk")).to_have_value(kenmerk)
    assert not [
        f
        for f in wijkteam.fouten + kredietbank.fouten + fonds.fouten + incasso.fouten
        if "Content Security Policy" in f or "TrustedHTML" in f
    ]


# A sender whose software skipped the payload model's rules (sealed without them): a pause of 9 months.
ONGELDIG = r"""
import json, sys, uuid
from knooppunt import runtime
from knooppunt.config import Settings
from knooppunt.hub import mailbox
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import Kluis
from knooppunt.protocol.payloads import payloadmodel
from knooppunt.protocol.payloads.voorbeelden import voorbeeld

van, aan = sys.argv[1], sys.argv[2]
rt = runtime.bouw(Settings(), upgrade=False)
client = Gastclient(rt, Kluis.uit_instellingen(rt.settings), van, wie="test")
payload = voorbeeld("pauzeknop", "kennisgeving", "2.0")
payload["klantnummerSHV"] = "SHV-ONGELDIG-9"
payload["pauze"] = {**payload["pauze"], "ingangsdatum": "2026-12-07", "einddatum": "2027-09-07"}
model = payloadmodel("pauzeknop", "kennisgeving", "2.0")
Gastclient.valideer = staticmethod(lambda b: model.model_construct(**b.payload))
bericht = TeVersturen(aan, "kennisgeving", payload, str(uuid.uuid4()), module="pauzeknop", versie="2.0")
with client.transactie() as (session, nu):
    afzender = client.deelnemer(session)
    envelop = client.verzegel(session, bericht, sleutel=client.sleutel(session, "test", nu), nu=nu)
    r, _ = mailbox.verstuur(session, afzender, envelop, nu=nu, instellingen=rt.instellingen)
print(json.dumps({"ref": r.referentienummer}))
rt.close()
"""


def test_de_ontvanger_toont_niet_wat_de_regels_van_het_model_weigeren(
    srv: Portaalserver, werkplekken: dict[str, Werkplek]
) -> None:
    """The SDK's fetch refuses a payload that breaks the model's rules (INHOUD_ONGELDIG); the
    recipient's werkplek had shown a 9-month pause. Opening it now says why it is not shown and to
    refuse it; the download leaves it out with INHOUD_ONGELDIG."""
    from playwright.sync_api import expect

    w = werkplekken[INCASSO]
    page = w.page
    gemeente = next(d for d in DEELNEMERS if d.naam == "Gemeente Demodorp").oin
    (gestuurd,) = [
        json.loads(r) for r in srv.python(ONGELDIG, gemeente, INCASSO).splitlines() if r.startswith("{")
    ]
    page.get_by_role("button", name="Berichten ophalen").click()
    page.locator(f'button[data-referentienummer="{gestuurd["ref"]}"]').click()
    fout = page.locator("#sleutels-fout")
    expect(fout).to_contain_text("Dit bericht wordt niet getoond (INHOUD_ONGELDIG)")
    expect(fout).to_contain_text("een pauze duurt hoogstens 8 maanden: einddatum (07-09-2027) mag niet na")
    expect(fout).to_contain_text("Weiger het bij Downloaden")
    expect(page.locator("#bericht")).to_be_hidden()
    assert "SHV-ONGELDIG-9" not in page.locator("#bericht-inhoud").inner_text()
