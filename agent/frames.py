"""The wire format between the agent and its worker subprocesses.

A frame is an 8-byte prefix (header length, total payload length), a JSON header and the
concatenated binary blobs whose sizes the header lists under ``"blobs"``. Tables travel
as blobs so they are never copied through JSON. Standard library only: both the agent
and the workers import this module.
"""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO

_PREFIX = struct.Struct(">II")
PREFIX_SIZE = _PREFIX.size

Header = dict[str, Any]


def encode_frame(header: Header, blobs: list[bytes] | tuple[bytes, ...] = ()) -> bytes:
    """One frame as bytes; the header gains the `blobs` size list."""
    header = {**header, "blobs": [len(blob) for blob in blobs]}
    head = json.dumps(header, separators=(",", ":")).encode()
    payload = len(head) + sum(len(blob) for blob in blobs)
    return b"".join((_PREFIX.pack(len(head), payload), head, *blobs))


def decode_payload(head_size: int, payload: bytes) -> tuple[Header, list[bytes]]:
    """Split a frame's payload (everything after the prefix) into header and blobs."""
    header: Header = json.loads(payload[:head_size])
    blobs: list[bytes] = []
    offset = head_size
    for size in header.get("blobs", ()):
        blobs.append(payload[offset : offset + size])
        offset += size
    return header, blobs


def read_frame(stream: BinaryIO) -> tuple[Header, list[bytes]] | None:
    """Blocking read of one frame; None at end of stream (the other side closed)."""
    prefix = stream.read(PREFIX_SIZE)
    if len(prefix) < PREFIX_SIZE:
        return None
    head_size, payload_size = _PREFIX.unpack(prefix)
    payload = stream.read(payload_size)
    if len(payload) < payload_size:
        return None
    return decode_payload(head_size, payload)


class FrameBuffer:
    """Incremental decoder for frames arriving in arbitrary chunks (the agent side)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[Header, list[bytes]]]:
        """Add bytes; return every frame now complete."""
        self._buffer += data
        frames: list[tuple[Header, list[bytes]]] = []
        while len(self._buffer) >= PREFIX_SIZE:
            head_size, payload_size = _PREFIX.unpack_from(self._buffer)
            end = PREFIX_SIZE + payload_size
            if len(self._buffer) < end:
                break
            payload = bytes(self._buffer[PREFIX_SIZE:end])
            del self._buffer[:end]
            frames.append(decode_payload(head_size, payload))
        return frames
