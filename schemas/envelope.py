"""The CloudEvents envelope every event on our topics carries.

Events use CloudEvents *structured mode*: the envelope attributes sit at the top level of the
JSON object and the payload under ``data``. ``tenant_id`` is an extension attribute stamped by
the ingest side from credentials; processors never mix state across tenants.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
"""Current major version of every payload schema; bumped only on breaking changes."""

_TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def _check_tenant(value: str) -> str:
    if not _TENANT_RE.match(value):
        raise ValueError(
            "tenant_id must be 1-63 chars of lowercase letters, digits, '-' or '_', "
            f"starting with a letter or digit (got {value!r})"
        )
    return value


TenantId = Annotated[str, AfterValidator(_check_tenant)]
NonEmptyStr = Annotated[str, Field(min_length=1, max_length=512)]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_event_id() -> str:
    return uuid.uuid4().hex


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes plus our ``tenant_id`` and ``schema_version`` extensions."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    specversion: Annotated[str, Field(pattern=r"^1\.0$")] = "1.0"
    id: Annotated[str, Field(min_length=1, max_length=512)]
    """Required on the wire: sinks deduplicate on it, so a replay must carry the same id."""
    source: NonEmptyStr
    time: AwareDatetime = Field(default_factory=utc_now)
    tenant_id: TenantId
    schema_version: Annotated[int, Field(ge=1, le=SCHEMA_VERSION)] = SCHEMA_VERSION
