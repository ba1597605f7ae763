"""Configuration: safe defaults, then ``SOCORG_*`` environment variables, then a test mapping."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # SQLite under instance/ unless SOCORG_DATABASE_URL says otherwise (set in load()).
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    "TOKEN_TTL_SECONDS": 8 * 3600,
    # A token's user is rebuilt from memory for this long after a check (no round trip); a change to a
    # user takes effect at once in the process that made it, within this bound in the others. 0: off.
    "AUTH_USER_CACHE_SECONDS": 2.0,
    "MAX_UPLOAD_BYTES": 5 * 1024 * 1024,
    "SCRIPT_TIME_LIMIT": 2.0,
    # Designer code runs in worker processes ("process"); "inline" (in this process) is for tests only.
    "SCRIPT_ISOLATION": "process",
    "SCRIPT_WORKERS": 2,
    "SCRIPT_MEMORY_MB": 512,
    "MAX_CASE_DATA_BYTES": 1024 * 1024,
    "TIMEZONE": "Asia/Shanghai",
    "BPMN_DIR": None,
    "SQL_ECHO": False,
    # The password-guessing throttle (auth/throttle.py): failures per account / per address in a window.
    "LOGIN_WINDOW_SECONDS": 15 * 60,
    "LOGIN_ACCOUNT_LIMIT": 10,
    "LOGIN_ADDRESS_LIMIT": 50,
    # 1: the session cookie is Secure and pages send HSTS (set it when the site is served over TLS).
    "SECURE_COOKIES": False,
    "SESSION_LIFETIME_SECONDS": 8 * 3600,  # a web login lasts at most this long
    # How many reverse proxies in front set X-Forwarded-For/-Proto (0: trust none; see docs/security.md).
    "TRUSTED_PROXIES": 0,
    # Attachments (附件): the content-addressed store (default: files/ in the instance folder), the
    # largest file accepted, and an optional clamd (host:port or a unix socket path) to scan with.
    "FILE_STORE": None,
    "MAX_ATTACHMENT_BYTES": 20 * 1024 * 1024,
    "CLAMD_ADDRESS": None,
    # 1: let `socorg serve` run several workers on a SQLite file (one host only; see docs/deploy.md).
    "ALLOW_SQLITE": False,
    # Local promises of a shorter 成立登记 limit below the province, "region:working days" comma-separated
    # ("220100:20,220102:15"); unlisted cities and counties decide within the regulations' 60 days
    # (handlers/registration.py, docs/processes/registration.md).
    "REGISTRATION_PROMISES": "",
    # The inbox's tab counts and list totals count at most this many tasks; past it they show "N+"
    # (an exact count of a province's open tasks reads every one of them; docs/performance.md).
    "INBOX_COUNT_CAP": 1000,
    # Retention (workflow_app/retention.py, the prune_retained job), in days; 0 keeps those rows for ever.
    # A read 消息 goes this long after it was read; an unread one this long after it was written; a sent
    # e-mail or webhook this long after it was sent; a dead one this long after its last attempt. Case
    # history, documents, submissions and attachments are never deleted (docs/scheduler-and-alerts.md).
    "MESSAGE_RETENTION_DAYS": 365,
    "MESSAGE_UNREAD_RETENTION_DAYS": 3 * 365,
    "OUTBOX_RETENTION_DAYS": 90,
    "OUTBOX_DEAD_RETENTION_DAYS": 365,
}

# Values read from SOCORG_<NAME>; the type of the default decides the conversion.
_TYPES: dict[str, type] = {
    "TOKEN_TTL_SECONDS": int,
    "AUTH_USER_CACHE_SECONDS": float,
    "MAX_UPLOAD_BYTES": int,
    "SCRIPT_TIME_LIMIT": float,
    "SCRIPT_WORKERS": int,
    "SCRIPT_MEMORY_MB": int,
    "MAX_CASE_DATA_BYTES": int,
    "SQL_ECHO": bool,
    "LOGIN_WINDOW_SECONDS": int,
    "LOGIN_ACCOUNT_LIMIT": int,
    "LOGIN_ADDRESS_LIMIT": int,
    "SECURE_COOKIES": bool,
    "SESSION_LIFETIME_SECONDS": int,
    "TRUSTED_PROXIES": int,
    "MAX_ATTACHMENT_BYTES": int,
    "ALLOW_SQLITE": bool,
    "INBOX_COUNT_CAP": int,
    "MESSAGE_RETENTION_DAYS": int,
    "MESSAGE_UNREAD_RETENTION_DAYS": int,
    "OUTBOX_RETENTION_DAYS": int,
    "OUTBOX_DEAD_RETENTION_DAYS": int,
}


def _convert(name: str, raw: str) -> Any:
    kind = _TYPES.get(name, str)
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    try:
        return kind(raw)
    except ValueError as exc:
        raise RuntimeError(f"SOCORG_{name}={raw!r} is not a valid {kind.__name__}") from exc


def load(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the effective configuration for an app whose instance folder is ``instance_path``."""
    config = dict(DEFAULTS)
    for name in DEFAULTS:
        raw = os.environ.get(f"SOCORG_{name}")
        if raw is not None:
            config[name] = _convert(name, raw)
    config.update(overrides or {})
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = "sqlite:///" + str(Path(instance_path) / "socorg.sqlite3")
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(Path(instance_path))
        config["SECRET_KEY_GENERATED"] = True  # fine on a desk, refused by production_problems
    if not config["BPMN_DIR"]:
        config["BPMN_DIR"] = str(Path(__file__).resolve().parent.parent / "bpmn")
    config["MAX_CONTENT_LENGTH"] = config["MAX_UPLOAD_BYTES"]
    if not config["FILE_STORE"]:
        config["FILE_STORE"] = str(Path(instance_path) / "files")
    return config


_WEAK_SECRETS = {"dev", "test", "secret", "changeme", "change-me", "development", "socorg", "password"}
MIN_SECRET_LENGTH = 32


def production_problems(config: dict[str, Any], *, workers: int = 1) -> list[str]:
    """Why ``config`` must not serve production traffic (empty when it may); debug and test apps pass."""
    if config.get("DEBUG") or config.get("TESTING"):
        return []
    problems = []
    secret = str(config.get("SECRET_KEY") or "")
    how = "e.g. SOCORG_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))'), the same on every host"
    if config.get("SECRET_KEY_GENERATED"):
        problems.append("未设置 SOCORG_SECRET_KEY：实例目录中自动生成的密钥每台主机不同，登录会互相失效"
                        f"（SOCORG_SECRET_KEY is not set: the key generated in the instance folder differs per host; {how}）")
    elif len(secret) < MIN_SECRET_LENGTH or secret.lower() in _WEAK_SECRETS:
        problems.append(f"SOCORG_SECRET_KEY 过短或为示例值（SOCORG_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} "
                        f"characters or a placeholder; {how}）")
    if str(config.get("DATABASE_URL", "")).startswith("sqlite") and workers > 1 and not config.get("ALLOW_SQLITE"):
        problems.append("多个工作进程不应共用 SQLite 数据库，多台主机更不可以；请使用 PostgreSQL"
                        "（SQLite with several workers: set SOCORG_DATABASE_URL=postgresql+psycopg://…, or, on one "
                        "host only, SOCORG_ALLOW_SQLITE=1）")
    return problems


def _instance_secret(instance: Path) -> str:
    """Keep a random secret in the instance folder so sessions survive restarts without a shared default."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(os.urandom(32).hex())
        path.chmod(0o600)
    return path.read_text().strip()
