"""Lifebuoy's configuration: a TOML file, then environment variables.

The file is ``$LIFEBUOY_CONFIG`` or ``lifebuoy.toml`` in the working directory
(optional). Every key can be overridden by ``LIFEBUOY_<SECTION>_<KEY>``, for
example ``LIFEBUOY_SITE_PORT=9443``. ``DATABASE_URL`` and ``REDIS_URL`` are
read as they are, the names operators already know. Secrets are never values
here: the configuration only names the files that hold them.

docs/configuration.md lists every key.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["Config", "ConfigError", "load"]


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and why."""


@dataclasses.dataclass(frozen=True)
class SiteConfig:
    host: str = "127.0.0.1"
    """Address the site listens on."""
    port: int = 8443
    """HTTPS port of the site."""
    public_url: str = ""
    """URL customers and technicians use; defaults to https://host:port."""
    data_dir: str = "var"
    """Folder for the SQLite database, certificates and key files."""
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    """Host names the site answers to."""
    debug: bool = False
    """Django debug pages; never in production."""


@dataclasses.dataclass(frozen=True)
class SecurityConfig:
    login_max_failures: int = 10
    """Failed logins for one login ID that lock it."""
    login_failure_window_s: int = 600
    """Window in which failures are counted."""
    login_lockout_s: int = 600
    """How long a locked login ID stays locked."""
    address_max_failures: int = 100
    """Failed logins from one address in the window before it gets 429."""
    inactivity_timeout_s: int = 900
    """Default inactivity logoff; each organization may set its own."""
    session_max_age_s: int = 12 * 3600
    """Absolute lifetime of a web session, whatever the activity."""
    password_hash_concurrency: int = 2
    """Password hashes computed at once (each needs 128 MiB)."""
    password_hash_wait_s: float = 60.0
    """How long a login waits for a hashing slot before it gets 429."""
    password_hash_queue: int = 64
    """Logins that may wait for a slot; one more gets 429 at once."""
    master_key_file: str = ""
    """File holding the master key; defaults to DATA_DIR/secrets/master.key."""
    max_request_body_bytes: int = 2_621_440
    """Largest request body the site accepts."""


@dataclasses.dataclass(frozen=True)
class GatewayConfigSection:
    embedded: bool = True
    """Run a gateway inside ``lifebuoy serve``."""
    host: str = "127.0.0.1"
    """Address the embedded gateway listens on."""
    port: int = 8444
    """TLS port of the embedded gateway."""
    urls: tuple[str, ...] = ()
    """Gateways given to ends, in order; defaults to the embedded one."""


@dataclasses.dataclass(frozen=True)
class Config:
    site: SiteConfig = dataclasses.field(default_factory=SiteConfig)
    security: SecurityConfig = dataclasses.field(default_factory=SecurityConfig)
    gateway: GatewayConfigSection = dataclasses.field(
        default_factory=GatewayConfigSection
    )
    database_url: str = ""
    """``DATABASE_URL``; empty means SQLite in the data folder."""
    redis_url: str = ""
    """``REDIS_URL``; set it to share live state between several site nodes."""

    @property
    def data_dir(self) -> Path:
        return Path(self.site.data_dir).resolve()

    @property
    def public_url(self) -> str:
        return self.site.public_url or f"https://{self.site.host}:{self.site.port}"

    @property
    def master_key_file(self) -> Path:
        named = self.security.master_key_file
        return Path(named) if named else self.data_dir / "secrets" / "master.key"

    @property
    def gateway_urls(self) -> tuple[str, ...]:
        if self.gateway.urls:
            return self.gateway.urls
        return (f"wss://{self.gateway.host}:{self.gateway.port}",)


_SECTIONS: dict[str, type[Any]] = {
    "site": SiteConfig,
    "security": SecurityConfig,
    "gateway": GatewayConfigSection,
}


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Read the file named by the environment, then apply the overrides."""
    env = os.environ if environ is None else environ
    path = Path(env.get("LIFEBUOY_CONFIG", "lifebuoy.toml"))
    raw: dict[str, Any] = {}
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    elif "LIFEBUOY_CONFIG" in env:
        raise ConfigError(f"LIFEBUOY_CONFIG names {path}, which does not exist")

    unknown = set(raw) - set(_SECTIONS)
    if unknown:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(sorted(unknown))}")
    sections = {
        name: _build_section(name, cls, raw.get(name, {}), env)
        for name, cls in _SECTIONS.items()
    }
    return Config(
        **sections,
        database_url=env.get("DATABASE_URL", ""),
        redis_url=env.get("REDIS_URL", ""),
    )


def _build_section(
    name: str, cls: type[Any], values: Any, env: Mapping[str, str]
) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"[{name}] must be a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(fields)
    if unknown:
        raise ConfigError(f"[{name}] has unknown key(s): {', '.join(sorted(unknown))}")

    kwargs: dict[str, Any] = {}
    for key, field in fields.items():
        env_name = f"LIFEBUOY_{name}_{key}".upper()
        if env_name in env:
            kwargs[key] = _coerce(env_name, field.default, env[env_name])
        elif key in values:
            kwargs[key] = _check_type(f"[{name}] {key}", field.default, values[key])
    return cls(**kwargs)


def _coerce(where: str, default: Any, text: str) -> Any:
    """Turn an environment string into the type of the field's default."""
    try:
        if isinstance(default, bool):
            if text.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError(text)
            return text.lower() in {"1", "true", "yes"}
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, tuple):
            return tuple(part.strip() for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(
            f"{where}: cannot read {text!r} as {type(default).__name__}"
        ) from exc
    return text


def _check_type(where: str, default: Any, value: Any) -> Any:
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of strings")
        return tuple(value)
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not expected:
        raise ConfigError(f"{where}: expected {expected.__name__}, got {value!r}")
    return value
