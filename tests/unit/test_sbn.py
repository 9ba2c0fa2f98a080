"""The simulated fund decides as SBN publishes it: the examples of SBN's
``010_aanvragen-borgstelling/accepteer-automatisch.feature`` (amounts there in euros, here in cents)
and the gebeurtenissen the demo's fund sends for each outcome."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from knooppunt.protocol.modules.waarborgfonds.payloads import (
    AanvraagBorgstelling,
    AanvraagOvername,
    Voorbeoordeling,
)
from knooppunt.protocol.modules.waarborgfonds.sbn import (
    Drempels,
    ProForma,
    gebeurtenissen,
    maanden_gelopen,
    uitkomst,
)
from knooppunt.protocol.payloads.voorbeelden import voorbeeld

W = "waarborgfonds"
NU = date(2026, 12, 1)


def _aanvraag(som: int, looptijd: int = 36, **velden: Any) -> AanvraagBorgstelling:
    data = voorbeeld(W, "aanvraag_borgstelling")
    del data["proFormaBorgstelling"], data["nettoKredietsom"], data["maandaflossing"]
    data.update(brutoKredietsom=som, looptijdMaanden=looptijd, **velden)
    return AanvraagBorgstelling.model_validate(data)


def _voorbeoordeling(som: int, looptijd: int = 36) -> Voorbeoordeling:
    data = voorbeeld(W, "voorbeoordeling")
    del data["nettoKredietsom"], data["maandaflossing"]
    data.update(brutoKredietsom=som, looptijdMaanden=looptijd)
    return Voorbeoordeling.model_validate(data)


def _overname(uitbetaald: str, som: int = 499_999) -> AanvraagOvername:
    data = voorbeeld(W, "aanvraag_overname")
    del data["nettoKredietsom"], data["maandaflossing"]
    data.update(brutoKredietsom=som, uitstaandSaldo=100_000, datumUitbetaald=uitbetaald)
    return AanvraagOvername.model_validate(data)


# --- SBN's decision table, scenario "Beoordeel aanvraag zonder pro-forma aanvraag" -----------------------


@pytest.mark.parametrize(
    ("som", "looptijd", "in_werkgebied", "drempels", "verwacht"),
    [
        (499_999, 36, False, Drempels(), "maatwerk"),
        (499_999, 36, True, Drempels(), "geaccepteerd"),
        (500_000, 36, True, Drempels(), "maatwerk"),
        (1_000_000, 36, True, Drempels(), "afgewezen"),
        (199_999, 36, True, Drempels(direct_tot=200_000, afwijzen_vanaf=0), "geaccepteerd"),
        (200_000, 36, True, Drempels(direct_tot=200_000, afwijzen_vanaf=0), "afgewezen"),
        (499_999, 37, True, Drempels(), "maatwerk"),
    ],
    ids=[
        "buiten-werkgebied",
        "onder-5000",
        "5000",
        "10000",
        "pilot-jpf-1999,99",
        "pilot-jpf-2000",
        "37-maanden",
    ],
)
def test_sbn_beslissingstabel(
    som: int, looptijd: int, in_werkgebied: bool, drempels: Drempels, verwacht: str
) -> None:
    gebied = frozenset({"3511"}) if in_werkgebied else frozenset({"9854"})
    drempels = dataclasses.replace(drempels, postcodegebieden=gebied)
    assert uitkomst(_aanvraag(som, looptijd), nu=NU, drempels=drempels) == verwacht


def test_zonder_werkgebied_telt_alleen_het_bedrag() -> None:
    assert uitkomst(_aanvraag(499_999), nu=NU) == "geaccepteerd"


def test_drempels_per_kredietbank() -> None:
    streng = Drempels(direct_tot=300_000, direct_max_looptijd=24, afwijzen_vanaf=800_000)
    assert uitkomst(_aanvraag(299_999, 24), nu=NU, drempels=streng) == "geaccepteerd"
    assert uitkomst(_aanvraag(299_999, 25), nu=NU, drempels=streng) == "maatwerk"
    assert uitkomst(_aanvraag(400_000), nu=NU, drempels=streng) == "maatwerk"
    assert uitkomst(_aanvraag(800_000), nu=NU, drempels=streng) == "afgewezen"
    assert uitkomst(_aanvraag(99_999), nu=NU, drempels=Drempels(direct_vanaf=100_000)) == "maatwerk"


# --- SBN's scenario "Beoordeel aanvraag met pro-forma aanvraag" ------------------------------------------


@pytest.mark.parametrize(
    ("pf_som", "pf_looptijd", "pf_afgegeven", "som", "looptijd", "verwacht"),
    [
        (500_000, 36, True, 500_000, 36, "geaccepteerd"),
        (500_000, 36, False, 499_999, 36, "geaccepteerd"),
        (500_000, 36, True, 524_900, 36, "geaccepteerd"),
        (500_000, 36, False, 524_900, 36, "afgewezen"),
        (500_000, 36, True, 525_000, 36, "maatwerk"),
        (500_000, 36, True, 500_000, 37, "maatwerk"),
        (525_000, 36, False, 500_000, 36, "maatwerk"),
    ],
)
def test_sbn_pro_forma(
    pf_som: int, pf_looptijd: int, pf_afgegeven: bool, som: int, looptijd: int, verwacht: str
) -> None:
    pro_forma = ProForma(bruto_kredietsom=pf_som, looptijd_maanden=pf_looptijd, afgegeven=pf_afgegeven)
    assert uitkomst(_aanvraag(som, looptijd), nu=NU, pro_forma=pro_forma) == verwacht


# --- SBN's overname scenarios ----------------------------------------------------------------------------


def test_overname_korter_dan_36_maanden_gelopen_geaccepteerd() -> None:
    assert uitkomst(_overname("2024-01-02"), nu=NU) == "geaccepteerd"  # 34 months
    assert uitkomst(_overname("2023-12-02"), nu=NU) == "geaccepteerd"  # 35 months, one day short of 36


def test_overname_36_maanden_of_langer_gelopen_afgewezen() -> None:
    assert uitkomst(_overname("2023-12-01"), nu=NU) == "afgewezen"
    assert gebeurtenissen(_overname("2020-01-01"), nu=NU) == ("aanvraag_afgewezen",)


@pytest.mark.parametrize(
    ("uitbetaald", "maanden"),
    [(date(2026, 12, 1), 0), (date(2026, 11, 2), 0), (date(2026, 11, 1), 1), (date(2023, 12, 1), 36)],
)
def test_maanden_gelopen(uitbetaald: date, maanden: int) -> None:
    assert maanden_gelopen(uitbetaald, NU) == maanden
    assert maanden_gelopen(date(2027, 1, 1), NU) == 0


# --- the gebeurtenissen the simulated fund sends ---------------------------------------------------------


@pytest.mark.parametrize(
    ("som", "looptijd", "verwacht"),
    [
        (480_000, 36, ("borgstelling_afgegeven",)),
        (499_999, 36, ("borgstelling_afgegeven",)),
        (500_000, 36, ("aanvraag_in_behandeling", "borgstelling_afgegeven")),
        (480_000, 48, ("aanvraag_in_behandeling", "borgstelling_afgegeven")),
        (999_999, 60, ("aanvraag_in_behandeling", "borgstelling_afgegeven")),
        (1_000_000, 36, ("aanvraag_afgewezen",)),
        (2_500_000, 12, ("aanvraag_afgewezen",)),
    ],
)
def test_gebeurtenissen_bij_een_aanvraag(som: int, looptijd: int, verwacht: tuple[str, ...]) -> None:
    assert gebeurtenissen(_aanvraag(som, looptijd), nu=NU) == verwacht


def test_maatwerk_kan_ook_worden_afgewezen() -> None:
    drempels = Drempels(maatwerk_toekennen=False)
    assert gebeurtenissen(_aanvraag(700_000), nu=NU, drempels=drempels) == (
        "aanvraag_in_behandeling",
        "aanvraag_afgewezen",
    )


@pytest.mark.parametrize(
    ("som", "looptijd", "verwacht"),
    [
        (480_000, 36, ("pro_forma_afgegeven",)),
        (700_000, 36, ("aanvraag_in_behandeling", "pro_forma_afgegeven")),
        (480_000, 40, ("aanvraag_in_behandeling", "pro_forma_afgegeven")),
        (1_000_000, 36, ("aanvraag_in_behandeling", "pro_forma_afgewezen")),
    ],
)
def test_gebeurtenissen_bij_een_voorbeoordeling(som: int, looptijd: int, verwacht: tuple[str, ...]) -> None:
    assert gebeurtenissen(_voorbeoordeling(som, looptijd), nu=NU) == verwacht


def test_voorbeoordeling_wordt_nooit_automatisch_afgewezen() -> None:
    """SBN's pro forma decision model knows only geaccepteerd and maatwerk."""
    assert uitkomst(_voorbeoordeling(5_000_000), nu=NU) == "maatwerk"


def test_het_voorbeeld_van_de_module_krijgt_direct_een_borgstelling() -> None:
    aanvraag = AanvraagBorgstelling.model_validate(voorbeeld(W, "aanvraag_borgstelling"))
    assert gebeurtenissen(aanvraag, nu=NU) == ("borgstelling_afgegeven",)
    assert gebeurtenissen(Voorbeoordeling.model_validate(voorbeeld(W, "voorbeoordeling")), nu=NU) == (
        "pro_forma_afgegeven",
    )


# --- Drempels ------------------------------------------------------------------------------------------


def test_drempels_zijn_bevroren_en_hebben_sbns_standaard() -> None:
    drempels = Drempels()
    assert (drempels.direct_tot, drempels.direct_max_looptijd, drempels.afwijzen_vanaf) == (
        500_000,
        36,
        1_000_000,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        drempels.direct_tot = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("velden", "tekst"),
    [
        ({"direct_tot": -1}, "negatief"),
        ({"afwijzen_vanaf": -1}, "negatief"),
        ({"direct_max_looptijd": 0}, "tussen 1 en 60"),
        ({"direct_max_looptijd": 61}, "tussen 1 en 60"),
        ({"overname_max_maanden": 0}, "minstens 1"),
    ],
)
def test_ongeldige_drempels(velden: dict[str, int], tekst: str) -> None:
    with pytest.raises(ValueError, match=tekst):
        Drempels(**velden)
