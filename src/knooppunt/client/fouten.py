"""Errors of the participant SDK: what the hub refused, and what the SDK refused before sending."""

from __future__ import annotations

from typing import Any

import httpx


class HubFout(Exception):
    """The hub answered with a problem+json (DESIGN §4); ``code`` is its stable machine code."""

    def __init__(
        self,
        *,
        status: int,
        code: str,
        titel: str,
        detail: str,
        velden: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.titel = titel
        self.detail = detail
        self.velden = velden or []

    @classmethod
    def uit_antwoord(cls, antwoord: httpx.Response) -> HubFout:
        try:
            body: Any = antwoord.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        return cls(
            status=antwoord.status_code,
            code=str(body.get("code") or f"HTTP_{antwoord.status_code}"),
            titel=str(body.get("title") or antwoord.reason_phrase),
            detail=str(body.get("detail") or antwoord.text[:500]),
            velden=list(body.get("invalidParams") or []),
        )

    @classmethod
    def uit_probleem(cls, probleem: dict[str, Any]) -> HubFout:
        """The refusal of one envelope in a verzending's answer (its ``probleem``)."""
        return cls(
            status=int(probleem.get("status") or 0),
            code=str(probleem.get("code") or "ONBEKEND"),
            titel=str(probleem.get("title") or ""),
            detail=str(probleem.get("detail") or ""),
            velden=list(probleem.get("invalidParams") or []),
        )

    def als_json(self) -> dict[str, Any]:
        uit: dict[str, Any] = {
            "status": self.status,
            "code": self.code,
            "title": self.titel,
            "detail": self.detail,
        }
        if self.velden:
            uit["invalidParams"] = self.velden
        return uit


class VerzendFout(Exception):
    """The SDK refused to send: the payload is invalid, or the recipient cannot be reached through
    the hub for this module (use another channel). Nothing was sent."""

    def __init__(self, code: str, detail: str, *, velden: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.velden = velden or []

    def als_json(self) -> dict[str, Any]:
        uit: dict[str, Any] = {"code": self.code, "detail": self.detail}
        if self.velden:
            uit["invalidParams"] = self.velden
        return uit


class GeenVertrouwensankers(Exception):
    """The SDK was given no trust anchors for participants' certificates, so it cannot tell whose
    key an adresboek certificate is (DESIGN §5): it neither seals for one nor accepts a signature
    under one. A configuration error, never the sender's fault: a message is not refused for it."""

    def __init__(self) -> None:
        super().__init__(
            "geen vertrouwensankers voor de certificaten van deelnemers: het SDK kan niet controleren "
            "van wie een certificaat in het adresboek is, en versleutelt of opent daarom niets. Geef "
            "HubClient(vertrouwensankers=[...]) of ca=...; op de opdrachtregel --vertrouwensanker FILE "
            "(de CA's die deelnemercertificaten uitgeven, in productie PKIoverheid Private Services) "
            "of --ca FILE"
        )


class ServercertificaatNietVertrouwd(Exception):
    """The hub's server certificate does not verify against the CA the client was given (or the
    system store without ``ca``): a configuration error, not an unreachable hub — so it is never
    retried and names the fix (DESIGN §8: ``--ca FILE`` names the CA that signed the hub's server
    certificate)."""

    def __init__(self, hub: str, reden: str, *, ca: str | None) -> None:
        self.hub = hub
        self.reden = reden
        waar = f"de CA in {ca}" if ca else "de systeemopslag van vertrouwde CA's (geen --ca gegeven)"
        super().__init__(
            f"het servercertificaat van {hub} wordt niet vertrouwd door {waar}: {reden}. Geef met "
            "--ca FILE (HubClient(ca=...)) de CA die het servercertificaat van het knooppunt "
            "ondertekende — bij een hub in ontwikkeling .knooppunt/pki/ca.pem; anders die van de "
            "beheerder van het knooppunt"
        )
