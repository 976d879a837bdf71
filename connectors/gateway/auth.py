"""Bearer tokens decide the tenant; nothing in a payload does.

Tokens are kept only as SHA-256 digests, so a token table in memory or in a heap dump does not
hand out credentials, and a lookup by digest takes the same time whatever the token.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from schemas.envelope import _check_tenant


class TokenConfigError(ValueError):
    pass


def _digest(token: str) -> str:
    # surrogateescape: aiohttp hands over undecodable header bytes that way; no 500 for them
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


class TokenTable:
    def __init__(self, tokens: dict[str, list[str]]) -> None:
        self._tenant_by_digest: dict[str, str] = {}
        for tenant, values in tokens.items():
            try:
                _check_tenant(tenant)
            except ValueError as exc:
                raise TokenConfigError(str(exc)) from None
            for token in values:
                if len(token) < 16:
                    raise TokenConfigError(
                        f"token for tenant {tenant!r} is shorter than 16 characters")
                digest = _digest(token)
                if self._tenant_by_digest.get(digest, tenant) != tenant:
                    raise TokenConfigError("the same token is given to two tenants")
                self._tenant_by_digest[digest] = tenant
        if not self._tenant_by_digest:
            raise TokenConfigError(
                "no gateway tokens configured: set AIOPS_GATEWAY_TOKENS='tenant=token,...' or "
                "AIOPS_GATEWAY_TOKENS_FILE to a YAML file of 'tenant: token' entries")

    @property
    def tenants(self) -> set[str]:
        return set(self._tenant_by_digest.values())

    def tenant_for(self, authorization: str | None) -> str | None:
        """The tenant of an ``Authorization: Bearer <token>`` header, or None."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self._tenant_by_digest.get(_digest(token.strip()))

    @classmethod
    def parse(cls, spec: str | None = None, path: Path | None = None) -> TokenTable:
        tokens: dict[str, list[str]] = {}
        if spec:
            for part in spec.split(","):
                tenant, sep, token = part.strip().partition("=")
                if not sep or not token:
                    raise TokenConfigError(
                        "AIOPS_GATEWAY_TOKENS must look like 'tenant=token,tenant2=token2'")
                tokens.setdefault(tenant, []).append(token)
        if path is not None:
            try:
                data = yaml.safe_load(Path(path).read_text())
            except (OSError, yaml.YAMLError) as exc:
                raise TokenConfigError(f"cannot read tokens file {path}: {exc}") from None
            if not isinstance(data, dict):
                raise TokenConfigError(f"{path}: expected a mapping of tenant -> token(s)")
            for tenant, value in data.items():
                values = value if isinstance(value, list) else [value]
                if not all(isinstance(v, str) for v in values):
                    raise TokenConfigError(f"{path}: tokens of {tenant!r} must be strings")
                tokens.setdefault(str(tenant), []).extend(values)
        return cls(tokens)
