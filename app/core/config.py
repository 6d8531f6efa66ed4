"""Settings: one class, read from the environment (and `.env`), cached for the process."""

import base64
import binascii
import json
import logging
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

logger = logging.getLogger("rapport.config")

Environment = Literal["development", "test", "production"]

# Secrets a developer could copy from docs or `.env.example`; production refuses them.
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev", "development"})
MIN_SECRET_LENGTH = 32
GENERATED_SECRETS_FILE = "secrets.json"
SECRET_NAMES = ("secret_key", "token_secret", "encryption_key")
ENCRYPTION_KEY_BYTES = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Environment = "development"
    database_url: str = ""
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: str = "INFO"

    # HMAC key for API-key hashes.
    secret_key: SecretStr = SecretStr("")
    # HMAC key that signs member tokens (HS256).
    token_secret: SecretStr = SecretStr("")
    # Master key that wraps the per-member data keys (base64, 32 bytes).
    encryption_key: SecretStr = SecretStr("")
    # During a master-key rotation: the keys being retired, still able to unwrap.
    encryption_key_previous: list[str] = Field(default_factory=list)

    member_token_default_ttl_seconds: int = Field(default=3600, ge=60)
    member_token_max_ttl_seconds: int = Field(default=86400, ge=60)

    max_body_bytes: int = Field(default=65536, ge=1024)
    db_pool_size: int = Field(default=32, ge=1)
    db_max_overflow: int = Field(default=8, ge=0)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)

    # Caches (app/core/cache.py): how stale another process's change may be seen, at most.
    cache_max_staleness_seconds: float = Field(default=1.0, ge=0, le=60)
    key_cache_entries: int = Field(default=10_000, ge=0)
    catalog_cache_entries: int = Field(default=1_000, ge=0)
    connection_cache_entries: int = Field(default=4_000, ge=0)

    rate_limit_key_per_minute: int = Field(default=1200, ge=0)
    rate_limit_token_per_minute: int = Field(default=120, ge=0)
    rate_limit_storage_url: str = ""

    cors_origins: list[str] = Field(default_factory=list)
    # /docs, /redoc and /openapi.json: on by default, off by default in production.
    docs_enabled: bool | None = None
    content_dir: Path = Path(__file__).resolve().parents[2] / "content"
    load_content_on_start: bool = True

    # `rapport serve` also runs a webhook delivery worker on a thread; turn it off when
    # dedicated `rapport worker` processes deliver instead.
    webhook_worker_in_serve: bool = True
    # How long a worker holds a delivery it claimed; past it, another worker may send it.
    webhook_lease_seconds: int = Field(default=60, ge=1)
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=30)

    @model_validator(mode="after")
    def _defaults_and_production_guards(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'rapport.db'}"
        if self.environment == "production":
            for name in SECRET_NAMES:
                value = getattr(self, name).get_secret_value()
                if value.lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH:
                    raise ValueError(
                        f"{name.upper()} must be set to a random value of at least "
                        f"{MIN_SECRET_LENGTH} characters in production"
                    )
        else:
            self._fill_development_secrets()
        self._check_encryption_key()
        return self

    def _check_encryption_key(self) -> None:
        raw = self.encryption_key.get_secret_value()
        try:
            decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except (binascii.Error, ValueError):
            decoded = b""
        if len(decoded) != ENCRYPTION_KEY_BYTES:
            raise ValueError("ENCRYPTION_KEY must be base64 of 32 random bytes")

    def _fill_development_secrets(self) -> None:
        """Outside production, missing secrets are generated once and kept in the data folder."""
        missing = [n for n in SECRET_NAMES if not getattr(self, n).get_secret_value()]
        if not missing:
            return
        path = self.data_dir / GENERATED_SECRETS_FILE
        stored: dict[str, str] = {}
        if path.exists():
            stored = json.loads(path.read_text())
        if any(n not in stored for n in missing):
            for name in missing:
                stored.setdefault(name, secrets.token_urlsafe(32))
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(json.dumps(stored, indent=2))
            logger.warning(
                "generated development secrets",
                extra={"path": str(path), "names": [n.upper() for n in missing]},
            )
        for name in missing:
            setattr(self, name, SecretStr(stored[name]))

    @property
    def serve_docs(self) -> bool:
        if self.docs_enabled is None:
            return self.environment != "production"
        return self.docs_enabled

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
