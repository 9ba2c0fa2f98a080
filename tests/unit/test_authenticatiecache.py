"""api.auth.Authenticatiecache: bounded, least recently used first out, nothing kept across a change
of the versions it was verified under, nothing past its end (DESIGN §5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from knooppunt.api.auth import Authenticatiecache
from knooppunt.hub.adresboek import Partij

NU = datetime(2026, 12, 5, 12, tzinfo=UTC)
STAND = (3, 7, 1)
TOT = NU + timedelta(hours=1)


def _gevuld(maximum: int = 10) -> Authenticatiecache:
    cache = Authenticatiecache(maximum=maximum)
    assert cache.zoek(b"a", stand=STAND, nu=NU) is None  # the first request of this stand
    return cache


def test_een_geverifieerd_certificaat_wordt_gevonden_tot_zijn_einde() -> None:
    cache = _gevuld()
    cache.bewaar(b"a", Partij("A"), stand=STAND, tot=TOT)
    assert cache.zoek(b"a", stand=STAND, nu=NU) == Partij("A")
    assert cache.zoek(b"a", stand=STAND, nu=TOT - timedelta(microseconds=1)) == Partij("A")
    assert cache.zoek(b"a", stand=STAND, nu=TOT) is None
    assert cache.zoek(b"b", stand=STAND, nu=NU) is None


def test_een_andere_versie_of_crl_generatie_laat_niets_staan() -> None:
    for andere in ((4, 7, 1), (3, 8, 1), (3, 7, 2)):
        cache = _gevuld()
        cache.bewaar(b"a", Partij("A"), stand=STAND, tot=TOT)
        assert cache.zoek(b"a", stand=andere, nu=NU) is None
        assert len(cache) == 0
        # Not even when a request that read the older versions comes later.
        assert cache.zoek(b"a", stand=STAND, nu=NU) is None


def test_een_verzoek_met_een_oudere_stand_vindt_niets_en_laat_de_nieuwere_staan() -> None:
    cache = _gevuld()
    nieuwer = (3, 8, 1)
    assert cache.zoek(b"a", stand=nieuwer, nu=NU) is None
    cache.bewaar(b"a", Partij("A"), stand=nieuwer, tot=TOT)
    # a request that read the versions before the change (or the event loop's first look)
    assert cache.zoek(b"a", stand=STAND, nu=NU) is None
    assert cache.zoek(b"a", stand=nieuwer, nu=NU) == Partij("A")
    # a mixed stand is no older one: something changed that the kept stand did not see
    assert cache.zoek(b"a", stand=(4, 7, 1), nu=NU) is None
    assert len(cache) == 0


def test_wat_onder_een_oudere_stand_geverifieerd_is_wordt_niet_bewaard() -> None:
    cache = _gevuld()
    assert cache.zoek(b"b", stand=(3, 8, 1), nu=NU) is None  # another request read a newer version
    cache.bewaar(b"a", Partij("A"), stand=STAND, tot=TOT)
    assert len(cache) == 0
    assert cache.zoek(b"a", stand=(3, 8, 1), nu=NU) is None


def test_de_cache_is_begrensd_en_laat_de_langst_niet_gebruikte_eerst_los() -> None:
    cache = _gevuld(maximum=2)
    cache.bewaar(b"a", Partij("A"), stand=STAND, tot=TOT)
    cache.bewaar(b"b", Partij("B"), stand=STAND, tot=TOT)
    assert cache.zoek(b"a", stand=STAND, nu=NU) == Partij("A")  # a is now the most recently used
    cache.bewaar(b"c", Partij("C"), stand=STAND, tot=TOT)
    assert len(cache) == 2
    assert cache.zoek(b"b", stand=STAND, nu=NU) is None
    assert cache.zoek(b"a", stand=STAND, nu=NU) == Partij("A")
    assert cache.zoek(b"c", stand=STAND, nu=NU) == Partij("C")
