"""Property-based tests of the served OpenAPI document against a real `knooppunt serve` over mutual
TLS (issue #11, item 2): schemathesis generates valid and invalid requests for every operation from
the document the hub serves (and undeclared methods), and runs all its checks on every answer: no
server error; status code, content type, headers and body as the document says; invalid requests
refused, valid ones not refused as malformed; a 405 with Allow. Bounded and deterministic: a fixed
number of examples per operation, derandomized, so a run takes about a minute and a failure
reproduces."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import PositiveDataAcceptanceConfig

from knooppunt.api.schemas import lees_moment
from tests.factories import Partij
from tests.functional.server import start_hub

# Examples per operation and generation mode; with 13 operations and both databases this stays
# within a few minutes on CI's two cores.
VOORBEELDEN = 25


@pytest.fixture
def gediende_openapi(
    database_url: str, tmp_path: Path, pki_dir: Path, cast: dict[str, Partij]
) -> Iterator[Any]:
    """The document as `knooppunt serve` serves it, with the energy company's certificate (a
    creditor: its inbox, its adresboek, its refusals) for every generated request."""
    energie = cast["energie"]
    with start_hub(database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir) as hub:
        cert = (str(energie.cert_pad), str(energie.key_pad))
        schema = schemathesis.openapi.from_url(
            f"{hub.url}/api/v1/openapi.json", verify=str(hub.ca), cert=cert
        )
        schema.config.update(
            base_url=f"{hub.url}/api/v1",
            tls_verify=str(hub.ca),
            request_cert=cert[0],
            request_cert_key=cert[1],
            request_timeout=30,
        )
        schema.config.generation.update(max_examples=VOORBEELDEN, deterministic=True)
        # Valid by the document but refused by a hub rule (422: unknown berichttype, recipient,
        # ...) or not there (404): what a well-formed request may still get.
        schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
            expected_statuses=["2xx", "401", "404", "409", "410", "422", "429"]
        )
        # Data the document forbids is refused with a 4xx — also 413 (DESIGN §4: "at most 1,000
        # envelopes and the configured request size, else 413"), which schemathesis' default list
        # for rejected data leaves out (it sent 1,001 envelopes).
        afwijzing = schema.config.checks.negative_data_rejection
        schema.config.checks.negative_data_rejection = type(afwijzing)(
            expected_statuses=[*afwijzing.expected_statuses, "413"]
        )
        yield schema
        assert hub.proces.poll() is None, "knooppunt serve stopte tijdens de test:\n" + "".join(hub.log[-40:])


schema = schemathesis.pytest.from_fixture("gediende_openapi")


@schema.parametrize()
@settings(
    max_examples=VOORBEELDEN,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_elk_antwoord_volgt_het_document_en_geen_is_een_serverfout(case: Any) -> None:
    if case.meta is not None and case.meta.generation.mode.is_positive and case.query:
        # `volgende` is an opaque cursor: no document can say which strings the hub handed out,
        # so a made-up one is rightly a 400. Valid requests go without; invalid ones keep theirs.
        case.query.pop("volgende", None)
        if _periode_achterstevoren(case.query):
            # A logboek period whose vanaf lies after its tot (or, without tot, after now) is
            # rightly a 400: no document can say one parameter must precede another.
            case.query.pop("vanaf")
    if case.meta is not None and case.meta.generation.mode.is_positive and isinstance(case.body, dict):
        # Members the document does not name are ignored by the hub where the schema allows them,
        # but the body is still read under the hub's JSON limits (docs/api.md: numbers of at most
        # 30 digits, 32 levels deep): a made-up extra member holding a 33-digit number is rightly a
        # 400, and no JSON Schema can say so. Valid requests go without made-up members.
        bekend = _velden_van_de_body(case)
        if bekend is not None:
            for naam in [n for n in case.body if n not in bekend]:
                del case.body[naam]
    case.call_and_validate()


def _velden_van_de_body(case: Any) -> set[str] | None:
    """The property names the served document gives the operation's JSON request body."""
    try:
        inhoud = case.operation.definition.raw["requestBody"]["content"]["application/json"]["schema"]
        if "$ref" in inhoud:
            naam = inhoud["$ref"].rsplit("/", 1)[-1]
            inhoud = case.operation.schema.raw_schema["components"]["schemas"][naam]
        return set(inhoud.get("properties", {}))
    except (AttributeError, KeyError, TypeError):
        return None


def _periode_achterstevoren(query: dict[str, Any]) -> bool:
    vanaf, tot = query.get("vanaf"), query.get("tot")
    if not isinstance(vanaf, str):
        return False
    try:
        eind = lees_moment(tot) if isinstance(tot, str) else datetime.now(UTC)
        return lees_moment(vanaf) > eind
    except ValueError:
        return False
