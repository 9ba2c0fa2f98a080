"""Example payloads of module ``waarborgfonds``. PLACEHOLDER: replaced with one valid example per type."""

from __future__ import annotations

from typing import Any

from knooppunt.protocol.modules.waarborgfonds.typen import CODES

VOORBEELDEN: dict[str, dict[str, Any]] = {code: {} for code in CODES}
