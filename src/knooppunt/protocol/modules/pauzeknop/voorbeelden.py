"""Example payloads of module ``pauzeknop``. PLACEHOLDER: replaced with one valid example per type."""

from __future__ import annotations

from typing import Any

from knooppunt.protocol.modules.pauzeknop.typen import CODES

VOORBEELDEN: dict[str, dict[str, Any]] = {code: {} for code in CODES}
