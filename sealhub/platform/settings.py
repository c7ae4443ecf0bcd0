"""Every setting SealHub reads; the only module that reads the environment."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """SealHub settings, read from `SEALHUB_*` environment variables (or a `.env` file)."""

    model_config = SettingsConfigDict(env_prefix="SEALHUB_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Folder for the SQLite file, keys, objects")
    database_url: str = Field(
        "", description="SQLAlchemy async URL; empty = SQLite file in data_dir"
    )
    db_pool_size: int = Field(15, description="connections kept open per process (not SQLite)")
    db_max_overflow: int = Field(
        5, description="extra connections under bursts, closed when returned (not SQLite)"
    )
    cache_url: str = Field("memory://", description="memory:// or redis://host:port/db")
    cache_prefix: str = Field("sealhub:", description="key prefix when several share one Redis")
    storage_url: str = Field(
        "", description="file:///path or s3://bucket?endpoint=...; empty = data_dir/objects"
    )
    s3_access_key: str = Field("", description="S3 access key id")
    s3_secret_key: str = Field("", description="S3 secret access key")
    s3_region: str = Field("us-east-1", description="S3 region")
    jobs_url: str = Field("memory://", description="memory:// (in-process) or redis://...")
    master_key: str = Field(
        "", description="base64 32-byte key wrapping data keys; empty = data_dir/master.key"
    )
    public_url: str = Field("http://127.0.0.1:8000", description="URL the console is served at")
    host: str = Field("127.0.0.1", description="serve: bind address")
    port: int = Field(8000, description="serve: port")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING, ERROR")
    log_json: bool = Field(True, description="structured JSON logs on stderr")
    max_upload_bytes: int = Field(50 * 1024 * 1024, description="largest accepted upload")
    sms_provider: str = Field("console", description="console (log) or capture (tests)")
    sms_code_ttl_seconds: int = Field(300, description="lifetime of an SMS code")
    sms_resend_seconds: int = Field(60, description="min seconds between codes to one phone")
    sms_per_phone_per_hour: int = Field(10, description="codes per phone per hour")
    sms_per_ip_per_hour: int = Field(30, description="codes per client IP per hour")
    argon2_time_cost: int = Field(3, description="Argon2id passes (password hashing)")
    argon2_memory_kib: int = Field(65536, description="Argon2id memory in KiB")
    password_hash_workers: int = Field(0, description="threads hashing passwords; 0: half the CPUs")
    login_per_ip_per_minute: int = Field(60, description="sign-in attempts per client IP a minute")
    login_max_failures: int = Field(5, description="sign-in attempts per account before delays")
    login_ip_max_failures: int = Field(30, description="failed sign-ins per IP before delays")
    login_delay_seconds: int = Field(1, description="first delay once throttled; then doubles")
    lockout_seconds: int = Field(900, description="longest delay between throttled attempts")
    login_throttle_hold_seconds: float = Field(
        1.0, description="a refused sign-in answers this late"
    )
    untrusted_workers: int = Field(2, description="processes parsing uploaded files at once")
    untrusted_seconds: float = Field(10.0, description="time limit to parse one uploaded file")
    untrusted_memory_mb: int = Field(512, description="address-space limit of a parser process")
    session_ttl_seconds: int = Field(7 * 24 * 3600, description="session lifetime")
    cookie_secure: bool = Field(
        False, description="mark the session cookie Secure (always on when public_url is https)"
    )
    trusted_proxies: str = Field(
        "",
        description="comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For "
        "is believed; empty = none (the peer address is the client)",
    )
    default_locale: str = Field("zh-CN", description="zh-CN or en")
    run_worker: bool = Field(True, description="run the outbox relay and jobs in-process")
    mqtt_url: str = Field(
        "",
        description="external MQTT broker (mqtt://user:pass@host:port) the platform joins; "
        "empty = embed a broker in the server",
    )
    mqtt_host: str = Field("127.0.0.1", description="embedded MQTT broker: bind address")
    mqtt_port: int = Field(1884, description="embedded MQTT broker: port (0 = do not embed)")
    mqtt_public_url: str = Field(
        "", description="broker URL handed to devices at provisioning; empty = the one in use"
    )
    mqtt_shared_group: str = Field(
        "sealhub", description="shared-subscription group of the platform processes"
    )
    device_heartbeat_timeout_seconds: int = Field(
        90, description="a device silent this long is marked offline"
    )
    device_upload_url_seconds: int = Field(300, description="lifetime of a media upload URL")
    device_ingest_batch_ms: int = Field(
        20, description="ingest: longest wait to fill a batch before writing it (<= 50)"
    )
    demo_simulators: bool = Field(
        True, description="run the demo's simulated smart seals in the server (after the seed)"
    )
    device_telemetry_raw_hours: int = Field(
        24, description="heartbeats older than this are thinned out to one in ten"
    )

    @model_validator(mode="after")
    def _https_means_secure_cookies(self) -> Settings:
        # a console served over https must never send its session cookie in clear
        if self.https:
            self.cookie_secure = True
        self.proxy_networks()  # a malformed address stops the start, not the first request
        return self

    @property
    def https(self) -> bool:
        """The console is served over TLS: HSTS and Secure cookies."""
        return self.public_url.lower().startswith("https://")

    def proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """The trusted proxies as networks (a bare address is a /32 or /128)."""
        parts = (p.strip() for p in self.trusted_proxies.split(","))
        return tuple(ip_network(p, strict=False) for p in parts if p)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'sealhub.db').resolve()}"

    def resolved_storage_url(self) -> str:
        if self.storage_url:
            return self.storage_url
        return f"file://{(self.data_dir / 'objects').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
