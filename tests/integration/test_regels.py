"""Every hub-enforced condition of DESIGN §3, each named after its article in the Procesafspraken."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from knooppunt.runtime import Runtime
from tests.conftest import registreer
from tests.factories import Partij, envelop


class Traject:
    """One client's traject: a conversation with helpers to send and answer over the API."""

    def __init__(self, cast: dict[str, Partij], client_voor: Any) -> None:
        self.cast = cast
        self.client_voor = client_voor
        self.conversatie = str(uuid.uuid4())
        self._clients: dict[str, Any] = {}

    def client(self, partij: Partij) -> Any:
        if partij.oin not in self._clients:
            self._clients[partij.oin] = self.client_voor(partij)
        return self._clients[partij.oin]

    def stuur(
        self,
        van: Partij,
        aan: Partij,
        berichttype: str,
        *,
        antwoord_op: str | None = None,
        conversatie: str | None = None,
    ) -> Any:
        env = envelop(
            van, aan, berichttype, conversatie=conversatie or self.conversatie, antwoord_op=antwoord_op
        )
        antwoord = self.client(van).post("/berichten", json=env)
        antwoord.referentienummer = env["referentienummer"]
        return antwoord

    def ok(self, van: Partij, aan: Partij, berichttype: str, **kwargs: Any) -> str:
        antwoord = self.stuur(van, aan, berichttype, **kwargs)
        assert antwoord.status_code == 201, antwoord.text
        return str(antwoord.referentienummer)

    def geweigerd(
        self, van: Partij, aan: Partij, berichttype: str, code: str, status: int = 422, **kwargs: Any
    ) -> dict[str, Any]:
        antwoord = self.stuur(van, aan, berichttype, **kwargs)
        assert antwoord.status_code == status, antwoord.text
        assert antwoord.headers["content-type"].startswith("application/problem+json")
        probleem: dict[str, Any] = antwoord.json()
        assert probleem["code"] == code
        assert probleem["status"] == status
        assert probleem["detail"]
        return probleem


@pytest.fixture
def traject(cast: dict[str, Partij], client_voor: Any) -> Traject:
    return Traject(cast, client_voor)


def test_art_3_1_kennisgeving_alleen_naar_schuldeiser_zonder_bsn(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    traject.ok(cast["gemeente"], cast["energie"], "kennisgeving")
    probleem = traject.geweigerd(
        cast["gemeente"], cast["belasting"], "kennisgeving", "ONTVANGER_GEBRUIKT_BSN"
    )
    assert "kennisgeving_bsn" in probleem["detail"]


def test_art_3_2_kennisgeving_bsn_alleen_naar_schuldeiser_met_bsn(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    traject.ok(cast["gemeente"], cast["belasting"], "kennisgeving_bsn")
    traject.geweigerd(cast["gemeente"], cast["energie"], "kennisgeving_bsn", "ONTVANGER_GEBRUIKT_GEEN_BSN")


def test_art_4_1_kennisgeving_antwoord_verwijst_naar_kennisgeving(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    kennisgeving = traject.ok(gemeente, energie, "kennisgeving")
    traject.geweigerd(
        energie, gemeente, "kennisgeving_antwoord", "ONGELDIG_ANTWOORD"
    )  # no crossReferentienummer
    traject.ok(energie, gemeente, "kennisgeving_antwoord", antwoord_op=kennisgeving)


def test_art_4_2_kennisgeving_antwoord_heeft_geen_termijn(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    kennisgeving = traject.ok(gemeente, energie, "kennisgeving")
    bevestigd = traject.client(energie).post(f"/berichten/{kennisgeving}/bevestiging").json()
    assert bevestigd["antwoordUiterlijk"] is None


@pytest.mark.parametrize(
    ("berichttype", "goed", "fout", "artikel"),
    [
        ("saldoverzoek_nuts", "energie", "woning", "5.2"),
        ("saldoverzoek_publiek", "belasting", "energie", "5.4"),
        ("saldoverzoek_zorg", "zorg", "woning", "5.5"),
    ],
)
def test_art_5_saldoverzoek_variant_past_bij_schuldensoort(
    traject: Traject, cast: dict[str, Partij], berichttype: str, goed: str, fout: str, artikel: str
) -> None:
    traject.ok(cast["gemeente"], cast[goed], berichttype)
    probleem = traject.geweigerd(cast["gemeente"], cast[fout], berichttype, "ONJUISTE_SCHULDENSOORT")
    assert artikel in probleem["detail"]


def test_art_5_1_en_2_1_saldoverzoek_krijgt_antwoordtermijn(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    vraag = traject.ok(cast["gemeente"], cast["woning"], "saldoverzoek")
    bevestigd = traject.client(cast["woning"]).post(f"/berichten/{vraag}/bevestiging").json()
    assert bevestigd["antwoordUiterlijk"] is not None


def test_art_6_1_saldoverzoek_antwoord_beantwoordt_saldoverzoek(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    kennisgeving = traject.ok(gemeente, energie, "kennisgeving")
    traject.geweigerd(
        energie, gemeente, "saldoverzoek_antwoord", "ONGELDIG_ANTWOORD", antwoord_op=kennisgeving
    )
    vraag = traject.ok(gemeente, energie, "saldoverzoek_nuts")
    traject.ok(energie, gemeente, "saldoverzoek_antwoord", antwoord_op=vraag)
    status = {
        b["referentienummer"]: b["status"]
        for b in traject.client(gemeente).get("/verzonden").json()["berichten"]
    }
    assert status[vraag] == "beantwoord"


def test_art_7_1_standaard_akkoord_alleen_voor_schuldeiser_met_vlag(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    gemeente, zorg, woning = cast["gemeente"], cast["zorg"], cast["woning"]
    vraag_woning = traject.ok(gemeente, woning, "saldoverzoek")
    traject.geweigerd(
        woning,
        gemeente,
        "saldoverzoek_antwoord_standaard_akkoord",
        "GEEN_STANDAARD_AKKOORD",
        antwoord_op=vraag_woning,
    )
    vraag_zorg = traject.ok(gemeente, zorg, "saldoverzoek_zorg")
    traject.ok(zorg, gemeente, "saldoverzoek_antwoord_standaard_akkoord", antwoord_op=vraag_zorg)


def test_art_7_2_en_11_1_standaard_akkoord_geldt_als_akkoord(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    gemeente, zorg = cast["gemeente"], cast["zorg"]
    vraag = traject.ok(gemeente, zorg, "saldoverzoek_zorg")
    traject.ok(zorg, gemeente, "saldoverzoek_antwoord_standaard_akkoord", antwoord_op=vraag)
    traject.ok(gemeente, zorg, "schuldregeling_geaccordeerd")


def test_art_7_3_afwijken_van_standaard_akkoord_geeft_betaalvoorstel(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    gemeente, zorg = cast["gemeente"], cast["zorg"]
    eerste = traject.ok(gemeente, zorg, "saldoverzoek_zorg")
    traject.ok(zorg, gemeente, "saldoverzoek_antwoord_standaard_akkoord", antwoord_op=eerste)
    # A correction with the regular answer: the latest answer counts, so a betaalvoorstel may follow.
    traject.ok(zorg, gemeente, "saldoverzoek_antwoord", antwoord_op=eerste)
    traject.ok(gemeente, zorg, "betaalvoorstel")


def test_art_8_1_klant_onbekend_beantwoordt_kennisgeving_of_saldoverzoek(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    gemeente, woning = cast["gemeente"], cast["woning"]
    kennisgeving = traject.ok(gemeente, woning, "kennisgeving")
    traject.ok(woning, gemeente, "klant_onbekend", antwoord_op=kennisgeving)
    vraag = traject.ok(gemeente, woning, "saldoverzoek")
    traject.ok(woning, gemeente, "klant_onbekend", antwoord_op=vraag)
    voorstel = traject.ok(gemeente, woning, "betaalvoorstel")
    traject.geweigerd(woning, gemeente, "klant_onbekend", "ONGELDIG_ANTWOORD", antwoord_op=voorstel)


def test_art_9_1_betaalvoorstel_na_klant_onbekend_wordt_niet_geweigerd(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    gemeente, woning = cast["gemeente"], cast["woning"]
    vraag = traject.ok(gemeente, woning, "saldoverzoek")
    traject.ok(woning, gemeente, "klant_onbekend", antwoord_op=vraag)
    traject.ok(gemeente, woning, "betaalvoorstel")  # balances may have come by another channel


def test_art_9_3_geen_betaalvoorstel_na_standaard_akkoord(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, zorg = cast["gemeente"], cast["zorg"]
    vraag = traject.ok(gemeente, zorg, "saldoverzoek_zorg")
    traject.ok(zorg, gemeente, "saldoverzoek_antwoord_standaard_akkoord", antwoord_op=vraag)
    traject.geweigerd(gemeente, zorg, "betaalvoorstel", "GEEN_BETAALVOORSTEL_NA_STANDAARD_AKKOORD")


def test_art_9_3_geldt_per_conversatie_en_per_partij(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, kredietbank, zorg = cast["gemeente"], cast["kredietbank"], cast["zorg"]
    vraag = traject.ok(gemeente, zorg, "saldoverzoek_zorg")
    traject.ok(zorg, gemeente, "saldoverzoek_antwoord_standaard_akkoord", antwoord_op=vraag)
    # Another conversation of the same SHV, and another SHV's conversation, are not affected.
    traject.ok(gemeente, zorg, "betaalvoorstel", conversatie=str(uuid.uuid4()))
    traject.ok(kredietbank, zorg, "betaalvoorstel", conversatie=str(uuid.uuid4()))


def test_art_10_betaalvoorstel_antwoorden_beantwoorden_betaalvoorstel(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    vraag = traject.ok(gemeente, energie, "saldoverzoek_nuts")
    traject.geweigerd(energie, gemeente, "betaalvoorstel_akkoord", "ONGELDIG_ANTWOORD", antwoord_op=vraag)
    voorstel = traject.ok(gemeente, energie, "betaalvoorstel")
    traject.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=voorstel)
    traject.ok(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=voorstel)  # a correction


def test_art_11_1_geaccordeerd_alleen_na_akkoord(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    traject.geweigerd(gemeente, energie, "schuldregeling_geaccordeerd", "GEEN_AKKOORD")
    voorstel = traject.ok(gemeente, energie, "betaalvoorstel")
    traject.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=voorstel)
    traject.geweigerd(gemeente, energie, "schuldregeling_geaccordeerd", "GEEN_AKKOORD")
    traject.ok(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=voorstel)
    traject.ok(gemeente, energie, "schuldregeling_geaccordeerd")


def test_art_11_1_laatste_antwoord_telt(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    voorstel = traject.ok(gemeente, energie, "betaalvoorstel")
    traject.ok(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=voorstel)
    traject.ok(energie, gemeente, "betaalvoorstel_niet_akkoord", antwoord_op=voorstel)
    traject.geweigerd(gemeente, energie, "schuldregeling_geaccordeerd", "GEEN_AKKOORD")


def test_art_11_1_akkoord_van_een_ander_telt_niet(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    voorstel = traject.ok(gemeente, energie, "betaalvoorstel")
    traject.ok(energie, gemeente, "betaalvoorstel_akkoord", antwoord_op=voorstel)
    traject.geweigerd(gemeente, woning, "schuldregeling_geaccordeerd", "GEEN_AKKOORD")


def test_art_12_1_beeindigd_alleen_na_eerder_contact(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    traject.geweigerd(gemeente, energie, "schuldregeling_beeindigd", "GEEN_EERDER_CONTACT")
    traject.ok(gemeente, energie, "kennisgeving")
    traject.ok(gemeente, energie, "schuldregeling_beeindigd")


def test_art_13_4_statusbericht_wordt_niet_beantwoord(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    status = traject.ok(gemeente, energie, "statusbericht")
    for antwoordtype in ("saldoverzoek_antwoord", "betaalvoorstel_akkoord", "klant_onbekend"):
        traject.geweigerd(energie, gemeente, antwoordtype, "ONGELDIG_ANTWOORD", antwoord_op=status)
    bevestigd = traject.client(energie).post(f"/berichten/{status}/bevestiging").json()
    assert bevestigd["antwoordUiterlijk"] is None


def test_art_14_1_statusverzoek_alleen_na_eerder_contact(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    traject.geweigerd(energie, gemeente, "statusverzoek", "GEEN_EERDER_CONTACT")
    traject.ok(gemeente, energie, "kennisgeving")
    traject.ok(energie, gemeente, "statusverzoek")


def test_art_14_1_statusverzoek_in_andermans_conversatie_geweigerd(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    traject.ok(gemeente, energie, "kennisgeving")
    # woning is not party to this conversation: the same answer as a conversation that does not exist.
    traject.geweigerd(woning, gemeente, "statusverzoek", "GEEN_EERDER_CONTACT")


def test_art_14_2_statusverzoek_beantwoord_met_statusbericht(
    traject: Traject, cast: dict[str, Partij]
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    traject.ok(gemeente, energie, "kennisgeving")
    verzoek = traject.ok(energie, gemeente, "statusverzoek")
    traject.client(gemeente).post(f"/berichten/{verzoek}/bevestiging")
    traject.ok(gemeente, energie, "statusbericht", antwoord_op=verzoek)
    status = {b["referentienummer"]: b for b in traject.client(energie).get("/verzonden").json()["berichten"]}
    assert status[verzoek]["status"] == "beantwoord"
    assert status[verzoek]["antwoordUiterlijk"] is not None


def test_art_15_1_reminder_alleen_voor_eigen_open_vraag(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, kredietbank, energie = cast["gemeente"], cast["kredietbank"], cast["energie"]
    traject.geweigerd(gemeente, energie, "reminder", "ONGELDIGE_VERWIJZING")  # refers to nothing
    kennisgeving = traject.ok(gemeente, energie, "kennisgeving")
    traject.geweigerd(gemeente, energie, "reminder", "ONGELDIGE_VERWIJZING", antwoord_op=kennisgeving)
    vraag = traject.ok(gemeente, energie, "saldoverzoek_nuts")
    traject.ok(gemeente, energie, "reminder", antwoord_op=vraag)
    traject.ok(gemeente, energie, "reminder", antwoord_op=vraag)  # several reminders are fine
    # Another SHV cannot remind about this question, even if it knew the number.
    traject.geweigerd(
        kredietbank,
        energie,
        "reminder",
        "ONGELDIGE_VERWIJZING",
        antwoord_op=vraag,
        conversatie=str(uuid.uuid4()),
    )
    traject.ok(energie, gemeente, "saldoverzoek_antwoord", antwoord_op=vraag)
    traject.geweigerd(gemeente, energie, "reminder", "ONGELDIGE_VERWIJZING", antwoord_op=vraag)


def test_art_15_1_reminders_worden_per_vraag_geteld(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    conversatie = str(uuid.uuid4())
    vraag = traject.ok(gemeente, energie, "saldoverzoek_nuts", conversatie=conversatie)
    voorstel = traject.ok(gemeente, energie, "betaalvoorstel", conversatie=conversatie)
    kennisgeving = traject.ok(gemeente, energie, "kennisgeving", conversatie=conversatie)
    for _ in range(2):
        traject.ok(gemeente, energie, "reminder", antwoord_op=vraag, conversatie=conversatie)
    traject.ok(gemeente, energie, "reminder", antwoord_op=voorstel, conversatie=conversatie)
    verzonden = {
        b["referentienummer"]: b for b in traject.client(gemeente).get("/verzonden").json()["berichten"]
    }
    assert verzonden[vraag]["aantalReminders"] == 2
    assert verzonden[voorstel]["aantalReminders"] == 1
    assert verzonden[kennisgeving]["aantalReminders"] is None  # no reminder can refer to it
    reminders = [b for b in verzonden.values() if b["berichttype"] == "reminder"]
    assert len(reminders) == 3 and all(b["aantalReminders"] is None for b in reminders)
    tijdlijn = traject.client(gemeente).get(f"/conversaties/{conversatie}").json()["berichten"]
    assert {b["referentienummer"]: b["aantalReminders"] for b in tijdlijn}[vraag] == 2
    # The creditor sees the messages, not the debt counsellor's reminder count.
    bij_se = traject.client(energie).get(f"/conversaties/{conversatie}").json()["berichten"]
    assert all(b["aantalReminders"] is None for b in bij_se)


def test_art_15_1_reminder_zet_vraag_niet_op_beantwoord(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    voorstel = traject.ok(gemeente, energie, "betaalvoorstel")
    traject.ok(gemeente, energie, "reminder", antwoord_op=voorstel)
    status = {
        b["referentienummer"]: b["status"]
        for b in traject.client(gemeente).get("/verzonden").json()["berichten"]
    }
    assert status[voorstel] == "aangeboden"


def test_antwoord_op_onbevestigd_bericht_bevestigt_het(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    vraag = traject.ok(gemeente, energie, "saldoverzoek_nuts")
    traject.ok(energie, gemeente, "saldoverzoek_antwoord", antwoord_op=vraag)
    assert traject.client(energie).get("/berichten").json()["berichten"] == []
    ontvangen = traject.client(gemeente).get("/berichten").json()["berichten"]
    assert sorted(b["berichttype"] for b in ontvangen) == ["ontvangstbevestiging", "saldoverzoek_antwoord"]


def test_antwoord_op_andermans_bericht_is_als_onbekend(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    vraag = traject.ok(gemeente, energie, "saldoverzoek_nuts")
    onbekend = traject.geweigerd(
        woning, gemeente, "saldoverzoek_antwoord", "ONGELDIG_ANTWOORD", antwoord_op=str(uuid.uuid4())
    )
    andermans = traject.geweigerd(
        woning, gemeente, "saldoverzoek_antwoord", "ONGELDIG_ANTWOORD", antwoord_op=vraag
    )
    # The same answer as for a number that does not exist: nobody learns what others exchanged.
    assert onbekend["detail"].split("is geen")[1] == andermans["detail"].split("is geen")[1]
    assert onbekend["invalidParams"] == andermans["invalidParams"]


def test_antwoord_in_andere_conversatie_geweigerd(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    vraag = traject.ok(gemeente, energie, "saldoverzoek_nuts")
    traject.geweigerd(
        energie,
        gemeente,
        "saldoverzoek_antwoord",
        "ONGELDIG_ANTWOORD",
        antwoord_op=vraag,
        conversatie=str(uuid.uuid4()),
    )


def test_vraag_zonder_antwoord_mag_geen_verwijzing_hebben(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    kennisgeving = traject.ok(gemeente, energie, "kennisgeving")
    traject.geweigerd(gemeente, energie, "saldoverzoek_nuts", "ONGELDIG_ANTWOORD", antwoord_op=kennisgeving)


def test_rol_afzender_en_ontvanger(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, kredietbank, energie, woning = (
        cast["gemeente"],
        cast["kredietbank"],
        cast["energie"],
        cast["woning"],
    )
    traject.geweigerd(energie, woning, "kennisgeving", "ROL_NIET_TOEGESTAAN")  # SE cannot send it
    traject.geweigerd(
        gemeente, kredietbank, "kennisgeving", "ROL_NIET_TOEGESTAAN"
    )  # nor can an SHV receive it
    traject.geweigerd(gemeente, energie, "foutbericht", "ROL_NIET_TOEGESTAAN")  # hub-authored only
    traject.geweigerd(gemeente, energie, "ontvangstbevestiging", "ROL_NIET_TOEGESTAAN")


def test_module_moet_bij_beide_partijen_actief_zijn(
    traject: Traject, cast: dict[str, Partij], rt: Runtime, pki: dict[str, Partij]
) -> None:
    traject.geweigerd(cast["gemeente"], cast["buitenstaander"], "kennisgeving", "MODULE_NIET_ACTIEF")


def test_onbekende_ontvanger(traject: Traject, cast: dict[str, Partij], tmp_path: Any) -> None:
    from knooppunt.pki import ontwikkel_ca

    ontwikkel_ca.init(tmp_path / "ander")
    uit = ontwikkel_ca.issue(tmp_path / "ander", oin="00000003999999990000", naam="Niet aangesloten")
    niemand = Partij(
        "00000003999999990000", "Niet aangesloten", "SE", "99999999", uit.certificaat, uit.sleutel
    )
    probleem = traject.geweigerd(cast["gemeente"], niemand, "kennisgeving", "ONBEKENDE_ONTVANGER")
    assert "ander kanaal" in probleem["detail"]


def test_onbekend_berichttype_en_versie(traject: Traject, cast: dict[str, Partij]) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = envelop(gemeente, energie, "kennisgeving_xl")
    r = traject.client(gemeente).post("/berichten", json=env)
    assert (r.status_code, r.json()["code"]) == (422, "ONBEKEND_BERICHTTYPE")
    env = envelop(gemeente, energie, "kennisgeving", versie="9.9")
    r = traject.client(gemeente).post("/berichten", json=env)
    assert (r.status_code, r.json()["code"]) == (422, "ONBEKENDE_VERSIE")
    assert r.json()["invalidParams"][0]["name"] == "versie"


def test_conversatie_van_andere_shv(traject: Traject, cast: dict[str, Partij]) -> None:
    traject.ok(cast["gemeente"], cast["energie"], "kennisgeving")
    traject.geweigerd(cast["kredietbank"], cast["energie"], "kennisgeving", "ONGELDIGE_CONVERSATIE")


def test_te_veel_open_berichten(cast: dict[str, Partij], client_voor: Any, rt: Runtime) -> None:
    from dataclasses import replace

    rt.instellingen = replace(rt.instellingen, max_open=2)
    traject = Traject(cast, client_voor)
    traject.ok(cast["gemeente"], cast["energie"], "kennisgeving")
    traject.ok(cast["gemeente"], cast["energie"], "saldoverzoek_nuts")
    traject.geweigerd(cast["gemeente"], cast["energie"], "statusbericht", "TE_VEEL_OPEN", status=429)
    traject.ok(cast["gemeente"], cast["woning"], "kennisgeving")  # per sender/recipient pair
    eerste = traject.client(cast["energie"]).get("/berichten").json()["berichten"][0]["referentienummer"]
    traject.client(cast["energie"]).post(f"/berichten/{eerste}/bevestiging")
    traject.ok(cast["gemeente"], cast["energie"], "statusbericht")


def test_deelnemer_met_extra_module_registreren(rt: Runtime, pki: dict[str, Partij]) -> None:
    registreer(rt, pki["gemeente"], modules=["schuldregeling", "saldoverzoek"])
