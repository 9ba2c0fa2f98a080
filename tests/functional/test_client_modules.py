"""The SDK and `knooppunt client` for every module and version (DESIGN §3a, §3b) against a real
`knooppunt serve`: the generic builder, the reply helpers, the choice of version from the
adresboek's ``versies``, and the SDK's own refusals before anything is sent."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from knooppunt.client.berichten import antwoordtypen, kies_versie
from knooppunt.client.fouten import VerzendFout
from knooppunt.client.hub import HubClient, TeVersturen
from knooppunt.hub import adresboek
from knooppunt.pki import ontwikkel_ca
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from tests.conftest import registreer
from tests.factories import Partij
from tests.functional.server import Hub, start_hub
from tests.functional.test_client import _cli, _verbinding

ALLE = ["schuldregeling", "saldoverzoek", "betalingsregeling", "bewind", "pauzeknop"]


@pytest.fixture
def partijen(rt: Runtime, pki: dict[str, Partij], pki_dir: Path, tmp_path: Path) -> dict[str, Partij]:
    """SHV, SE, WF and BW on the modules and versions each test needs."""
    map_ = tmp_path / "certs"
    map_.mkdir()
    # The CA lives in pki_dir; the new certificates go to this test's own directory.
    fonds = ontwikkel_ca.issue(
        pki_dir, oin="00000003411234560000", naam="Stichting Borg", key_type="ec", uit_map=map_
    )
    bewind = ontwikkel_ca.issue(
        pki_dir, oin="00000003512345670000", naam="Bewind & Co", key_type="rsa", uit_map=map_
    )
    uit = {
        "gemeente": pki["gemeente"],
        "kredietbank": pki["kredietbank"],
        "energie": pki["energie"],
        "woning": pki["woning"],
        "fonds": Partij(
            "00000003411234560000", "Stichting Borg", "WF", "41123456", fonds.certificaat, fonds.sleutel
        ),
        "bewind": Partij(
            "00000003512345670000", "Bewind & Co", "BW", "51234567", bewind.certificaat, bewind.sleutel
        ),
    }
    registreer(rt, uit["gemeente"], modules=[*ALLE, "waarborgfonds"])
    registreer(rt, uit["kredietbank"], modules=["schuldregeling:2.0"])
    registreer(rt, uit["energie"], modules=ALLE)
    registreer(rt, uit["woning"], modules=["schuldregeling:1.0", "saldoverzoek"])
    registreer(rt, uit["fonds"], modules=["waarborgfonds"])
    registreer(rt, uit["bewind"], modules=["bewind", "saldoverzoek"])
    return uit


@pytest.fixture
def hub(database_url: str, tmp_path: Path, pki_dir: Path, partijen: dict[str, Partij]) -> Iterator[Hub]:
    with start_hub(database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir) as h:
        yield h


def sdk(hub: Hub, partij: Partij) -> HubClient:
    return HubClient(hub.url, cert=partij.cert_pad, key=partij.key_pad, ca=hub.ca)


# (module, van, naar, vraag, antwoord): one question and its answer in every module.
VRAAG_EN_ANTWOORD = [
    ("schuldregeling", "gemeente", "energie", "saldoverzoek_nuts", "saldoverzoek_antwoord"),
    ("saldoverzoek", "bewind", "energie", "saldoverzoek", "saldoverzoek_antwoord"),
    ("betalingsregeling", "gemeente", "energie", "betaalvoorstel", "betaalvoorstel_niet_akkoord"),
    ("waarborgfonds", "gemeente", "fonds", "aanvraag_borgstelling", "gebeurtenis"),
    ("bewind", "bewind", "energie", "melding_bewind", "melding_bewind_antwoord"),
    ("pauzeknop", "gemeente", "energie", "kennisgeving", "kennisgeving_antwoord"),
]


def _een(client: HubClient, **filter_: Any) -> Any:
    [bericht] = [b for b in client.ontvang(**filter_) if not b.van_knooppunt]
    assert bericht.fout is None, bericht.foutdetail
    return bericht


def test_elke_module_heen_en_terug_in_de_hoogste_gemeenschappelijke_versie(
    hub: Hub, partijen: dict[str, Partij]
) -> None:
    for module, van, naar, vraag, antwoord in VRAAG_EN_ANTWOORD:
        conversatie = str(uuid.uuid4())
        vraag_payload = voorbeeld(module, vraag, "2.0")
        if van == "bewind" and module == "saldoverzoek":
            # DESIGN §3b: a bewindvoerder asks on the beschikking, sent along (the SDK checks it).
            vraag_payload["grondslag"] = "beschikking"
            vraag_payload["grondslagDocument"] = voorbeeld("bewind", "melding_bewind")["beschikking"][
                "document"
            ]
        with sdk(hub, partijen[van]) as afzender, sdk(hub, partijen[naar]) as ontvanger:
            verzonden = afzender.verstuur(
                ontvanger=partijen[naar].oin,
                berichttype=vraag,
                payload=vraag_payload,
                conversatie=conversatie,
                module=module,
            )
            assert (verzonden.bericht["module"], verzonden.bericht["versie"]) == (module, "2.0")
            ontvangen = _een(ontvanger, module=module)
            assert ontvangen.payload == vraag_payload
            assert antwoord in ontvangen.antwoordtypen
            beantwoord = ontvanger.antwoord(
                ontvangen, berichttype=antwoord, payload=voorbeeld(module, antwoord, "2.0")
            )
            assert beantwoord.bericht["crossReferentienummer"] == verzonden.referentienummer
            assert beantwoord.bericht["conversatieReferentienummer"] == conversatie
            assert (beantwoord.bericht["module"], beantwoord.bericht["versie"]) == (module, "2.0")
            terug = _een(afzender, module=module)
            assert terug.berichttype == antwoord
            assert terug.payload == voorbeeld(module, antwoord, "2.0")
            afzender.bevestig(terug)
            status = {b["referentienummer"]: b["status"] for b in afzender.verzonden(conversatie=conversatie)}
            assert status[verzonden.referentienummer] == "beantwoord", module
            for client in (afzender, ontvanger):
                client.bevestig_meerdere(list(client.ontvang()))


def test_heroverweging_verwijst_naar_het_niet_akkoord_en_krijgt_een_nieuw_antwoord(
    hub: Hub, partijen: dict[str, Partij]
) -> None:
    """2.0: niet akkoord → heroverweging (refers, never answers) → akkoord → geaccordeerd."""
    m = "schuldregeling"
    gemeente, energie = partijen["gemeente"], partijen["energie"]
    conversatie = str(uuid.uuid4())
    with sdk(hub, gemeente) as shv, sdk(hub, energie) as se:
        shv.verstuur(
            ontvanger=energie.oin,
            berichttype="betaalvoorstel",
            payload=voorbeeld(m, "betaalvoorstel", "2.0"),
            conversatie=conversatie,
        )
        voorstel = _een(se)
        se.antwoord(
            voorstel,
            berichttype="betaalvoorstel_niet_akkoord",
            payload=voorbeeld(m, "betaalvoorstel_niet_akkoord", "2.0"),
        )
        niet_akkoord = _een(shv, berichttype="betaalvoorstel_niet_akkoord")
        assert niet_akkoord.antwoordtypen == ["heroverweging"]
        heroverweging = shv.antwoord(
            niet_akkoord, berichttype="heroverweging", payload=voorbeeld(m, "heroverweging", "2.0")
        )
        assert heroverweging.bericht["versie"] == "2.0"
        verzoek = _een(se, berichttype="heroverweging")
        se.antwoord(
            verzoek,
            berichttype="betaalvoorstel_akkoord",
            payload=voorbeeld(m, "betaalvoorstel_akkoord", "2.0"),
        )
        _een(shv, berichttype="betaalvoorstel_akkoord")
        geaccordeerd = shv.verstuur(
            ontvanger=energie.oin,
            berichttype="schuldregeling_geaccordeerd",
            payload=voorbeeld(m, "schuldregeling_geaccordeerd", "2.0"),
            conversatie=conversatie,
        )
        assert geaccordeerd.bericht["status"] == "aangeboden"


def test_versie_uit_het_adresboek_en_de_fouten_van_de_sdk(hub: Hub, partijen: dict[str, Partij]) -> None:
    m = "schuldregeling"
    gemeente, woning, kredietbank = partijen["gemeente"], partijen["woning"], partijen["kredietbank"]
    with sdk(hub, gemeente) as shv, sdk(hub, kredietbank) as kb, sdk(hub, woning) as se:
        assert shv.deelnemer(woning.oin).versies(m) == ("1.0",)  # type: ignore[union-attr]
        # Woningcorporatie accepts 1.0 only: that is the highest version both accept.
        vraag = shv.verstuur(
            ontvanger=woning.oin,
            berichttype="saldoverzoek",
            payload=voorbeeld(m, "saldoverzoek", "1.0"),
            conversatie=str(uuid.uuid4()),
        )
        assert vraag.bericht["versie"] == "1.0"
        # A heroverweging exists in 2.0 only, which the two have not in common: without versie,
        # no version both accept has the type (docs/vendor-guide.md: GEEN_GEMEENSCHAPPELIJKE_VERSIE).
        zonder_versie: dict[str, Any] = {
            "module": m,
            "berichttype": "heroverweging",
            "payload": voorbeeld(m, "heroverweging", "2.0"),
            "ontvanger": woning.oin,
        }
        for maak in (shv.bericht, shv.verstuur):
            with pytest.raises(VerzendFout) as fout:
                maak(**zonder_versie, conversatie=str(uuid.uuid4()))
            assert fout.value.code == "GEEN_GEMEENSCHAPPELIJKE_VERSIE"
            assert "beide ondersteunen (1.0)" in fout.value.detail
            assert "het bestaat in versie 2.0" in fout.value.detail
        # With an explicit versie in which the type does not exist it is that version's fault.
        with pytest.raises(VerzendFout) as fout:
            shv.bericht(
                m, "heroverweging", {}, ontvanger=woning.oin, conversatie=str(uuid.uuid4()), versie="1.0"
            )
        assert fout.value.code == "ONBEKENDE_VERSIE"
        assert "bestaat niet in versie 1.0" in fout.value.detail
        # A version the recipient does not accept, stated explicitly.
        with pytest.raises(VerzendFout) as fout:
            shv.verstuur(
                ontvanger=woning.oin,
                berichttype="saldoverzoek",
                payload=voorbeeld(m, "saldoverzoek", "2.0"),
                conversatie=str(uuid.uuid4()),
                versie="2.0",
            )
        assert fout.value.code == "VERSIE_NIET_ONDERSTEUND"
        assert "beide versie 1.0" in fout.value.detail
        # The kredietbank accepts 2.0 only: no version in common.
        with pytest.raises(VerzendFout) as fout:
            kb.verstuur(
                ontvanger=woning.oin,
                berichttype="saldoverzoek",
                payload=voorbeeld(m, "saldoverzoek", "2.0"),
                conversatie=str(uuid.uuid4()),
            )
        assert fout.value.code == "GEEN_GEMEENSCHAPPELIJKE_VERSIE"
        # The answer goes in its question's version; a wrong type or version is refused here.
        ontvangen = _een(se)
        assert ontvangen.versie == "1.0"
        with pytest.raises(VerzendFout) as fout:
            se.antwoord(ontvangen, berichttype="betaalvoorstel_akkoord", payload={})
        assert fout.value.code == "GEEN_ANTWOORD"
        assert "saldoverzoek_antwoord" in fout.value.detail
        with pytest.raises(VerzendFout) as fout:  # a reminder refers to one's own question only
            se.antwoord(ontvangen, berichttype="reminder", payload={})
        assert fout.value.code == "GEEN_ANTWOORD"
        with pytest.raises(VerzendFout) as fout:
            se.antwoord(ontvangen, berichttype="saldoverzoek_antwoord", payload={}, versie="2.0")
        assert fout.value.code == "ANDERE_VERSIE"
        antwoord = se.antwoord(
            ontvangen, berichttype="klant_onbekend", payload=voorbeeld(m, "klant_onbekend", "1.0")
        )
        assert antwoord.bericht["versie"] == "1.0"
        # An unknown module or type says what exists.
        with pytest.raises(VerzendFout) as fout:
            shv.bericht("schuld", "saldoverzoek", {}, ontvanger=woning.oin, conversatie=str(uuid.uuid4()))
        assert fout.value.code == "ONBEKENDE_MODULE"
        with pytest.raises(VerzendFout) as fout:
            shv.bericht("bewind", "betaalvoorstel", {}, ontvanger=woning.oin, conversatie=str(uuid.uuid4()))
        assert fout.value.code == "ONBEKEND_BERICHTTYPE"
        assert "schuldregeling" in fout.value.detail


def test_herinnering_in_de_module_en_versie_van_de_vraag(hub: Hub, partijen: dict[str, Partij]) -> None:
    gemeente, woning = partijen["gemeente"], partijen["woning"]
    with sdk(hub, gemeente) as shv:
        vraag = shv.verstuur(
            ontvanger=woning.oin,
            berichttype="saldoverzoek",
            payload=voorbeeld("saldoverzoek", "saldoverzoek", "2.0"),
            conversatie=str(uuid.uuid4()),
            module="saldoverzoek",
        )
        herinnering = shv.herinner(vraag, payload=voorbeeld("saldoverzoek", "reminder", "2.0"))
        assert herinnering.bericht["crossReferentienummer"] == vraag.referentienummer
        assert (herinnering.bericht["module"], herinnering.bericht["versie"]) == ("saldoverzoek", "2.0")
        status = {b["referentienummer"]: b["status"] for b in shv.verzonden(module="saldoverzoek")}
        assert status[vraag.referentienummer] == "aangeboden"  # a reminder answers nothing


def test_kies_versie_en_antwoordtypen_uit_de_catalogus() -> None:
    assert kies_versie("schuldregeling", "saldoverzoek", ["1.0", "2.0"], ["2.0", "1.0"]) == "2.0"
    assert kies_versie("schuldregeling", "klant_onbekend", ["1.0", "2.0"], ["1.0", "2.0"]) == "1.0"
    with pytest.raises(VerzendFout) as fout:
        kies_versie("schuldregeling", "saldoverzoek", ["2.0"], ["1.0"])
    assert fout.value.code == "GEEN_GEMEENSCHAPPELIJKE_VERSIE"
    # A version in common, but the type is not in it: no version to take either.
    with pytest.raises(VerzendFout) as fout:
        kies_versie("schuldregeling", "heroverweging", ["1.0", "2.0"], ["1.0"])
    assert fout.value.code == "GEEN_GEMEENSCHAPPELIJKE_VERSIE"
    assert "het bestaat in versie 2.0 (u: 1.0, 2.0; de ontvanger: 1.0)" in fout.value.detail
    assert antwoordtypen("schuldregeling", "betaalvoorstel", "1.0") == [
        "betaalvoorstel_akkoord",
        "betaalvoorstel_niet_akkoord",
    ]
    assert antwoordtypen("schuldregeling", "betaalvoorstel", "1.0", ontvangen=False) == ["reminder"]
    assert antwoordtypen("schuldregeling", "betaalvoorstel_niet_akkoord", "2.0", ontvangen=False) == []
    assert "heroverweging" in antwoordtypen("schuldregeling", "betaalvoorstel_niet_akkoord", "2.0")
    assert antwoordtypen("waarborgfonds", "aanvraag_borgstelling", "2.0") == ["gebeurtenis"]


def test_cli_elke_module_en_versie(hub: Hub, partijen: dict[str, Partij], tmp_path: Path) -> None:
    gemeente, energie, woning = partijen["gemeente"], partijen["energie"], partijen["woning"]
    vraag_pad = tmp_path / "kennisgeving.json"
    vraag_pad.write_text(json.dumps(voorbeeld("pauzeknop", "kennisgeving", "2.0")), encoding="utf-8")
    antwoord_pad = tmp_path / "antwoord.json"
    antwoord_pad.write_text(
        json.dumps(voorbeeld("pauzeknop", "kennisgeving_antwoord", "2.0")), encoding="utf-8"
    )
    conversatie = str(uuid.uuid4())
    verbinding_shv, verbinding_se = _verbinding(hub, gemeente), _verbinding(hub, energie)

    def send(verbinding: list[str | Path], *extra: str | Path) -> Any:
        return _cli("send", *verbinding, "--conversatie", conversatie, *extra)

    verstuurd = send(
        verbinding_shv, "--ontvanger", energie.oin, "--module", "pauzeknop",
        "--berichttype", "kennisgeving", "--payload", vraag_pad,
    )  # fmt: skip
    assert verstuurd.returncode == 0, verstuurd.stderr
    vraag = json.loads(verstuurd.stdout)
    assert (vraag["module"], vraag["versie"]) == ("pauzeknop", "2.0")

    opgehaald = _cli(
        "fetch", *verbinding_se, "--module", "pauzeknop", "--bevestig", "--verwerkt", tmp_path / "v"
    )
    assert opgehaald.returncode == 0, opgehaald.stderr
    [regel] = [json.loads(r) for r in opgehaald.stdout.splitlines()]
    assert regel["payload"] == voorbeeld("pauzeknop", "kennisgeving", "2.0")

    # The answer takes its question's module and version from --antwoord-op.
    beantwoord = send(
        verbinding_se, "--ontvanger", gemeente.oin,
        "--berichttype", "kennisgeving_antwoord", "--payload", antwoord_pad,
        "--antwoord-op", vraag["referentienummer"],
    )  # fmt: skip
    assert beantwoord.returncode == 0, beantwoord.stderr
    antwoord = json.loads(beantwoord.stdout)
    assert (antwoord["versie"], antwoord["crossReferentienummer"]) == ("2.0", vraag["referentienummer"])

    # A type that does not exist in the stated version: refused before sending, exit 2.
    fout = send(
        verbinding_shv, "--ontvanger", energie.oin, "--module", "pauzeknop", "--versie", "1.0",
        "--berichttype", "kennisgeving", "--payload", vraag_pad,
    )  # fmt: skip
    assert fout.returncode == 2
    assert json.loads(fout.stdout)["fout"]["code"] == "ONBEKENDE_VERSIE"
    assert "bestaat niet in versie 1.0" in fout.stderr

    # Default version: the highest common one (Woningcorporatie accepts schuldregeling 1.0 only).
    saldo_pad = tmp_path / "saldoverzoek.json"
    saldo_pad.write_text(json.dumps(voorbeeld("schuldregeling", "saldoverzoek", "1.0")), encoding="utf-8")
    naar_woning = send(
        verbinding_shv, "--ontvanger", woning.oin, "--berichttype", "saldoverzoek", "--payload", saldo_pad
    )
    assert naar_woning.returncode == 0, naar_woning.stderr
    assert json.loads(naar_woning.stdout)["versie"] == "1.0"

    typen = _cli("berichttypen", *verbinding_shv, "--module", "waarborgfonds", "--versie", "2.0")
    assert typen.returncode == 0, typen.stderr
    regels = [json.loads(r) for r in typen.stdout.splitlines()]
    assert {r["module"] for r in regels} == {"waarborgfonds"}
    assert {r["versie"] for r in regels} == {"2.0"}
    gebeurtenis = next(r for r in regels if r["code"] == "gebeurtenis")
    assert "aanvraag_borgstelling" in gebeurtenis["beantwoordt"]
    alle = _cli("berichttypen", *verbinding_shv, "--module", "schuldregeling", "--schema")
    versies = {(r["code"], r["versie"]) for r in map(json.loads, alle.stdout.splitlines())}
    assert ("klant_onbekend", "1.0") in versies and ("heroverweging", "2.0") in versies
    assert ("heroverweging", "1.0") not in versies


def test_reeks_van_antwoorden_neemt_de_versie_van_elke_vraag(hub: Hub, partijen: dict[str, Partij]) -> None:
    """A reeks of answers without versie: each in its question's version (here 1.0, though both
    parties accept 2.0), found in the conversation."""
    m = "schuldregeling"
    gemeente, energie = partijen["gemeente"], partijen["energie"]
    conversatie = str(uuid.uuid4())
    with sdk(hub, gemeente) as shv, sdk(hub, energie) as se:
        for _ in range(2):
            shv.verstuur(
                ontvanger=energie.oin,
                berichttype="saldoverzoek",
                payload=voorbeeld(m, "saldoverzoek", "1.0"),
                conversatie=conversatie,
                versie="1.0",
            )
        vragen = list(se.ontvang())
        uitkomsten = se.verstuur_reeks(
            [
                TeVersturen(
                    ontvanger=gemeente.oin,
                    berichttype="saldoverzoek_antwoord",
                    payload=voorbeeld(m, "saldoverzoek_antwoord", "1.0"),
                    conversatie=conversatie,
                    antwoord_op=vraag.referentienummer,
                )
                for vraag in vragen
            ]
        )
        assert [(u.status, u.bericht["versie"]) for u in uitkomsten if u.bericht] == [(201, "1.0")] * 2


def test_het_python_voorbeeld_uit_de_gids_draait(hub: Hub, partijen: dict[str, Partij], capsys: Any) -> None:
    """docs/vendor-guide.md "The same with the Python SDK", run as written against a served hub
    (only the hub's address and the PKI folder differ) — as a creditor's daily job meets it: its
    inbox already holds a hub notice (an ontvangstbevestiging of its own earlier answer) and a
    reminder (art. 15.1) besides the question, which it confirms but does not answer."""
    gemeente, energie = partijen["gemeente"], partijen["energie"]
    m = "schuldregeling"
    with sdk(hub, gemeente) as shv, sdk(hub, energie) as se:

        def vraag_nuts() -> Any:
            return shv.verstuur(
                ontvanger=energie.oin,
                berichttype="saldoverzoek_nuts",
                payload=voorbeeld(m, "saldoverzoek_nuts", "1.0"),
                conversatie=str(uuid.uuid4()),
                module=m,
                versie="1.0",
            )

        # An earlier question, answered, and the answer confirmed: a notice for the creditor.
        eerder = vraag_nuts()
        vraag = _een(se)
        se.bevestig(vraag)
        se.antwoord(
            vraag, berichttype="saldoverzoek_antwoord", payload=voorbeeld(m, "saldoverzoek_antwoord", "1.0")
        )
        [antwoord] = [b for b in shv.ontvang() if b.berichttype == "saldoverzoek_antwoord"]
        shv.bevestig(antwoord)
        # An open question with a reminder about it.
        open_vraag = vraag_nuts()
        shv.herinner(open_vraag, payload=voorbeeld(m, "reminder", "1.0"))
        wacht = {(b["berichttype"], b.get("melding") is not None) for b in se.inbox()}
        assert wacht == {("ontvangstbevestiging", True), ("saldoverzoek_nuts", False), ("reminder", False)}

    tekst = (Path(__file__).resolve().parents[2] / "docs" / "vendor-guide.md").read_text(encoding="utf-8")
    [code] = re.findall(r"## The same with the Python SDK\n\n```python\n(.*?)```", tekst, flags=re.S)
    assert 'P = ".knooppunt/pki/"' in code and "https://localhost:8443" in code
    pki_map = gemeente.cert_pad.parent
    code = code.replace('P = ".knooppunt/pki/"', f"P = {str(pki_map) + '/'!r}")
    code = code.replace("https://localhost:8443", hub.url).replace('P + "ca.pem"', repr(str(hub.ca)))
    exec(compile(code, "vendor-guide.md", "exec"), {})
    assert capsys.readouterr().out.strip() == "['beantwoord']"

    with sdk(hub, gemeente) as shv, sdk(hub, energie) as se:
        assert list(se.inbox()) == []  # everything confirmed, nothing refused
        status = {b["referentienummer"]: b["status"] for b in shv.verzonden(module=m)}
        assert status[eerder.referentienummer] == "beantwoord"
        assert status[open_vraag.referentienummer] == "beantwoord"  # the open question too
        assert not any(b["berichttype"] == "foutbericht" for b in shv.inbox())


def test_bereikbaar_is_onwaar_als_u_zelf_niet_aan_de_module_deelneemt(
    hub: Hub, partijen: dict[str, Partij], rt: Runtime
) -> None:
    """DESIGN §2: sender and recipient must both have joined a message's module (the hub refuses it
    otherwise: MODULE_NIET_ACTIEF). The Kredietbank takes part in schuldregeling only; Energie BV
    is in pauzeknop — yet the Kredietbank cannot reach it there, and is told to ask the beheer."""
    kredietbank, energie, woning = partijen["kredietbank"], partijen["energie"], partijen["woning"]
    with sdk(hub, kredietbank) as kb, sdk(hub, energie) as se:
        bereik = kb.bereikbaar(energie.oin, "pauzeknop")
        assert not bereik.bereikbaar and not bereik.eigen_module
        assert "u neemt zelf niet deel aan module pauzeknop (uw modules: schuldregeling)" in bereik.reden
        assert "beheerder" in bereik.reden and "/portaal/aanmelden/modules" in bereik.reden
        assert kb.bereikbaar(energie.oin, "schuldregeling").bereikbaar
        # A recipient outside the module: another channel, whatever the caller joins.
        niet_daar = kb.bereikbaar(woning.oin, "pauzeknop")
        assert not niet_daar.bereikbaar and niet_daar.eigen_module
        assert "niet op module pauzeknop" in niet_daar.reden
        # Sending says the same before anything goes out, with the hub's own code.
        with pytest.raises(VerzendFout) as fout:
            kb.verstuur(
                ontvanger=energie.oin,
                berichttype="kennisgeving",
                payload=voorbeeld("pauzeknop", "kennisgeving", "2.0"),
                conversatie=str(uuid.uuid4()),
                module="pauzeknop",
            )
        assert fout.value.code == "MODULE_NIET_ACTIEF"
        assert "u neemt zelf niet deel aan module pauzeknop" in fout.value.detail
        assert list(se.inbox()) == []

        uit = _cli(
            "bereikbaar", *_verbinding(hub, kredietbank), "--oin", energie.oin, "--module", "pauzeknop"
        )
        assert uit.returncode == 3, uit.stderr
        antwoord = json.loads(uit.stdout)
        assert antwoord["bereikbaar"] is False
        assert "u neemt zelf niet deel aan module pauzeknop" in antwoord["reden"]

        # Once the beheer adds the module, at once (the SDK asks again rather than trust its cache).
        with transactie(rt.sessions) as session:
            adresboek.wijzig(
                session,
                kredietbank.oin,
                adresboek.DeelnemerWijziging(modules=["schuldregeling:2.0", "pauzeknop"]),
                door="beheer:test",
                nu=db_nu(session),
            )
        assert kb.bereikbaar(energie.oin, "pauzeknop").bereikbaar
