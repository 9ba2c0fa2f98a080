"""Sending many with the SDK (`HubClient.verstuur_reeks`) and `knooppunt client send --reeks`
against a real `knooppunt serve` over mutual TLS, through `POST /api/v1/verzendingen`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sqlalchemy import select

from knooppunt.client.fouten import HubFout, VerzendFout
from knooppunt.client.hub import HubClient, TeVersturen
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.models import Bericht
from tests.factories import Partij
from tests.functional.server import Hub
from tests.functional.test_client import VerliesEersteAntwoord, _cli, _verbinding, hub, sdk

__all__ = ["hub"]  # the served hub, a fixture of test_client


def _kennisgeving(aan: Partij, conversatie: str, **extra: str) -> TeVersturen:
    return TeVersturen(
        ontvanger=aan.oin,
        berichttype="kennisgeving",
        payload=voorbeeld("schuldregeling", "kennisgeving"),
        conversatie=conversatie,
        versie="1.0",
        **extra,
    )


def test_sdk_verstuurt_veel_in_delen_op_volgorde(hub: Hub, cast: dict[str, Partij]) -> None:
    """Five messages in parts of two: a kennisgeving then a saldoverzoek in its conversation (the
    second part sees the first), one the hub refuses, one the SDK refuses before sending."""
    gemeente, energie, belasting = cast["gemeente"], cast["energie"], cast["belasting"]
    conversatie = str(uuid.uuid4())
    ongeldig = voorbeeld("schuldregeling", "kennisgeving")
    del ongeldig["klant"]
    berichten = [
        _kennisgeving(energie, conversatie),
        _kennisgeving(belasting, conversatie),  # the Belastingdienst uses BSN (art. 3.1)
        TeVersturen(
            ontvanger=energie.oin, berichttype="kennisgeving", payload=ongeldig, conversatie=str(uuid.uuid4())
        ),
        TeVersturen(
            ontvanger=energie.oin,
            berichttype="saldoverzoek_nuts",
            payload=voorbeeld("schuldregeling", "saldoverzoek_nuts"),
            conversatie=conversatie,
            versie="1.0",
        ),
        _kennisgeving(energie, str(uuid.uuid4())),
    ]
    with sdk(hub, gemeente) as shv, sdk(hub, energie) as se:
        uitkomsten = shv.verstuur_reeks(berichten, per_verzoek=2)
        assert [(u.index, u.status) for u in uitkomsten] == [(0, 201), (1, 422), (2, 0), (3, 201), (4, 201)]
        assert isinstance(uitkomsten[1].fout, HubFout) and uitkomsten[1].fout.code == "ONTVANGER_GEBRUIKT_BSN"
        assert isinstance(uitkomsten[2].fout, VerzendFout) and uitkomsten[2].fout.code == "ONGELDIGE_INHOUD"
        assert [u.verstuurd for u in uitkomsten] == [True, False, False, True, True]
        geaccepteerd = [u for u in uitkomsten if u.verstuurd]
        assert all(u.bericht is not None and "inhoud" not in u.bericht for u in geaccepteerd)
        ontvangen = list(se.ontvang())
        assert [b.referentienummer for b in ontvangen] == [u.referentienummer for u in geaccepteerd]
        assert all(b.fout is None and b.payload is not None for b in ontvangen)


def test_sdk_alles_of_niets_slaat_niets_op_als_er_een_geweigerd_wordt(
    hub: Hub, cast: dict[str, Partij]
) -> None:
    gemeente, energie, belasting = cast["gemeente"], cast["energie"], cast["belasting"]
    conversatie = str(uuid.uuid4())
    with sdk(hub, gemeente) as shv, sdk(hub, energie) as se:
        uitkomsten = shv.verstuur_reeks(
            [_kennisgeving(energie, conversatie), _kennisgeving(belasting, conversatie)], alles_of_niets=True
        )
        assert [(u.status, u.fout.code if u.fout else None) for u in uitkomsten] == [
            (424, "NIET_VERSTUURD"),
            (422, "ONTVANGER_GEBRUIKT_BSN"),
        ]
        assert list(se.inbox()) == []
        goed = shv.verstuur_reeks([_kennisgeving(energie, conversatie)], alles_of_niets=True)
        assert [u.status for u in goed] == [201]


def test_sdk_herhaalt_een_verloren_verzending_met_dezelfde_enveloppen(
    hub: Hub, cast: dict[str, Partij], rt: Runtime
) -> None:
    """The hub stored the verzending but its answer never arrived: the SDK sends the same bodies
    again and gets the original results (200 each), not a second copy of any message."""
    refs = [str(uuid.uuid4()) for _ in range(3)]

    def opgeslagen() -> bool:
        with rt.sessions() as session:
            return session.scalar(select(Bericht.id).where(Bericht.referentienummer == refs[-1])) is not None

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
            uitkomsten = shv.verstuur_reeks(
                [_kennisgeving(woning, str(uuid.uuid4()), referentienummer=ref) for ref in refs]
            )
            assert proxy.verloren == 1
            assert [u.status for u in uitkomsten] == [200, 200, 200]
            assert [b.referentienummer for b in se.ontvang()] == refs
    finally:
        proxy.stop()


def test_cli_send_reeks_drukt_per_regel_en_faalt_bij_een_weigering(
    hub: Hub, cast: dict[str, Partij], tmp_path: Path
) -> None:
    gemeente, energie, belasting = cast["gemeente"], cast["energie"], cast["belasting"]
    conversatie = str(uuid.uuid4())
    (tmp_path / "saldo.json").write_text(json.dumps(voorbeeld("schuldregeling", "saldoverzoek_nuts")))
    regels = [
        {
            "ontvanger": energie.oin,
            "berichttype": "kennisgeving",
            "versie": "1.0",
            "conversatie": conversatie,
            "payload": voorbeeld("schuldregeling", "kennisgeving"),
        },
        {
            "ontvanger": belasting.oin,
            "berichttype": "kennisgeving",
            "versie": "1.0",
            "conversatie": conversatie,
            "payload": voorbeeld("schuldregeling", "kennisgeving"),
        },
        {
            "ontvanger": energie.oin,
            "berichttype": "saldoverzoek_nuts",
            "module": "schuldregeling",
            "versie": "1.0",
            "conversatie": conversatie,
            "payload": "saldo.json",
        },
    ]
    reeks = tmp_path / "reeks.jsonl"
    reeks.write_text("\n".join(json.dumps(r) for r in regels[:2]) + "\n\n" + json.dumps(regels[2]) + "\n")
    uit = _cli("send", *_verbinding(hub, gemeente), "--reeks", reeks)
    assert uit.returncode == 1, uit.stderr
    gedrukt = [json.loads(r) for r in uit.stdout.splitlines()]
    assert [(g["regel"], g["status"]) for g in gedrukt] == [(1, 201), (2, 422), (4, 201)]
    assert gedrukt[1]["fout"]["code"] == "ONTVANGER_GEBRUIKT_BSN"
    assert gedrukt[2]["bericht"]["berichttype"] == "saldoverzoek_nuts"
    assert "regel 2 niet verstuurd (ONTVANGER_GEBRUIKT_BSN)" in uit.stderr

    goed = tmp_path / "goed.jsonl"
    goed.write_text(json.dumps(regels[0] | {"conversatie": str(uuid.uuid4())}) + "\n")
    uit = _cli("send", *_verbinding(hub, gemeente), "--reeks", goed, "--alles-of-niets")
    assert uit.returncode == 0, uit.stderr
    assert json.loads(uit.stdout)["status"] == 201


def test_cli_send_reeks_nogmaals_met_eigen_referentienummers_is_veilig(
    hub: Hub, cast: dict[str, Partij], tmp_path: Path
) -> None:
    """vendor-guide: "Give a `referentienummer` per line to make re-running the file safe". The
    CLI seals every line again (another JWE, which the hub answers 409 REFERENTIENUMMER_CONFLICT);
    a line this sender already sent as the same message is reported with the original's result,
    200 and a warning, and exit 0 — not "niet verstuurd" with advice to take a new number (which
    would send it twice). All or nothing: the lines not sent before go now."""
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]

    def regel(aan: Partij) -> dict[str, str | dict[str, object]]:
        return {
            "ontvanger": aan.oin,
            "berichttype": "kennisgeving",
            "versie": "1.0",
            "conversatie": str(uuid.uuid4()),
            "referentienummer": str(uuid.uuid4()),
            "payload": voorbeeld("schuldregeling", "kennisgeving"),
        }

    regels = [regel(energie), regel(woning), regel(energie)]
    reeks = tmp_path / "reeks.jsonl"
    reeks.write_text("".join(json.dumps(r) + "\n" for r in regels[:2]))
    eerste = _cli("send", *_verbinding(hub, gemeente), "--reeks", reeks)
    assert eerste.returncode == 0, eerste.stderr
    nog_eens = _cli("send", *_verbinding(hub, gemeente), "--reeks", reeks)
    assert nog_eens.returncode == 0, nog_eens.stderr
    gedrukt = [json.loads(r) for r in nog_eens.stdout.splitlines()]
    assert [(g["status"], g["bericht"]["referentienummer"]) for g in gedrukt] == [
        (200, r["referentienummer"]) for r in regels[:2]
    ]
    assert nog_eens.stderr.count("al eerder verstuurd") == 2 and "niet verstuurd (" not in nog_eens.stderr

    # All or nothing, the file grown by a line: the two sent before stand, the new one goes.
    reeks.write_text("".join(json.dumps(r) + "\n" for r in regels))
    alles = _cli("send", *_verbinding(hub, gemeente), "--reeks", reeks, "--alles-of-niets")
    assert alles.returncode == 0, alles.stderr
    assert [json.loads(r)["status"] for r in alles.stdout.splitlines()] == [200, 200, 201]

    # The same number for another message is still refused.
    anders = tmp_path / "anders.jsonl"
    anders.write_text(json.dumps(regels[0] | {"ontvanger": woning.oin}) + "\n")
    fout = _cli("send", *_verbinding(hub, gemeente), "--reeks", anders)
    assert fout.returncode == 1 and "niet verstuurd (REFERENTIENUMMER_CONFLICT)" in fout.stderr
    with sdk(hub, energie) as se, sdk(hub, woning) as wc:
        assert sorted(b.referentienummer for b in [*se.ontvang(), *wc.ontvang()]) == sorted(
            str(r["referentienummer"]) for r in regels
        )


def test_cli_send_reeks_met_een_kapotte_regel_verstuurt_niets(
    hub: Hub, cast: dict[str, Partij], tmp_path: Path
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    reeks = tmp_path / "reeks.jsonl"
    goed = {
        "ontvanger": energie.oin,
        "berichttype": "kennisgeving",
        "versie": "1.0",
        "conversatie": str(uuid.uuid4()),
        "payload": voorbeeld("schuldregeling", "kennisgeving"),
    }
    reeks.write_text(json.dumps(goed) + "\n" + json.dumps({"ontvanger": energie.oin, "kleur": "rood"}) + "\n")
    uit = _cli("send", *_verbinding(hub, gemeente), "--reeks", reeks)
    assert uit.returncode == 2, uit.stderr
    assert (
        "regel 2" in uit.stderr and "onbekend: kleur" in uit.stderr and "ontbreekt: berichttype" in uit.stderr
    )
    with sdk(hub, energie) as se:
        assert list(se.inbox()) == []
    # --reeks takes every message from the file
    uit = _cli("send", *_verbinding(hub, gemeente), "--reeks", reeks, "--ontvanger", energie.oin)
    assert uit.returncode == 2 and "laat --ontvanger weg" in uit.stderr


def test_sdk_halveert_een_deel_dat_het_knooppunt_te_groot_vindt(
    database_url: str, tmp_path: Path, pki_dir: Path, cast: dict[str, Partij]
) -> None:
    """A hub whose request limit is far below the SDK's: the first part is refused whole (413),
    the SDK halves it until each part fits, and every message is accepted once, in order."""
    from tests.functional.server import start_hub

    gemeente, energie = cast["gemeente"], cast["energie"]
    beperkt = {"KNOOPPUNT_MAX_INHOUD_BYTES": "4096", "KNOOPPUNT_MAX_REQUEST_BYTES": str(4096 + 65536)}
    with start_hub(
        database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir, env=beperkt
    ) as klein:
        berichten = [_kennisgeving(energie, str(uuid.uuid4())) for _ in range(60)]
        with sdk(klein, gemeente) as shv, sdk(klein, energie) as se:
            # the sealed envelopes together are well over the hub's limit
            grootte = sum(len(json.dumps(shv._verzegel(b)[0])) for b in berichten)
            assert grootte > 2 * (4096 + 65536)
            uitkomsten = shv.verstuur_reeks(berichten, max_verzoek_bytes=10_000_000)
            assert [u.status for u in uitkomsten] == [201] * 60
            refs = [u.referentienummer for u in uitkomsten]
            assert [b["referentienummer"] for b in se.inbox(limit=1000)] == refs
