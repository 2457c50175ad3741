"""The audit log: an append-only SQLite table whose rows form a SHA-256 hash chain.

Row N holds the hash of row N-1 (`prev_hash`; row 1 holds 64 zeros) and its own `hash`, the
SHA-256 of its canonical content: the UTF-8 JSON array

    [seq, at, actor, via, peer, action, target, result, detail, prev_hash]

with no spaces (`separators=(",", ":")`, `ensure_ascii=False`) and `at` written as Python's
shortest round-trip float. Editing, deleting or reordering rows breaks the chain; rewriting
the chain from some row on is caught by the Ed25519 signatures the agent makes with its own
key (`audit-signing.key`, mode 0600, in the state dir): a checkpoint row every
`CHECKPOINT_EVERY` rows, and a signed head (`audit.head`) after every append, so rows cut
from the end are missed too. `verify` names the first row that does not hold.

A write that cannot be audited does not happen: `append` raises, and the caller fails the
operation (as Vault does).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omnix.agent.store.db import Store

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

GENESIS = "0" * 64
CHECKPOINT_EVERY = 100
KEY_FILE = "audit-signing.key"
HEAD_FILE = "audit.head"
_SIGNED = b"omnix-audit-checkpoint\n"
_COLUMNS = "seq, at, actor, via, peer, action, target, result, detail, prev_hash, hash"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the audit log."""

    seq: int
    at: float
    actor: str
    via: str
    peer: str
    action: str
    target: str
    result: str
    detail: str
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        """The row as a JSON object (for `--json`)."""
        return {name: getattr(self, name) for name in _COLUMNS.split(", ")}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What `verify` found: `ok`, the rows checked, and the first row that does not hold."""

    ok: bool
    rows: int
    checkpoints: int
    first_bad_seq: int = 0
    problem: str = ""


def canonical(
    seq: int,
    at: float,
    actor: str,
    via: str,
    peer: str,
    action: str,
    target: str,
    result: str,
    detail: str,
    prev_hash: str,
) -> bytes:
    """The bytes a row's hash covers (see the module docstring)."""
    fields = [seq, at, actor, via, peer, action, target, result, detail, prev_hash]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def row_hash(*fields: Any) -> str:
    """SHA-256 (hex) of a row's canonical content."""
    return hashlib.sha256(canonical(*fields)).hexdigest()


def _checkpoint_message(seq: int, digest: str) -> bytes:
    return _SIGNED + f"{seq}\n{digest}".encode()


def load_signing_key(state_dir: Path) -> Ed25519PrivateKey:
    """The agent's audit key, made on first use (mode 0600)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = state_dir / KEY_FILE
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        fresh = Ed25519PrivateKey.generate()
        pem = fresh.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        return fresh
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


class AuditLog:
    """Appends to and reads the chain of one agent. `await AuditLog.open(store, state_dir)`."""

    def __init__(self, store: Store, state_dir: Path) -> None:
        self._store = store
        self._state_dir = state_dir
        self._key: Ed25519PrivateKey | None = None
        self._lock = asyncio.Lock()
        self._seq = 0
        self._hash = GENESIS

    @classmethod
    async def open(cls, store: Store, state_dir: Path) -> AuditLog:
        """The log of `store`, continuing after its last row."""
        log = cls(store, state_dir)
        row = await store.fetch_one("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        if row is not None:
            log._seq, log._hash = int(row["seq"]), str(row["hash"])
        return log

    async def _signing_key(self) -> Ed25519PrivateKey:
        # Loaded on first use: cryptography costs the idle agent ~6 MiB it does without.
        if self._key is None:
            self._key = await asyncio.to_thread(load_signing_key, self._state_dir)
        return self._key

    async def append(
        self,
        *,
        actor: str,
        via: str,
        peer: str,
        action: str,
        target: str = "",
        result: str = "ok",
        detail: str = "",
    ) -> AuditEntry:
        """Add a row; returns once it is durable. Raises when it cannot be written."""
        key = await self._signing_key()
        async with self._lock:
            seq, prev = self._seq + 1, self._hash
            at = time.time()
            fields = (seq, at, actor, via, peer, action, target, result, detail, prev)
            digest = row_hash(*fields)
            ops: list[tuple[str, Sequence[Any]]] = [
                (
                    f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (*fields, digest),
                )
            ]
            signature = key.sign(_checkpoint_message(seq, digest)).hex()
            if seq % CHECKPOINT_EVERY == 0:
                ops.append(
                    (
                        "INSERT INTO audit_checkpoints (seq, hash, at, signature) VALUES (?,?,?,?)",
                        (seq, digest, at, signature),
                    )
                )
            await self._store.write(*ops)
            self._seq, self._hash = seq, digest
            self._write_head(seq, digest, signature)
        return AuditEntry(*fields, digest)

    def _write_head(self, seq: int, digest: str, signature: str) -> None:
        path = self._state_dir / HEAD_FILE
        staging = path.with_suffix(".tmp")
        staging.write_text(json.dumps({"seq": seq, "hash": digest, "signature": signature}))
        os.replace(staging, path)

    async def entries(
        self, *, since: float | None = None, user: str = "", limit: int = 1000
    ) -> list[AuditEntry]:
        """The newest `limit` rows (oldest first), optionally from `since` and of `user`."""
        where: list[str] = ["1 = 1"]
        params: list[Any] = []
        if since is not None:
            where.append("at >= ?")
            params.append(since)
        if user:
            where.append("actor = ?")
            params.append(user)
        rows = await self._store.fetch_all(
            f"SELECT {_COLUMNS} FROM audit_log WHERE {' AND '.join(where)} "
            "ORDER BY seq DESC LIMIT ?",
            (*params, limit),
        )
        return [_entry(row) for row in reversed(rows)]

    async def verify(self) -> Verdict:
        """Check the whole chain, its checkpoints and the signed head (in a thread, on a
        connection of its own)."""
        key = await self._signing_key()
        return await asyncio.to_thread(
            verify_file, self._store.path, self._state_dir, key.public_key()
        )


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(*(row[index] for index in range(11)))


def verify_file(database: Path, state_dir: Path, public_key: Any) -> Verdict:
    """Walk the chain of `database` row by row; the first row that breaks it is named."""
    from cryptography.exceptions import InvalidSignature

    def signed(seq: int, digest: str, signature: str) -> bool:
        try:
            public_key.verify(bytes.fromhex(signature), _checkpoint_message(seq, digest))
        except (InvalidSignature, ValueError):
            return False
        return True

    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        hashes: dict[int, str] = {}
        expected_seq, prev = 1, GENESIS
        count = 0
        for row in connection.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq"):
            entry = _entry(row)
            count += 1
            if entry.seq != expected_seq:
                return Verdict(
                    False,
                    count,
                    0,
                    expected_seq,
                    f"row {expected_seq} is missing (the next row is {entry.seq}): rows were "
                    "deleted",
                )
            if entry.prev_hash != prev:
                return Verdict(
                    False,
                    count,
                    0,
                    entry.seq,
                    f"row {entry.seq} does not follow row {entry.seq - 1}: rows were deleted, "
                    "replaced or reordered",
                )
            fields = (
                entry.seq,
                entry.at,
                entry.actor,
                entry.via,
                entry.peer,
                entry.action,
                entry.target,
                entry.result,
                entry.detail,
                entry.prev_hash,
            )
            if row_hash(*fields) != entry.hash:
                return Verdict(
                    False,
                    count,
                    0,
                    entry.seq,
                    f"row {entry.seq} was edited: its hash does not match",
                )
            hashes[entry.seq] = entry.hash
            prev, expected_seq = entry.hash, entry.seq + 1
        checkpoints = 0
        for seq, digest, signature in connection.execute(
            "SELECT seq, hash, signature FROM audit_checkpoints ORDER BY seq"
        ):
            checkpoints += 1
            if not signed(seq, digest, signature):
                return Verdict(
                    False,
                    count,
                    checkpoints,
                    seq,
                    f"the checkpoint at row {seq} is not signed by this agent's key",
                )
            if seq not in hashes:
                return Verdict(
                    False,
                    count,
                    checkpoints,
                    seq,
                    f"the checkpoint at row {seq} names a row "
                    f"the log no longer has (it ends at row {expected_seq - 1}): rows were "
                    "removed from the end",
                )
            if hashes[seq] != digest:
                return Verdict(
                    False,
                    count,
                    checkpoints,
                    seq,
                    f"row {seq} differs from its signed "
                    "checkpoint: the chain was rewritten from there or before",
                )
    finally:
        connection.close()
    head_problem = _check_head(state_dir, hashes, expected_seq - 1, signed)
    if head_problem:
        seq, problem = head_problem
        return Verdict(False, count, checkpoints, seq, problem)
    return Verdict(True, count, checkpoints)


def _check_head(
    state_dir: Path, hashes: dict[int, str], last: int, signed: Any
) -> tuple[int, str] | None:
    try:
        head = json.loads((state_dir / HEAD_FILE).read_text())
        seq, digest, signature = int(head["seq"]), str(head["hash"]), str(head["signature"])
    except FileNotFoundError:
        if last:
            return last, f"{HEAD_FILE} is missing: the log's end cannot be vouched for"
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return last, f"{HEAD_FILE} cannot be read: {exc}"
    if not signed(seq, digest, signature):
        return seq, f"{HEAD_FILE} is not signed by this agent's key"
    if seq not in hashes:
        return seq, (
            f"the agent last wrote row {seq}, but the log ends at row {last}: rows were removed "
            "from the end"
        )
    if hashes[seq] != digest:
        return seq, f"row {seq} differs from the signed head: the chain was rewritten"
    return None
