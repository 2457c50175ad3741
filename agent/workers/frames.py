"""The wire format between the agent and its worker subprocesses, in every language.

A frame is an 8-byte big-endian prefix (header length, total payload length), a JSON header
and the concatenated binary blobs whose sizes the header lists under ``"blobs"``. Tables travel
as blobs so they are never copied through JSON. Standard library only: both the agent
and the workers import this module.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any, BinaryIO

_PREFIX = struct.Struct(">II")
PREFIX_SIZE = _PREFIX.size

Header = dict[str, Any]


Blob = bytes | bytearray | memoryview


def frame_parts(header: Header, blobs: tuple[Blob, ...] | list[Blob] = ()) -> list[Blob]:
    """One frame as a list of buffers to write in order (blobs are not copied)."""
    header = {**header, "blobs": [len(blob) for blob in blobs]}
    head = json.dumps(header, separators=(",", ":")).encode()
    # Pad with JSON whitespace so the first blob starts 8-byte aligned in the reader's buffer:
    # Arrow's typed-array views (in Node.js) need that, and misaligned data costs a copy.
    head += b" " * (-(PREFIX_SIZE + len(head)) % 8)
    payload = len(head) + sum(len(blob) for blob in blobs)
    return [_PREFIX.pack(len(head), payload) + head, *blobs]


def encode_frame(header: Header, blobs: tuple[Blob, ...] | list[Blob] = ()) -> bytes:
    """One frame as bytes; the header gains the `blobs` size list."""
    return b"".join(frame_parts(header, blobs))


def write_frame(fd: int, header: Header, blobs: tuple[Blob, ...] | list[Blob] = ()) -> None:
    """Blocking write of one frame to `fd` with scatter-gather writes (the worker side)."""
    pending = FrameSender(fd)
    pending.add(frame_parts(header, blobs))
    while not pending.write_available():
        pass


def read_frame(stream: BinaryIO) -> tuple[Header, list[memoryview]] | None:
    """Blocking read of one frame (the worker side); None at end of stream. Blobs are views
    of one buffer read in a single piece, so a table is not copied again."""
    prefix = stream.read(PREFIX_SIZE)
    if len(prefix) < PREFIX_SIZE:
        return None
    head_size, payload_size = _PREFIX.unpack(prefix)
    payload = stream.read(payload_size)
    if len(payload) < payload_size:
        return None
    view = memoryview(payload)
    header: Header = json.loads(payload[:head_size])
    blobs: list[memoryview] = []
    offset = head_size
    for size in header.get("blobs", ()):
        blobs.append(view[offset : offset + size])
        offset += size
    return header, blobs


class FrameSender:
    """Writes queued frames to a file descriptor with `writev`, never copying a blob."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._queue: list[memoryview] = []

    def add(self, parts: list[Blob]) -> None:
        """Queue buffers for writing."""
        self._queue.extend(memoryview(part).cast("B") for part in parts if len(part))

    def write_available(self) -> bool:
        """Write what the descriptor takes now; True once everything queued is written.
        Raises `BrokenPipeError` when the reader is gone."""
        while self._queue:
            try:
                written = os.writev(self.fd, self._queue[:_IOV_MAX])
            except BlockingIOError:
                return False
            while written:
                first = self._queue[0]
                if written >= len(first):
                    written -= len(first)
                    self._queue.pop(0)
                else:
                    self._queue[0] = first[written:]
                    written = 0
        return True


_IOV_MAX = 512


class FrameReceiver:
    """Reads frames from a non-blocking file descriptor (the agent side).

    A frame's payload is read straight into a buffer of its final size, so a table of
    tens of megabytes is copied once by the kernel and once into its blob, never
    re-assembled from chunks.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._prefix = bytearray()
        self._head_size = 0
        self._payload: bytearray | None = None
        self._filled = 0

    def read_available(self) -> tuple[list[tuple[Header, list[bytes]]], bool]:
        """Every frame completed by what can be read now, and whether the stream ended."""
        frames: list[tuple[Header, list[bytes]]] = []
        try:
            while True:
                if self._payload is None:
                    data = os.read(self.fd, PREFIX_SIZE - len(self._prefix))
                    if not data:
                        return frames, True
                    self._prefix += data
                    if len(self._prefix) < PREFIX_SIZE:
                        continue
                    self._head_size, payload_size = _PREFIX.unpack(self._prefix)
                    self._prefix.clear()
                    self._payload = bytearray(payload_size)
                    self._filled = 0
                if self._filled < len(self._payload):
                    read = os.readv(self.fd, [memoryview(self._payload)[self._filled :]])
                    if read == 0:
                        return frames, True
                    self._filled += read
                if self._filled == len(self._payload):
                    payload, self._payload = self._payload, None
                    frames.append(_split(self._head_size, payload))
        except BlockingIOError:
            return frames, False


def _split(head_size: int, payload: bytearray) -> tuple[Header, list[bytes]]:
    with memoryview(payload) as view:
        header: Header = json.loads(view[:head_size].tobytes())
        blobs: list[bytes] = []
        offset = head_size
        for size in header.get("blobs", ()):
            blobs.append(view[offset : offset + size].tobytes())
            offset += size
    return header, blobs
