"""The werkplek's layouts compressed (decision 0037): ``…/verzenden/indelingen`` and the download's
``…/indeling`` answer gzip when the request accepts it (RFC 9110 §12.5.3), with ``Vary:
Accept-Encoding``, decoding to the same JSON as the plain answer; the compressed bytes are kept per
layout — the participant's modules, versions and role — never per user. Nothing else of the portal
is compressed (BREACH: a page with a CSRF token or a user's data stays plain)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from knooppunt.portaal.routes.werkplek_verzenden import GEGZIPT, wil_gzip
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.test_sleutels import csrf_van_pagina

SLEUTELS = "/portaal/sleutels/api"
INDELINGEN = f"{SLEUTELS}/verzenden/indelingen"
INDELING = f"{SLEUTELS}/indeling"


@pytest.fixture(autouse=True)
def _lege_cache() -> None:
    GEGZIPT.leeg()


def _browser(nieuwe_browser: Callable[[], TestClient], wie: str) -> tuple[TestClient, str]:
    """A logged-in browser that sends no Accept-Encoding of its own (httpx adds one by default)."""
    browser = inloggen(nieuwe_browser(), wie)
    del browser.headers["Accept-Encoding"]
    return browser, csrf_van_pagina(browser)


def _rauw(browser: TestClient, pad: str, csrf: str, accept: str | None) -> tuple[dict[str, str], bytes]:
    """The answer's headers and its bytes as sent (not decoded by the client)."""
    headers = {"X-CSRF-Token": csrf} | ({"Accept-Encoding": accept} if accept is not None else {})
    with browser.stream("GET", pad, headers=headers) as r:
        assert r.status_code == 200
        return dict(r.headers), b"".join(r.iter_raw())


@pytest.mark.parametrize(
    ("wie", "pad"), [("incasso", INDELINGEN), ("energie", INDELINGEN), ("incasso", INDELING)]
)
def test_gzip_als_gevraagd_en_gelijk_aan_de_json(
    demo: dict[str, int], nieuwe_browser: Callable[[], TestClient], wie: str, pad: str
) -> None:
    browser, csrf = _browser(nieuwe_browser, wie)
    kop, plat = _rauw(browser, pad, csrf, None)
    assert "content-encoding" not in kop and kop["vary"] == "Accept-Encoding"
    assert kop["content-type"] == "application/json"
    kop_gz, gz = _rauw(browser, pad, csrf, "gzip, deflate, br")
    assert kop_gz["content-encoding"] == "gzip" and kop_gz["vary"] == "Accept-Encoding"
    assert kop_gz["content-type"] == "application/json"
    assert kop_gz["content-security-policy"] == kop["content-security-policy"]
    assert int(kop_gz["content-length"]) == len(gz) < len(plat) / 4
    assert gzip.decompress(gz) == plat
    assert json.loads(gzip.decompress(gz)) == json.loads(plat)
    # identity or a refused gzip: plain
    for accept in ("identity", "gzip;q=0", "br", "*;q=0", ""):
        kop_x, x = _rauw(browser, pad, csrf, accept)
        assert "content-encoding" not in kop_x and x == plat, accept
    # the cached bytes are served again
    assert _rauw(browser, pad, csrf, "*")[1] == gz


def test_bewaard_per_indeling_niet_per_gebruiker(
    demo: dict[str, int], nieuwe_browser: Callable[[], TestClient]
) -> None:
    """Two users of one participant share one compressed layout; another participant with other
    modules gets its own; no key names a participant or a user."""
    uma, csrf_uma = _browser(nieuwe_browser, "energie")
    gz_uma = _rauw(uma, INDELINGEN, csrf_uma, "gzip")[1]
    assert len(GEGZIPT._bytes) == 1
    bob, csrf_bob = _browser(nieuwe_browser, "energie")
    assert _rauw(bob, INDELINGEN, csrf_bob, "gzip")[1] == gz_uma and len(GEGZIPT._bytes) == 1
    ida, csrf_ida = _browser(nieuwe_browser, "incasso")
    assert _rauw(ida, INDELINGEN, csrf_ida, "gzip")[1] != gz_uma and len(GEGZIPT._bytes) == 2
    _rauw(ida, INDELING, csrf_ida, "gzip")
    assert len(GEGZIPT._bytes) == 3
    sleutels = repr(list(GEGZIPT._bytes))
    assert oin_van("energie") not in sleutels and oin_van("incasso") not in sleutels
    assert csrf_uma not in sleutels and "Test Gebruiker" not in sleutels


def test_de_rest_van_het_portaal_blijft_ongecomprimeerd(
    demo: dict[str, int], nieuwe_browser: Callable[[], TestClient]
) -> None:
    """BREACH: the page with the CSRF token, the compose metadata with the participant's own open
    questions and a refusal are not compressed, whatever the request accepts."""
    browser, csrf = _browser(nieuwe_browser, "energie")
    for pad, headers in (
        ("/portaal/sleutels", {}),
        (f"{SLEUTELS}/verzenden/opstellen", {"X-CSRF-Token": csrf}),
        (INDELINGEN, {"X-CSRF-Token": csrf + "x"}),
    ):
        with browser.stream("GET", pad, headers=headers | {"Accept-Encoding": "gzip"}) as r:
            assert "content-encoding" not in r.headers, pad


def _verzoek(accept: str | None) -> Request:
    headers: list[tuple[bytes, bytes]] = [] if accept is None else [(b"accept-encoding", accept.encode())]
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    return Request(scope)


@pytest.mark.parametrize(
    ("accept", "gzip_ja"),
    [
        (None, False),
        ("", False),
        ("identity", False),
        ("gzip", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("gzip;q=x", False),
        ("*", True),
        ("*;q=0", False),
        ("*, gzip;q=0", False),
        ("gzip;q=1, *;q=0", True),
        ("br, zstd", False),
    ],
)
def test_accept_encoding_volgens_rfc_9110(accept: str | None, gzip_ja: bool) -> None:
    assert wil_gzip(_verzoek(accept)) is gzip_ja
