"""Secrets, encrypted at rest: AES-256-GCM under a data key, the data key wrapped by a master
key that never enters the database.

The master key is 32 random bytes in base64 on one line, read from (first found):
the config's `master_key_file`, systemd's credential `omnix-master-key`
(`LoadCredential=omnix-master-key:/etc/omnix/master.key`, read from
`$CREDENTIALS_DIRECTORY`), or `master.key` in the state dir (mode 0600, made on first use).

Formats (docs/security.md): a wrapped data key is `nonce(12) || AES-GCM(master, data key,
aad="omnix-data-key:<id>")`; a sealed secret is `nonce(12) || AES-GCM(data key, value,
aad="omnix-secret:<name>")`, so a ciphertext moved to another name does not decrypt.
`rotate_master_key` re-wraps every data key under a fresh master key while the agent runs.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omnix.agent.errors import BadRequest, ConfigError, NotFound
from omnix.agent.store.db import Store

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MASTER_FILE = "master.key"
CREDENTIAL_NAME = "omnix-master-key"
SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_SECRET_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class SecretInfo:
    """A secret's name and history, never its value."""

    name: str
    created_at: float
    updated_at: float
    updated_by: str


@dataclass(frozen=True, slots=True)
class _Sealed:
    key_id: int
    sealed: bytes
    info: SecretInfo


class MasterKey:
    """Where the master key comes from, and reading and replacing it."""

    def __init__(self, state_dir: Path, configured: str = "") -> None:
        credentials = os.environ.get("CREDENTIALS_DIRECTORY", "")
        if configured:
            self.path, self.managed = Path(configured).expanduser(), True
        elif credentials and (Path(credentials) / CREDENTIAL_NAME).exists():
            self.path, self.managed = Path(credentials) / CREDENTIAL_NAME, True
        else:
            self.path, self.managed = state_dir / MASTER_FILE, False

    @property
    def staged(self) -> Path:
        """Where a rotation writes the next key before it is in force."""
        return self.path.with_name(self.path.name + ".new")

    def read(self, path: Path | None = None, *, create: bool = False) -> bytes:
        """The 32-byte key in `path` (default: the key in force)."""
        path = path or self.path
        try:
            key = base64.b64decode(path.read_text().strip(), validate=True)
        except FileNotFoundError:
            if create and not self.managed:
                key = secrets.token_bytes(32)
                _write_private(path, key)
                return key
            raise ConfigError(
                f"the secrets master key {path} does not exist: restore it, or point "
                "master_key_file at it"
            ) from None
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the secrets master key {path}: {exc}") from None
        if len(key) != 32:
            raise ConfigError(f"{path}: a master key is 32 bytes in base64, not {len(key)} bytes")
        return key


def master_id(key: bytes) -> str:
    """A master key's public name: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


def _write_private(path: Path, key: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".tmp")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(key).decode() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)


def _aes(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + _aes(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    return _aes(key).decrypt(sealed[:12], sealed[12:], aad)


class Vault:
    """The secrets of one agent. `await Vault.open(store, state_dir, master_key_file)`."""

    def __init__(self, store: Store, master: MasterKey) -> None:
        self._store = store
        self.master = master
        self._data_keys: dict[int, bytes] = {}
        self._current_key = 0
        self._secrets: dict[str, _Sealed] = {}
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, store: Store, state_dir: Path, master_key_file: str = "") -> Vault:
        """Unwrap the data keys (making the first one, and the master key, on first use)."""
        vault = cls(store, MasterKey(state_dir, master_key_file))
        await vault._load()
        return vault

    async def _load(self) -> None:
        rows = await self._store.fetch_all("SELECT id, wrapped, master_id FROM secret_keys")
        master = self.master.read(create=not rows)
        if rows and rows[0]["master_id"] != master_id(master) and self.master.staged.exists():
            # A rotation stopped between the database and the key file: finish it.
            staged = self.master.read(self.master.staged)
            if rows[0]["master_id"] == master_id(staged):
                os.replace(self.master.staged, self.master.path)
                master = staged
        for row in rows:
            if row["master_id"] != master_id(master):
                raise ConfigError(
                    f"the master key {self.master.path} (id {master_id(master)}) is not the one "
                    f"the secrets were sealed with (id {row['master_id']}): restore that key"
                )
            self._data_keys[row["id"]] = _open(
                master, bytes(row["wrapped"]), f"omnix-data-key:{row['id']}".encode()
            )
        if not self._data_keys:
            data_key = secrets.token_bytes(32)
            wrapped = _seal(master, data_key, b"omnix-data-key:1")
            await self._store.write(
                (
                    "INSERT INTO secret_keys (id, wrapped, master_id, created_at) VALUES (1,?,?,?)",
                    (wrapped, master_id(master), time.time()),
                )
            )
            self._data_keys[1] = data_key
        self._current_key = max(self._data_keys)
        for row in await self._store.fetch_all(
            "SELECT name, key_id, sealed, created_at, updated_at, updated_by FROM secrets"
        ):
            info = SecretInfo(row["name"], row["created_at"], row["updated_at"], row["updated_by"])
            self._secrets[row["name"]] = _Sealed(row["key_id"], bytes(row["sealed"]), info)

    def get(self, name: str) -> str | None:
        """The value of secret `name`, or None when it is not set."""
        sealed = self._secrets.get(name)
        if sealed is None:
            return None
        data_key = self._data_keys[sealed.key_id]
        return _open(data_key, sealed.sealed, f"omnix-secret:{name}".encode()).decode()

    def names(self) -> list[SecretInfo]:
        """Every secret's name and history, by name."""
        return [self._secrets[name].info for name in sorted(self._secrets)]

    async def set(self, name: str, value: str, *, by: str) -> SecretInfo:
        """Set (or replace) a secret."""
        if not SECRET_NAME.fullmatch(name):
            raise BadRequest(
                f"bad secret name {name!r}: secrets become environment variables, so use "
                "letters, digits and _ (not starting with a digit)"
            )
        raw = value.encode()
        if not raw:
            raise BadRequest(f"the value of {name!r} is empty: send the value on stdin")
        if len(raw) > MAX_SECRET_BYTES:
            raise BadRequest(f"the value of {name!r} is {len(raw)} bytes; at most 64 KiB")
        now = time.time()
        previous = self._secrets.get(name)
        info = SecretInfo(name, previous.info.created_at if previous else now, now, by)
        key_id = self._current_key
        sealed = _seal(self._data_keys[key_id], raw, f"omnix-secret:{name}".encode())
        await self._store.write(
            (
                "INSERT INTO secrets (name, key_id, sealed, created_at, updated_at, updated_by) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET key_id = "
                "excluded.key_id, sealed = excluded.sealed, updated_at = excluded.updated_at, "
                "updated_by = excluded.updated_by",
                (name, key_id, sealed, info.created_at, now, by),
            )
        )
        self._secrets[name] = _Sealed(key_id, sealed, info)
        return info

    async def delete(self, name: str) -> None:
        """Remove a secret; NotFound when there is none."""
        if name not in self._secrets:
            raise NotFound(f"no secret named {name!r} (`omnix secret list` shows them)")
        await self._store.write(("DELETE FROM secrets WHERE name = ?", (name,)))
        del self._secrets[name]

    async def rotate_master_key(self) -> tuple[str, str]:
        """Re-wrap every data key under a new master key; returns (old id, new id). The
        secrets themselves are untouched, and the agent keeps serving throughout."""
        if self.master.managed:
            raise BadRequest(
                f"the master key {self.master.path} is provided from outside (config or "
                "systemd credential): write a new key there with the old one kept, or rotate "
                "it where it is managed"
            )
        async with self._lock:
            old = self.master.read()
            fresh = secrets.token_bytes(32)
            await asyncio.to_thread(_write_private, self.master.staged, fresh)
            fresh_id = master_id(fresh)
            await self._store.write(
                *(
                    (
                        "UPDATE secret_keys SET wrapped = ?, master_id = ? WHERE id = ?",
                        (_seal(fresh, key, f"omnix-data-key:{key_id}".encode()), fresh_id, key_id),
                    )
                    for key_id, key in self._data_keys.items()
                )
            )
            os.replace(self.master.staged, self.master.path)
        return master_id(old), fresh_id
