"""Every module in the portal (DESIGN §7 "every module"): the creditor (and the fund) downloads every
type addressed to it in every module and uploads answers for every type it answers, in the
question's module and version; layouts come from the module folders and the payload schemas.

The rows are filled from each module's examples (``voorbeeld``), so the tests hold for whatever the
payload models are: field-level assertions use schuldregeling, whose models are real.
"""

from __future__ import annotations

import base64
import zipfile
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from knooppunt.portaal import csvindeling, export
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Bericht
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.test_ontvangen import berichten_aan, csv_rijen, download
from tests.portaal.test_upload import als_csv, fouten, upload, verstuurd_door

SE_MODULES = ("schuldregeling", "saldoverzoek", "betalingsregeling", "bewind", "pauzeknop")


def _bestanden(zip_: zipfile.ZipFile, module: str) -> list[str]:
    return sorted(n for n in zip_.namelist() if n.startswith(f"{module}-") and n.endswith(".csv"))


def vul_antwoord(rij: dict[str, str], keuze: int = 0) -> dict[str, str]:
    """The row with an answer of the question's first (or ``keuze``-th) answer type, its cells
    from that type's example payload (new columns for list items beyond the download's)."""
    module, versie, vraag = rij["module"], rij["versie"], rij["berichttype"]
    typen = csvindeling.antwoordtypen(module, versie, vraag)
    antwoord = typen[keuze]
    uit = dict(rij)
    uit[csvindeling.ANTWOORDSOORT] = antwoord.naam
    for kolom, waarde in export.plat(voorbeeld(module, antwoord.code, versie)).items():
        if not kolom.endswith("#") and not export.is_pdf(waarde):
            uit[csvindeling.ANTWOORD + kolom] = export.cel(waarde)
    return uit


def _csv(rijen: list[dict[str, str]]) -> bytes:
    kop: list[str] = []
    for rij in rijen:
        kop += [k for k in rij if k not in kop]
    return als_csv(rijen, kop)


def _bericht(rt: Runtime, referentienummer: str) -> Bericht:
    with transactie(rt.sessions) as session:
        gevonden = session.scalars(select(Bericht).where(Bericht.referentienummer == referentienummer)).one()
        session.expunge(gevonden)
        return gevonden


# --- layouts ---------------------------------------------------------------------------------------------


def test_layout_follows_the_payload_schema() -> None:
    kolommen = [k.naam for k in csvindeling.kolommen("schuldregeling", "saldoverzoek_antwoord", "1.0")]
    assert "klantnummerSE" in kolommen and "contactpersoonSE.naam" in kolommen
    # lists numbered from 1, as many as the module's csv.py says (vorderingen: 5)
    assert "vorderingen.1.factuurnummerSE" in kolommen and "vorderingen.5.actueelBedrag" in kolommen
    assert "vorderingen.6.actueelBedrag" not in kolommen
    soort = {k.naam: k.soort for k in csvindeling.kolommen("schuldregeling", "saldoverzoek_antwoord", "1.0")}
    assert soort["vorderingen.1.actueelBedrag"] == "bedrag" and soort["peildatum"] == "datum"


@pytest.mark.parametrize("module", [m.code for m in CATALOGUS.modules()])
def test_every_module_has_a_layout_for_every_type_it_answers(module: str) -> None:
    """Adding a module adds files: the portal finds a layout for each of its questions."""
    for t in CATALOGUS.alle():
        if t.module != module or t.door_knooppunt:
            continue
        antwoorden = csvindeling.antwoordtypen(module, t.versie, t.code)
        kolommen = csvindeling.antwoordkolommen(module, t.versie, t.code)
        assert kolommen[0] == csvindeling.ANTWOORDSOORT
        for antwoord in antwoorden:
            assert antwoord.versie == t.versie and antwoord.beantwoordt_type(t.code)
        assert csvindeling.bestandsnaam(module, t.versie, t.code).startswith(f"{module}-{t.versie}/")


def test_answer_columns_of_schuldregeling_2_0_saldoverzoek() -> None:
    kolommen = csvindeling.antwoordkolommen("schuldregeling", "2.0", "saldoverzoek")
    namen = {t.code for t in csvindeling.antwoordtypen("schuldregeling", "2.0", "saldoverzoek")}
    assert namen == {"saldoverzoek_antwoord", "saldoverzoek_antwoord_standaard_akkoord", "geen_medewerking"}
    assert "antwoord.klantnummerSE" in kolommen


def test_cells_become_values() -> None:
    kolom = csvindeling.Kolom("x", "keuze", (("openstaand", "Openstaand"), ("onbekend", "Onbekend")))
    assert csvindeling.waarde(kolom, "Openstaand") == "openstaand"
    assert csvindeling.waarde(csvindeling.Kolom("d", "datum"), "1-3-2024") == "2024-03-01"
    assert csvindeling.waarde(csvindeling.Kolom("b", "janee"), "Ja") is True
    doel: dict[str, Any] = {}
    csvindeling.zet(doel, "vorderingen.2.hoofdsom", 5)
    csvindeling.zet(doel, "vorderingen.1.hoofdsom", 3)
    csvindeling.zet(doel, "klant.achternaam", "Jansen")
    assert csvindeling.als_lijsten(doel) == {
        "vorderingen": [{"hoofdsom": 3}, {"hoofdsom": 5}],
        "klant": {"achternaam": "Jansen"},
    }
    assert csvindeling.kolom_van_pad("vorderingen[0].hoofdsom") == "vorderingen.1.hoofdsom"


# --- download and upload per module ---------------------------------------------------------------------


@pytest.mark.parametrize("module", SE_MODULES)
def test_creditor_downloads_and_answers_every_module(
    portaal: TestClient, demo: object, rt: Runtime, module: str
) -> None:
    inloggen(portaal, "incasso")
    vragen = berichten_aan(rt, "incasso", module=module)
    assert vragen, f"the demo has no {module} messages for the creditor"
    zip_ = download(portaal)
    bestanden = _bestanden(zip_, module)
    in_zip = {r["referentienummer"]: r for naam in bestanden for r in csv_rijen(zip_, naam)}
    assert {v.referentienummer for v in vragen} <= set(in_zip)
    for vraag in vragen:
        rij = in_zip[vraag.referentienummer]
        assert (rij["module"], rij["versie"], rij["berichttype"]) == (module, vraag.versie, vraag.berichttype)
    assert "LEESMIJ.txt" in zip_.namelist()
    assert f"{module}-2.0/" in zip_.read("LEESMIJ.txt").decode("utf-8-sig")

    te_beantwoorden = [v for v in vragen if csvindeling.antwoordtypen(module, v.versie, v.berichttype)]
    assert te_beantwoorden
    uploads = []
    for naam in bestanden:
        rijen = csv_rijen(zip_, naam)
        if csvindeling.ANTWOORDSOORT not in rijen[0]:
            continue
        uploads.append((naam.rsplit("/", 1)[-1], _csv([vul_antwoord(r) for r in rijen])))
    pagina = upload(portaal, *uploads)
    assert pagina.status_code == 200, fouten(pagina.text) if "foutentabel" in pagina.text else pagina.text
    for vraag in te_beantwoorden:
        antwoorden = _antwoorden_op(rt, vraag.referentienummer)
        assert len(antwoorden) == 1
        antwoord = antwoorden[0]
        # an answer goes in its question's module and version, to the question's sender
        assert (antwoord.module, antwoord.versie) == (vraag.module, vraag.versie)
        assert antwoord.ontvanger == vraag.afzender
        assert _bericht(rt, vraag.referentienummer).beantwoord_op is not None

    # The same upload again sends nothing twice.
    voor = verstuurd_door(rt, "incasso")
    opnieuw = upload(portaal, *uploads)
    assert opnieuw.status_code == 200 and verstuurd_door(rt, "incasso") == voor


def _antwoorden_op(rt: Runtime, referentienummer: str) -> list[Bericht]:
    with transactie(rt.sessions) as session:
        rijen = list(
            session.scalars(select(Bericht).where(Bericht.cross_referentienummer == referentienummer))
        )
        for rij in rijen:
            session.expunge(rij)
        return [r for r in rijen if r.afzender != "KNOOPPUNT" and r.berichttype != "ontvangstbevestiging"]


def test_the_fund_answers_a_kredietbank(portaal: TestClient, demo: object, rt: Runtime) -> None:
    inloggen(portaal, "fonds")
    zip_ = download(portaal)
    bestanden = _bestanden(zip_, "waarborgfonds")
    assert "waarborgfonds-2.0/voorbeoordelingen.csv" in bestanden
    rijen = csv_rijen(zip_, "waarborgfonds-2.0/voorbeoordelingen.csv")
    assert csvindeling.ANTWOORDSOORT in rijen[0]
    pagina = upload(portaal, ("voorbeoordelingen.csv", _csv([vul_antwoord(r) for r in rijen])))
    assert pagina.status_code == 200, fouten(pagina.text) if "foutentabel" in pagina.text else pagina.text
    (antwoord,) = _antwoorden_op(rt, rijen[0]["referentienummer"])
    assert (antwoord.module, antwoord.berichttype, antwoord.ontvanger) == (
        "waarborgfonds",
        "gebeurtenis",
        oin_van("kredietbank"),
    )


def test_an_unknown_answer_or_another_version_is_refused_and_nothing_is_sent(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    inloggen(portaal, "incasso")
    zip_ = download(portaal)
    rijen = csv_rijen(zip_, "bewind-2.0/meldingen_bewind.csv")
    goed = vul_antwoord(rijen[0])
    fout = dict(goed, **{csvindeling.ANTWOORDSOORT: "misschien"})
    pagina = upload(portaal, ("meldingen_bewind.csv", _csv([fout])))
    assert pagina.status_code == 422
    ((bestand, rij, kolom, reden),) = fouten(pagina.text)
    assert (bestand, rij, kolom.split(" ")[0]) == ("meldingen_bewind.csv", "2", "antwoord.berichttype")
    assert "'misschien' is geen antwoord op een melding bewind" in reden and "'Geen medewerking'" in reden

    # The answer goes in the question's version: a row that claims another one is refused.
    saldo = csv_rijen(zip_, "schuldregeling-2.0/saldoverzoeken.csv")
    ander = dict(vul_antwoord(saldo[0]), versie="1.0")
    pagina = upload(portaal, ("saldoverzoeken.csv", _csv([ander])))
    assert pagina.status_code == 422
    assert verstuurd_door(rt, "incasso") == 0


def test_a_row_without_answer_is_skipped(portaal: TestClient, demo: object, rt: Runtime) -> None:
    inloggen(portaal, "incasso")
    zip_ = download(portaal)
    rijen = csv_rijen(zip_, "pauzeknop-2.0/kennisgevingen_pauze.csv")
    pagina = upload(portaal, ("kennisgevingen_pauze.csv", _csv(rijen)))
    assert pagina.status_code == 400 and "Er is niets te versturen" in pagina.text
    assert verstuurd_door(rt, "incasso") == 0


def test_a_creditor_starts_a_message_in_another_module_in_the_highest_common_version(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    """A statusverzoek in betalingsregeling (from a template of the upload page): no version given,
    so the highest version both accept (DESIGN §3a)."""
    inloggen(portaal, "incasso")
    (vraag, *_) = berichten_aan(rt, "incasso", module="betalingsregeling")
    kolommen = csvindeling.startkolommen("betalingsregeling", "statusverzoek", "2.0")
    sjabloon = portaal.get("/portaal/upload/sjabloon/betalingsregeling-statusverzoek.csv")
    assert sjabloon.status_code == 200
    assert sjabloon.content.decode("utf-8-sig").splitlines()[0] == ";".join(kolommen)
    rij = {
        "module": "betalingsregeling",
        "versie": "",
        "berichttype": "statusverzoek",
        "ontvanger": vraag.afzender,
        "conversatieReferentienummer": vraag.conversatie_referentienummer,
    }
    for kolom, waarde in export.plat(voorbeeld("betalingsregeling", "statusverzoek")).items():
        if not kolom.endswith("#"):
            rij[kolom] = export.cel(waarde)
    pagina = upload(portaal, ("statusverzoeken.csv", _csv([rij])))
    assert pagina.status_code == 200, fouten(pagina.text) if "foutentabel" in pagina.text else pagina.text
    with transactie(rt.sessions) as session:
        verzoek = session.scalars(
            select(Bericht).where(
                Bericht.afzender == oin_van("incasso"), Bericht.berichttype == "statusverzoek"
            )
        ).one()
        assert (verzoek.module, verzoek.versie, verzoek.ontvanger) == (
            "betalingsregeling",
            "2.0",
            vraag.afzender,
        )


def test_the_upload_page_says_per_module_what_is_answered(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "incasso")
    pagina = portaal.get("/portaal/upload").text
    assert "Per module" in pagina and "Meldingen bewindvoering" in pagina
    assert "bewind-2.0/meldingen_bewind.csv" in pagina and "‘Geen medewerking’" in pagina
    assert "/portaal/upload/sjabloon/betalingsregeling-statusverzoek.csv" in pagina
    assert "Saldoverzoek antwoorden</h3>" not in pagina  # the handbook's 1.0 files are not its
    assert "Upload hier uw antwoorden in de modules waaraan uw organisatie meedoet" in pagina
    assert "antwoorden op saldoverzoeken en betaalvoorstellen, en uw statusverzoeken" not in pagina
    inloggen(portaal, "fonds")  # the fund answers no saldoverzoek and starts no statusverzoek
    fonds = portaal.get("/portaal/upload").text
    assert "statusverzoek" not in fonds and "Waarborgfonds saneringskredieten" in fonds
    inloggen(portaal, "energie")
    handboek = portaal.get("/portaal/upload").text
    assert "Per module" not in handboek and "Saldoverzoek antwoorden</h3>" in handboek
    assert portaal.get("/portaal/upload/sjabloon/bewind-melding_bewind.csv").status_code == 404


def test_a_document_goes_in_the_zip_not_in_a_cell() -> None:
    from knooppunt.client.hub import Ontvangen
    from knooppunt.portaal import leesbaar

    pdf = base64.b64encode(b"%PDF-1.4\n" + b"x" * 200).decode()
    bericht = Ontvangen(
        envelop={
            "referentienummer": "0f0e0d0c-0b0a-4909-8807-060504030201",
            "conversatieReferentienummer": "1f0e0d0c-0b0a-4909-8807-060504030201",
            "berichttype": "melding_bewind",
            "module": "bewind",
            "versie": "2.0",
            "afzender": oin_van("bewindvoerder"),
            "ontvangenOp": "2026-12-01T10:00:00+00:00",
            "verlooptOp": "2026-12-08T10:00:00+00:00",
        },
        payload={"beschikking": {"document": {"inhoud": pdf}}},
    )
    (naam, data), *_ = export.bijlagen(bericht)
    assert naam.startswith("bijlagen/melding_bewind-") and naam.endswith(".pdf") and data.startswith(b"%PDF")
    soort = export.soort_van_bericht(bericht)
    assert soort.bestand == "bewind-2.0/meldingen_bewind.csv"
    tekst = export.csv_van(soort, [bericht], {}).decode("utf-8-sig")
    assert naam in tekst and pdf not in tekst
    assert "PDF-document" in leesbaar.waarde("inhoud", pdf)


def test_an_answer_takes_over_only_the_fields_it_requires_from_its_question() -> None:
    """A gebeurtenis answering an aanvraag_borgstelling gets the case's kenmerk from the question's
    row, not its proFormaBorgstelling (allowed only with gebeurtenis pro_forma_afgegeven)."""
    from knooppunt.portaal import csvmodules

    kolommen = [
        csvindeling.Kolom("kenmerk", "tekst", verplicht=True),
        csvindeling.Kolom("proFormaBorgstelling", "tekst", verplicht=False),
    ]
    payload: dict[str, Any] = {"gebeurtenis": "borgstelling_afgegeven"}
    csvmodules._neem_over(payload, {"kenmerk": "KB-2026-0042", "proFormaBorgstelling": "0d9c…"}, kolommen)
    assert payload == {"gebeurtenis": "borgstelling_afgegeven", "kenmerk": "KB-2026-0042"}
