"""The participant SDK and `knooppunt client` against a real `knooppunt serve` over mutual TLS
(DESIGN §5 sign-then-encrypt, §8 participant CLI)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from knooppunt.client.fouten import HubFout, ServercertificaatNietVertrouwd, VerzendFout
from knooppunt.client.hub import HubClient
from knooppunt.hub import adresboek
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht
from tests.factories import Partij, envelop
from tests.functional.server import Hub, start_hub


@pytest.fixture
def hub(database_url: str, tmp_path: Path, pki_dir: Path, cast: dict[str, Partij]) -> Iterator[Hub]:
    with start_hub(database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir) as h:
        yield h


def sdk(hub: Hub, partij: Partij, **kwargs: Any) -> HubClient:
    return HubClient(hub.url, cert=partij.cert_pad, key=partij.key_pad, ca=hub.ca, **kwargs)


def test_saldoverzoek_heen_en_terug_met_de_sdk(hub: Hub, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    conversatie = str(uuid.uuid4())
    with sdk(hub, gemeente) as shv, sdk(hub, energie) as se:
        vraag_payload = voorbeeld("schuldregeling", "saldoverzoek_nuts")
        verzonden = shv.verstuur(
            ontvanger=energie.oin,
            berichttype="saldoverzoek_nuts",
            payload=vraag_payload,
            conversatie=conversatie,
            versie="1.0",
        )
        assert verzonden.bericht["status"] == "aangeboden"
        assert verzonden.bericht["afzender"] == gemeente.oin

        [ontvangen] = list(se.ontvang())
        assert ontvangen.fout is None, ontvangen.foutdetail
        assert ontvangen.payload == vraag_payload
        assert ontvangen.afzender == gemeente.oin
        se.bevestig(ontvangen)
        assert list(se.ontvang()) == []

        antwoord = se.antwoord(
            ontvangen,
            berichttype="saldoverzoek_antwoord",
            payload=voorbeeld("schuldregeling", "saldoverzoek_antwoord"),
        )
        assert antwoord.bericht["crossReferentienummer"] == verzonden.referentienummer
        assert antwoord.bericht["conversatieReferentienummer"] == conversatie

        inbox = list(shv.ontvang())
        soorten = [(b.berichttype, b.afzender) for b in inbox]
        assert soorten == [("ontvangstbevestiging", "KNOOPPUNT"), ("saldoverzoek_antwoord", energie.oin)]
        assert inbox[0].melding is not None
        assert inbox[0].melding["referentienummer"] == verzonden.referentienummer
        assert inbox[1].payload == voorbeeld("schuldregeling", "saldoverzoek_antwoord")
        shv.bevestig_meerdere(inbox)
        status = {b["referentienummer"]: b["status"] for b in shv.verzonden(conversatie=conversatie)}
        assert status[verzonden.referentienummer] == "beantwoord"


def test_ongeldige_payload_wordt_niet_verzonden(hub: Hub, cast: dict[str, Partij]) -> None:
    payload = voorbeeld("schuldregeling", "saldoverzoek")
    del payload["klant"]["achternaam"]
    with sdk(hub, cast["gemeente"]) as shv, sdk(hub, cast["woning"]) as se:
        with pytest.raises(VerzendFout) as fout:
            shv.verstuur(
                ontvanger=cast["woning"].oin,
                berichttype="saldoverzoek",
                payload=payload,
                conversatie=str(uuid.uuid4()),
                versie="1.0",
            )
        assert fout.value.code == "ONGELDIGE_INHOUD"
        assert "klant.achternaam" in [v["name"] for v in fout.value.velden]
        assert list(se.inbox()) == []


def test_bereikbaarheid_zegt_wanneer_een_ander_kanaal_nodig_is(hub: Hub, cast: dict[str, Partij]) -> None:
    with sdk(hub, cast["gemeente"]) as shv:
        assert shv.bereikbaar(cast["energie"].oin).bereikbaar
        alleen_wf = shv.bereikbaar(cast["buitenstaander"].oin, "schuldregeling")
        assert not alleen_wf.bereikbaar
        assert "niet op module schuldregeling" in alleen_wf.reden
        onbekend = shv.bereikbaar("00000003999999990000")
        assert not onbekend.bereikbaar
        assert "niet aangesloten" in onbekend.reden
        with pytest.raises(VerzendFout) as fout:
            shv.verstuur(
                ontvanger="00000003999999990000",
                berichttype="kennisgeving",
                payload=voorbeeld("schuldregeling", "kennisgeving"),
                conversatie=str(uuid.uuid4()),
                versie="1.0",
            )
        assert fout.value.code == "NIET_BEREIKBAAR"


def test_herhaalde_verzending_geeft_het_oorspronkelijke_resultaat(hub: Hub, cast: dict[str, Partij]) -> None:
    ref, conversatie = str(uuid.uuid4()), str(uuid.uuid4())
    with sdk(hub, cast["gemeente"]) as shv:
        argumenten: dict[str, Any] = {
            "ontvanger": cast["woning"].oin,
            "berichttype": "kennisgeving",
            "payload": voorbeeld("schuldregeling", "kennisgeving"),
            "conversatie": conversatie,
            "versie": "1.0",
            "referentienummer": ref,
        }
        eerste = shv.verstuur(**argumenten)
        assert not eerste.herhaald
        # A new seal is a different ciphertext, which the hub answers 409 (DESIGN §4); the SDK sees
        # that this sender sent that number as the same message and gives the original's result
        # (`client send --referentienummer`: "give one to retry safely").
        tweede = shv.verstuur(**argumenten)
        assert tweede.herhaald
        assert tweede.bericht["referentienummer"] == ref
        assert tweede.bericht["ontvangenOp"] == eerste.bericht["ontvangenOp"]
        assert any(
            "al eerder verstuurd" in w and "nieuw referentienummer" in w for w in tweede.waarschuwingen
        )
        # The same number as another message is still the hub's conflict.
        for anders in ({"ontvanger": cast["energie"].oin}, {"conversatie": str(uuid.uuid4())}):
            with pytest.raises(HubFout) as fout:
                shv.verstuur(**(argumenten | anders))
            assert fout.value.status == 409
            assert fout.value.code == "REFERENTIENUMMER_CONFLICT"
    with sdk(hub, cast["woning"]) as se:
        assert [b.referentienummer for b in se.ontvang()] == [ref]


def test_hubregel_komt_als_hubfout_met_code(hub: Hub, cast: dict[str, Partij]) -> None:
    with sdk(hub, cast["energie"]) as se:
        with pytest.raises(HubFout) as fout:
            se.verstuur(
                ontvanger=cast["gemeente"].oin,
                berichttype="saldoverzoek_antwoord",
                payload=voorbeeld("schuldregeling", "saldoverzoek_antwoord"),
                conversatie=str(uuid.uuid4()),
                versie="1.0",
                antwoord_op=str(uuid.uuid4()),
            )
        assert fout.value.code == "ONGELDIG_ANTWOORD"
        assert fout.value.status == 422


def _raw(hub: Hub, partij: Partij) -> httpx.Client:
    return hub.client(partij)


def test_omgelabeld_bericht_wordt_herkend_en_geweigerd(hub: Hub, cast: dict[str, Partij]) -> None:
    """A ciphertext signed as a kennisgeving but offered as a saldoverzoek: the recipient SDK refuses
    it with METADATA_ONJUIST and the sender hears so from the hub (GEWEIGERD)."""
    gemeente, woning = cast["gemeente"], cast["woning"]
    echt = envelop(gemeente, woning, "kennisgeving", payload=voorbeeld("schuldregeling", "kennisgeving"))
    vals = dict(echt, berichttype="saldoverzoek")
    with _raw(hub, gemeente) as shv_raw:
        assert shv_raw.post("/berichten", json=vals).status_code == 201
    with sdk(hub, woning) as se, sdk(hub, gemeente) as shv:
        [bericht] = list(se.ontvang())
        assert bericht.payload is None
        assert bericht.fout == "METADATA_ONJUIST"
        assert "berichttype" in (bericht.foutdetail or "")
        se.weiger(bericht)
        [melding] = list(shv.ontvang())
        assert melding.berichttype == "foutbericht"
        assert melding.melding is not None
        assert melding.melding["code"] == "GEWEIGERD"


def test_ongeldige_payload_van_een_ander_wordt_herkend(hub: Hub, cast: dict[str, Partij]) -> None:
    gemeente, woning = cast["gemeente"], cast["woning"]
    slecht = envelop(gemeente, woning, "kennisgeving", payload={"klantnummerSHV": "K-1"})
    with _raw(hub, gemeente) as shv_raw:
        assert shv_raw.post("/berichten", json=slecht).status_code == 201
    with sdk(hub, woning) as se:
        [bericht] = list(se.ontvang())
        assert bericht.fout == "INHOUD_ONGELDIG"
        assert "klant" in (bericht.foutdetail or "")


def test_bericht_voor_een_ander_wordt_niet_geopend(hub: Hub, cast: dict[str, Partij]) -> None:
    """Sealed for the energy company's key but addressed to the housing corporation."""
    gemeente, woning, energie = cast["gemeente"], cast["woning"], cast["energie"]
    voor_energie = envelop(
        gemeente, energie, "kennisgeving", payload=voorbeeld("schuldregeling", "kennisgeving")
    )
    with _raw(hub, gemeente) as shv_raw:
        r = shv_raw.post("/berichten", json=dict(voor_energie, ontvanger=woning.oin))
        # The hub already refuses a JWE whose kid is not the recipient's key (DESIGN §5).
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "ONGELDIGE_INHOUD"


def test_verkeerd_geadresseerde_handtekening_wordt_herkend(hub: Hub, cast: dict[str, Partij]) -> None:
    """Encrypted for the housing corporation, but signed for the energy company: METADATA_ONJUIST."""
    from knooppunt.client import jose

    gemeente, woning, energie = cast["gemeente"], cast["woning"], cast["energie"]
    echt = envelop(gemeente, woning, "kennisgeving", payload=voorbeeld("schuldregeling", "kennisgeving"))
    metadata = {k: v for k, v in echt.items() if k != "inhoud"} | {"afzender": gemeente.oin}
    echt["inhoud"] = jose.verzegel(
        voorbeeld("schuldregeling", "kennisgeving"),
        metadata=metadata | {"ontvanger": energie.oin},
        iat=0,
        afzender_sleutel=gemeente.sleutel,
        afzender_certificaat=gemeente.certificaat,
        ontvanger_certificaat=woning.certificaat,
    )
    with _raw(hub, gemeente) as shv_raw:
        assert shv_raw.post("/berichten", json=echt).status_code == 201
    with sdk(hub, woning) as se:
        [bericht] = list(se.ontvang())
        assert bericht.fout == "METADATA_ONJUIST"
        assert "ontvanger" in (bericht.foutdetail or "")


def test_hergebruikt_referentienummer_wordt_geweigerd(hub: Hub, cast: dict[str, Partij]) -> None:
    gemeente, woning = cast["gemeente"], cast["woning"]
    with sdk(hub, gemeente) as shv, sdk(hub, woning) as se:
        verzonden = shv.verstuur(
            ontvanger=woning.oin,
            berichttype="kennisgeving",
            payload=voorbeeld("schuldregeling", "kennisgeving"),
            conversatie=str(uuid.uuid4()),
            versie="1.0",
        )
        se.verwerkt.voeg_toe([verzonden.referentienummer])  # as if processed before
        [bericht] = list(se.ontvang())
        assert bericht.fout == "AL_VERWERKT"


def test_par_3_bsn_alleen_aan_een_schuldeiser_met_gebruikt_bsn(
    hub: Hub, cast: dict[str, Partij], rt: Runtime
) -> None:
    """DESIGN §3: payload rules — "BSN only to creditors with `gebruiktBsn`" — "are enforced by the
    participant SDK": a saldoverzoek publiek (which carries the client's BSN) goes to a public
    creditor that identifies clients by BSN, and is refused before anything is sent once that
    creditor no longer does, naming the BSN's path; a saldoverzoek without BSN still goes."""
    gemeente, belasting = cast["gemeente"], cast["belasting"]
    payload = voorbeeld("schuldregeling", "saldoverzoek_publiek")
    assert payload["klant"]["bsn"]

    def stuur(shv: HubClient, berichttype: str, inhoud: dict[str, Any]) -> Any:
        return shv.verstuur(
            ontvanger=belasting.oin, berichttype=berichttype, payload=inhoud, conversatie=str(uuid.uuid4())
        )

    with sdk(hub, gemeente) as shv:
        assert stuur(shv, "saldoverzoek_publiek", payload).bericht["status"] == "aangeboden"
        with transactie(rt.sessions) as session:
            adresboek.wijzig(
                session,
                belasting.oin,
                adresboek.DeelnemerWijziging(gebruikt_bsn=False),
                door="beheer:test",
                nu=db_nu(session),
            )
    with sdk(hub, gemeente) as shv:  # a fresh adresboek
        with pytest.raises(VerzendFout) as fout:
            stuur(shv, "saldoverzoek_publiek", payload)
        assert fout.value.code == "BSN_NIET_TOEGESTAAN"
        assert "klant.bsn" in fout.value.detail and "Belastingdienst" in fout.value.detail
        assert "klant.bsn" in [v["name"] for v in fout.value.velden]
        gewoon = stuur(shv, "saldoverzoek", voorbeeld("schuldregeling", "saldoverzoek"))
        assert gewoon.bericht["status"] == "aangeboden"
    with sdk(hub, belasting) as se:
        assert [b.envelop["berichttype"] for b in se.ontvang()] == ["saldoverzoek_publiek", "saldoverzoek"]


def test_waarschuwing_bij_betaalvoorstel_na_klant_onbekend(hub: Hub, cast: dict[str, Partij]) -> None:
    """Art. 8.1 / 9.1: the hub does not refuse, the SDK warns."""
    gemeente, woning = cast["gemeente"], cast["woning"]
    conversatie = str(uuid.uuid4())
    with sdk(hub, gemeente) as shv, sdk(hub, woning) as se:
        shv.verstuur(
            ontvanger=woning.oin,
            berichttype="saldoverzoek",
            payload=voorbeeld("schuldregeling", "saldoverzoek"),
            conversatie=conversatie,
            versie="1.0",  # klant_onbekend exists in 1.0 only
        )
        [vraag] = list(se.ontvang())
        se.antwoord(
            vraag, berichttype="klant_onbekend", payload=voorbeeld("schuldregeling", "klant_onbekend")
        )
        voorstel = shv.verstuur(
            ontvanger=woning.oin,
            berichttype="betaalvoorstel",
            payload=voorbeeld("schuldregeling", "betaalvoorstel"),
            conversatie=conversatie,
            versie="1.0",
        )
        assert voorstel.bericht["status"] == "aangeboden"
        assert any("klant onbekend" in w for w in voorstel.waarschuwingen)


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "knooppunt.cli.main", "client", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _verbinding(hub: Hub, partij: Partij) -> list[str | Path]:
    return ["--hub", hub.url, "--cert", partij.cert_pad, "--key", partij.key_pad, "--ca", hub.ca]


def _send(
    hub: Hub, van: Partij, ontvanger: str, berichttype: str, payload: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """`knooppunt client send` with a new conversation unless `extra` names one."""
    conversatie = [] if "--conversatie" in extra else ["--conversatie", str(uuid.uuid4())]
    # The examples are of schuldregeling 1.0; an answer takes its question's version itself.
    versie = [] if "--versie" in extra or "--antwoord-op" in extra else ["--versie", "1.0"]
    return _cli(
        "send",
        *_verbinding(hub, van),
        "--ontvanger",
        ontvanger,
        "--berichttype",
        berichttype,
        "--payload",
        payload,
        *conversatie,
        *versie,
        *extra,
    )


def test_cli_send_en_fetch(hub: Hub, cast: dict[str, Partij], tmp_path: Path) -> None:
    gemeente, belasting = cast["gemeente"], cast["belasting"]
    payload = tmp_path / "kennisgeving_bsn.json"
    payload.write_text(json.dumps(voorbeeld("schuldregeling", "kennisgeving_bsn")), encoding="utf-8")
    conversatie = str(uuid.uuid4())
    verstuurd = _send(
        hub,
        gemeente,
        belasting.oin,
        "kennisgeving_bsn",
        payload,
        "--module",
        "schuldregeling",
        "--conversatie",
        conversatie,
    )
    assert verstuurd.returncode == 0, verstuurd.stderr
    antwoord = json.loads(verstuurd.stdout)
    assert antwoord["status"] == "aangeboden"
    assert antwoord["afzender"] == gemeente.oin

    register = tmp_path / "verwerkt.sqlite3"
    opgehaald = _cli("fetch", *_verbinding(hub, belasting), "--bevestig", "--verwerkt", register)
    assert opgehaald.returncode == 0, opgehaald.stderr
    [regel] = [json.loads(r) for r in opgehaald.stdout.splitlines()]
    assert regel["referentienummer"] == antwoord["referentienummer"]
    assert regel["payload"] == voorbeeld("schuldregeling", "kennisgeving_bsn")
    assert "inhoud" not in regel
    # The line says what it is now: confirmed (it said "opgehaald": an independent newcomer probe).
    assert regel["status"] == "bevestigd"
    assert regel["bevestigdOp"] is not None  # with the time the confirm gave it (it said null)
    # Confirmed: the inbox is empty now, and the sender has its receipt.
    leeg = _cli("fetch", *_verbinding(hub, belasting), "--verwerkt", register)
    assert leeg.returncode == 0 and leeg.stdout == ""
    ontvangst = _cli("fetch", *_verbinding(hub, gemeente), "--verwerkt", tmp_path / "shv.sqlite3")
    [bon] = [json.loads(r) for r in ontvangst.stdout.splitlines()]
    assert bon["berichttype"] == "ontvangstbevestiging"
    assert bon["melding"]["referentienummer"] == antwoord["referentienummer"]


def test_cli_fetch_na_certificaatwissel_opent_met_de_vorige_sleutel_en_weigert_niets(
    hub: Hub, cast: dict[str, Partij], rt: Runtime, pki_dir: Path, tmp_path: Path
) -> None:
    """A creditor changes its certificate (new key) and retires the old one. A message sealed for
    the old certificate still waits (DESIGN §5). Fetched without the old key it is reported, not
    refused (the sender did nothing wrong); with --vorige-sleutel it opens and is confirmed."""
    gemeente, belasting = cast["gemeente"], cast["belasting"]
    payload = tmp_path / "kennisgeving_bsn.json"
    payload.write_text(json.dumps(voorbeeld("schuldregeling", "kennisgeving_bsn")), encoding="utf-8")
    oud = json.loads(_send(hub, gemeente, belasting.oin, "kennisgeving_bsn", payload).stdout)

    nieuw = ontwikkel_ca.issue(
        pki_dir, oin=belasting.oin, naam=belasting.naam, basisnaam="belasting-2", uit_map=tmp_path
    )
    _wissel_certificaat(rt, belasting, nieuw.certificaat)
    vers = json.loads(_send(hub, gemeente, belasting.oin, "kennisgeving_bsn", payload).stdout)

    verbinding = ["--hub", hub.url, "--cert", nieuw.certificaat, "--key", nieuw.sleutel, "--ca", hub.ca]
    register = tmp_path / "verwerkt.sqlite3"
    zonder = _cli("fetch", *verbinding, "--bevestig", "--verwerkt", register)
    assert zonder.returncode == 0, zonder.stderr
    regels = {r["referentienummer"]: r for r in map(json.loads, zonder.stdout.splitlines())}
    assert regels[vers["referentienummer"]]["payload"] == voorbeeld("schuldregeling", "kennisgeving_bsn")
    fout = regels[oud["referentienummer"]]["fout"]
    assert fout["code"] == "ONTSLEUTELING_MISLUKT"
    assert fout["ontbrekendeSleutel"] == lees_pem(belasting.cert_pad.read_bytes()).kid
    assert "--vorige-sleutel" in zonder.stderr and "niet geweigerd" in zonder.stderr
    with rt.sessions() as session:
        status = {b.referentienummer: b.status for b in session.scalars(select(Bericht))}
    assert status[oud["referentienummer"]] == "opgehaald"
    assert status[vers["referentienummer"]] == "bevestigd"

    met = _cli(
        "fetch",
        *verbinding,
        "--bevestig",
        "--verwerkt",
        register,
        "--vorige-sleutel",
        belasting.cert_pad,
        belasting.key_pad,
    )
    assert met.returncode == 0, met.stderr
    [regel] = [json.loads(r) for r in met.stdout.splitlines()]
    assert regel["referentienummer"] == oud["referentienummer"]
    assert regel["payload"] == voorbeeld("schuldregeling", "kennisgeving_bsn")
    with rt.sessions() as session:
        bericht = session.scalars(
            select(Bericht).where(Bericht.referentienummer == oud["referentienummer"])
        ).one()
        assert bericht.status == "bevestigd"

    # A key that does not belong to the certificate named with it is refused at once.
    verkeerd = _cli(
        "fetch", *verbinding, "--verwerkt", register, "--vorige-sleutel", belasting.cert_pad, nieuw.sleutel
    )
    assert verkeerd.returncode == 2 and "hoort niet bij certificaat" in verkeerd.stderr


def test_cli_fetch_na_vernieuwing_op_dezelfde_sleutel_opent_alles_zonder_meer(
    hub: Hub, cast: dict[str, Partij], rt: Runtime, pki_dir: Path, tmp_path: Path
) -> None:
    """A certificate renewed on the same key pair: the message sealed for the old certificate
    opens with the one key the client has (found through its own adresboek entry)."""
    gemeente, belasting = cast["gemeente"], cast["belasting"]
    payload = tmp_path / "kennisgeving_bsn.json"
    payload.write_text(json.dumps(voorbeeld("schuldregeling", "kennisgeving_bsn")), encoding="utf-8")
    oud = json.loads(_send(hub, gemeente, belasting.oin, "kennisgeving_bsn", payload).stdout)
    nieuw = ontwikkel_ca.issue(
        pki_dir,
        oin=belasting.oin,
        naam=belasting.naam,
        key_type="rsa" if isinstance(belasting.certificaat.public_key(), rsa.RSAPublicKey) else "ec",
        basisnaam="belasting-vernieuwd",
        uit_map=tmp_path,
        sleutel_van=belasting.key_pad,
    )
    # Another certificate (another kid), the same public key.
    assert lees_pem(nieuw.certificaat.read_bytes()).kid != lees_pem(belasting.cert_pad.read_bytes()).kid
    assert _spki(nieuw.certificaat) == _spki(belasting.cert_pad)
    _wissel_certificaat(rt, belasting, nieuw.certificaat)
    vers = json.loads(_send(hub, gemeente, belasting.oin, "kennisgeving_bsn", payload).stdout)

    verbinding = ["--hub", hub.url, "--cert", nieuw.certificaat, "--key", nieuw.sleutel, "--ca", hub.ca]
    uit = _cli("fetch", *verbinding, "--bevestig", "--verwerkt", tmp_path / "verwerkt.sqlite3")
    assert uit.returncode == 0, uit.stderr
    regels = {r["referentienummer"]: r for r in map(json.loads, uit.stdout.splitlines())}
    assert set(regels) == {oud["referentienummer"], vers["referentienummer"]}
    assert all("payload" in r for r in regels.values()), regels


def test_cli_send_ongeldige_payload(hub: Hub, cast: dict[str, Partij], tmp_path: Path) -> None:
    payload = tmp_path / "fout.json"
    payload.write_text('{"klantnummerSHV": ', encoding="utf-8")
    uit = _send(
        hub, cast["gemeente"], cast["woning"].oin, "kennisgeving", payload, "--module", "schuldregeling"
    )
    assert uit.returncode == 2
    assert "geen geldige JSON" in uit.stderr

    payload.write_text(json.dumps({"klantnummerSHV": "K-1"}), encoding="utf-8")
    uit = _send(hub, cast["gemeente"], cast["woning"].oin, "kennisgeving", payload)
    assert uit.returncode == 2
    fout = json.loads(uit.stdout)["fout"]
    assert fout["code"] == "ONGELDIGE_INHOUD"
    assert {"klant", "adres", "contactpersoonSHV"} <= {v["name"] for v in fout["invalidParams"]}


def test_cli_hub_weigert(hub: Hub, cast: dict[str, Partij], tmp_path: Path) -> None:
    """kennisgeving to a creditor that uses BSN: refused by the hub (art. 3.1), exit 1, the code on stdout."""
    payload = tmp_path / "k.json"
    payload.write_text(json.dumps(voorbeeld("schuldregeling", "kennisgeving")), encoding="utf-8")
    uit = _send(hub, cast["gemeente"], cast["belasting"].oin, "kennisgeving", payload)
    assert uit.returncode == 1, uit.stderr
    assert json.loads(uit.stdout)["fout"]["code"] == "ONTVANGER_GEBRUIKT_BSN"


def test_cli_bereikbaar(hub: Hub, cast: dict[str, Partij]) -> None:
    ja = _cli("bereikbaar", *_verbinding(hub, cast["gemeente"]), "--oin", cast["energie"].oin)
    assert ja.returncode == 0 and json.loads(ja.stdout)["bereikbaar"] is True
    nee = _cli("bereikbaar", *_verbinding(hub, cast["gemeente"]), "--oin", "00000003999999990000")
    assert nee.returncode == 3 and json.loads(nee.stdout)["bereikbaar"] is False


def test_servercertificaat_niet_vertrouwd_is_een_configuratiefout_die_ca_noemt(
    hub: Hub, cast: dict[str, Partij], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """DESIGN §8: "`--ca FILE` names the CA that signed the hub's server certificate". Without it the
    development hub's certificate does not verify against the system store: that is the client's
    configuration, not an unreachable hub — no retries, exit 2, and the line says to give --ca."""
    gemeente = cast["gemeente"]
    zonder_ca = ["--hub", hub.url, "--cert", gemeente.cert_pad, "--key", gemeente.key_pad]
    for opdracht in (["fetch"], ["bereikbaar", "--oin", cast["energie"].oin], ["verzonden"]):
        uit = _cli(*opdracht, *zonder_ca)
        assert uit.returncode == 2, (opdracht, uit.returncode, uit.stderr)
        assert uit.stderr.startswith("configuratiefout: het servercertificaat van"), uit.stderr
        assert "--ca FILE" in uit.stderr and "niet vertrouwd" in uit.stderr, uit.stderr
        assert "NIET_BEREIKBAAR" not in uit.stderr and "Traceback" not in uit.stderr, uit.stderr

    # The SDK: the same error at once, whatever the retries it was given.
    import knooppunt.client.hub as sdk_module

    wachten: list[float] = []
    monkeypatch.setattr(sdk_module.time, "sleep", wachten.append)
    with (
        HubClient(hub.url, cert=gemeente.cert_pad, key=gemeente.key_pad, pogingen=4) as client,
        pytest.raises(ServercertificaatNietVertrouwd) as fout,
    ):
        client.adresboek.deelnemer(cast["energie"].oin)
    assert wachten == []
    assert fout.value.hub == hub.url and "geen --ca gegeven" in str(fout.value)

    # Another CA's file: the same, naming that file.
    ander = ontwikkel_ca.init(tmp_path / "ander").certificaat
    uit = _cli("fetch", *zonder_ca, "--ca", ander)
    assert uit.returncode == 2 and f"de CA in {ander}" in uit.stderr, uit.stderr


class VerliesEersteAntwoord:
    """A TCP proxy in front of the hub (TLS passes through it untouched) that forwards everything,
    except that, once armed, the answer to the first large request (a submit: the sealed body is
    > 1,500 bytes, the other requests are far smaller) is dropped and the connection cut — as a
    broken network would, after the hub has already stored the message."""

    def __init__(self, doel_poort: int, opgeslagen: Callable[[], bool]) -> None:
        import socket
        import threading

        self.doel = ("127.0.0.1", doel_poort)
        self.opgeslagen = opgeslagen
        # Armed by the test once the connection is warm: under load the client's last handshake
        # flight and its first request can arrive in one read and look like a large request.
        self.scherp = threading.Event()
        self.luister = socket.create_server(("127.0.0.1", 0))
        self.poort = self.luister.getsockname()[1]
        self.verloren = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accepteer, daemon=True).start()

    def _accepteer(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self.luister.accept()
            except OSError:
                return
            server = socket.create_connection(self.doel)
            toestand = {"verlies": False}
            threading.Thread(target=self._heen, args=(client, server, toestand), daemon=True).start()
            threading.Thread(target=self._terug, args=(server, client, toestand), daemon=True).start()

    def _heen(self, bron: Any, doel: Any, toestand: dict[str, bool]) -> None:
        try:
            while data := bron.recv(65536):
                with self._lock:
                    if self.scherp.is_set() and len(data) > 1500 and self.verloren == 0:
                        self.verloren = 1
                        toestand["verlies"] = True
                doel.sendall(data)
        except OSError:
            pass
        self._sluit(bron, doel)

    def _terug(self, bron: Any, doel: Any, toestand: dict[str, bool]) -> None:
        import time

        try:
            while data := bron.recv(65536):
                if toestand["verlies"]:
                    # Pass nothing more on; cut the connection once the hub has stored the message
                    # (so the retry meets it), swallowing what the hub sends meanwhile.
                    bron.settimeout(0.1)
                    einde = time.monotonic() + 20
                    while time.monotonic() < einde and not self.opgeslagen():
                        try:
                            if not bron.recv(65536):
                                break
                        except TimeoutError:
                            continue
                    break
                doel.sendall(data)
        except OSError:
            pass
        self._sluit(bron, doel)

    @staticmethod
    def _sluit(*sockets: Any) -> None:
        import socket

        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def stop(self) -> None:
        self.luister.close()


def test_verloren_antwoord_wordt_veilig_herhaald(hub: Hub, cast: dict[str, Partij], rt: Runtime) -> None:
    """The hub stored the message but its answer never arrived: the SDK retries with the same
    referentienummer and the same body, and gets the original result (200), not a second message."""
    ref = str(uuid.uuid4())

    def opgeslagen() -> bool:
        with rt.sessions() as session:
            return session.scalar(select(Bericht.id).where(Bericht.referentienummer == ref)) is not None

    proxy = VerliesEersteAntwoord(hub.poort, opgeslagen)
    gemeente, woning = cast["gemeente"], cast["woning"]
    try:
        shv = HubClient(
            f"https://localhost:{proxy.poort}",
            cert=gemeente.cert_pad,
            key=gemeente.key_pad,
            ca=hub.ca,
            wachttijd=0.05,
        )
        with shv, sdk(hub, woning) as se:
            assert shv.bereikbaar(woning.oin).bereikbaar  # handshake and adresboek look-up done
            proxy.scherp.set()
            verzonden = shv.verstuur(
                ontvanger=woning.oin,
                berichttype="kennisgeving",
                payload=voorbeeld("schuldregeling", "kennisgeving"),
                conversatie=str(uuid.uuid4()),
                versie="1.0",
                referentienummer=ref,
            )
            assert proxy.verloren == 1
            assert verzonden.herhaald  # the second attempt got the original result
            assert [b.referentienummer for b in se.ontvang()] == [verzonden.referentienummer]
    finally:
        proxy.stop()


def _spki(pad: Path) -> bytes:
    publiek = x509.load_pem_x509_certificate(pad.read_bytes()).public_key()
    return publiek.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _wissel_certificaat(rt: Runtime, partij: Partij, nieuw: Path) -> None:
    """A certificate change as the operator makes it: the new one added, the old one retired."""
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        adresboek.voeg_certificaat_toe(
            session,
            partij.oin,
            lees_pem(nieuw.read_bytes()),
            gebruik=["tls", "ondertekening", "versleuteling"],
            nu=nu,
            ankers=rt.ankers,
            door="test",
        )
        adresboek.trek_certificaat_in(
            session, partij.oin, lees_pem(partij.cert_pad.read_bytes()).vingerafdruk, nu=nu, door="test"
        )
