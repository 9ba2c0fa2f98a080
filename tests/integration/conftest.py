"""Fixtures of the tests that send through every submit path (`modulepad.PADEN`): the path, the
cast with its modules, and a traject in one module and version."""

from __future__ import annotations

from typing import Any

import pytest

from knooppunt.runtime import Runtime
from tests.factories import Partij
from tests.integration.modulepad import PADEN, Traject, meedoen


@pytest.fixture(params=PADEN)
def pad(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def wie(rt: Runtime, pki: dict[str, Partij]) -> dict[str, Partij]:
    return meedoen(rt, pki)


@pytest.fixture
def traject(client_voor: Any, pad: str) -> Any:
    """``traject(versie="2.0", module="schuldregeling")``: a new conversation on this path."""

    def maak(versie: str = "2.0", module: str = "schuldregeling") -> Traject:
        return Traject(client_voor, pad, module, versie)

    return maak
