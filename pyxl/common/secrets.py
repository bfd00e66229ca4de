"""Mail passwords: from an environment variable, else the system keyring; never from config.yaml."""

from __future__ import annotations

from typing import Mapping


def stored_password(username: str, env_name: str, keyring_service: str, environ: Mapping[str, str]) -> str | None:
    """The password in the environment variable `env_name`, else the keyring entry (service, username), else None."""
    value = environ.get(env_name)
    if value:
        return value
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        return keyring.get_password(keyring_service, username) or None
    except KeyringError:
        return None
