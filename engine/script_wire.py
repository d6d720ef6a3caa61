"""What crosses the pipes between the server and a script worker: length-prefixed JSON frames.

Nothing but JSON crosses. The server never unpickles what a worker says, so a script that broke
out of the sandbox inside a worker still cannot run code in the server. A request is three
frames (what to run with which limits, the task data, the external context); an answer is one.
The server's side waits with `poll`, which releases the GIL, and gives up at a deadline.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")
CHUNK = 1 << 20


class WireError(Exception):
    """The other side closed its pipe, sent a malformed frame or more than allowed."""


class WorkerTimeout(WireError):
    """The worker did not answer before the deadline."""


class NotPlainData(Exception):
    """A value is not plain JSON data (text, numbers, true/false, null, lists, dicts)."""

    def __init__(self, type_name: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name


class TooMuchData(Exception):
    """The encoded value passed its budget; `size` is how far the encoding got."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class _PlainEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        raise NotPlainData(type(o).__name__)


def frame(payload: bytes) -> bytes:
    """Prefix a payload with its length."""
    return HEADER.pack(len(payload)) + payload


def encode_limited(value: Any, budget: int) -> str:
    """Encode a value as JSON, raising TooMuchData as soon as the text passes `budget` bytes.

    The encoding is incremental, so a value that would take 100 MB as text is never built.
    It is the encoding the engine stores (ASCII-only JSON), so the size is what would be saved.
    Values that surely fit (most) take the fast one-shot encoder instead.
    """
    if _surely_fits(value, budget):
        return json.dumps(value)
    parts, size = [], 0
    for chunk in _PlainEncoder().iterencode(value):
        size += len(chunk)
        if size > budget:
            raise TooMuchData(size)
        parts.append(chunk)
    return "".join(parts)


def _surely_fits(value: Any, budget: int) -> bool:
    """Tell cheaply whether the JSON text of a plain value cannot pass `budget` bytes.

    Counts an upper bound of the text (shared references each time, as the encoder writes
    them), giving up at the budget or at anything but plain data with text keys.
    """
    total, todo = 0, [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            total += 12 * len(item) + 2  # a character outside the BMP is \uXXXX\uXXXX
        elif item is None or isinstance(item, bool | float):
            total += 24
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, list | tuple | dict):
            total += 8 * len(item) + 2  # the separators, and room for the keys' quotes
            if total > budget:
                return False
            if isinstance(item, dict):
                if not all(isinstance(key, str) for key in item):
                    return False
                todo.extend(item.keys())
                todo.extend(item.values())
            else:
                todo.extend(item)
        else:
            return False
        if total > budget:
            return False
    return True


# -- the worker's side: blocking reads on its stdin -----------------------------------------


def read_frame(stream: BinaryIO, max_bytes: int) -> bytes | None:
    """Read one frame from a blocking stream; None when the stream ended before it."""
    header = stream.read(HEADER.size)
    if not header:
        return None
    if len(header) < HEADER.size:
        raise WireError("the frame header was cut short")
    (size,) = HEADER.unpack(header)
    if size > max_bytes:
        raise WireError(f"a frame of {size} bytes is over the limit of {max_bytes}")
    payload = stream.read(size)
    if len(payload) < size:
        raise WireError("the frame was cut short")
    return payload


# -- the server's side: non-blocking pipes, a deadline --------------------------------------


def send(fd: int, data: bytes, deadline: float) -> None:
    """Write all of `data` to a non-blocking pipe before the deadline."""
    view = memoryview(data)
    while view:
        _wait(fd, select.POLLOUT, deadline)
        try:
            written = os.write(fd, view[:CHUNK])
        except BlockingIOError:
            continue
        except OSError as exc:  # EPIPE: the worker is gone
            raise WireError(f"the worker's pipe is closed: {exc}") from exc
        view = view[written:]


def receive(fd: int, deadline: float, max_bytes: int) -> bytes:
    """Read one frame from a non-blocking pipe before the deadline; refuse oversize frames."""
    received, size = bytearray(), None
    while size is None or len(received) < HEADER.size + size:
        _wait(fd, select.POLLIN, deadline)
        try:
            chunk = os.read(fd, CHUNK)
        except BlockingIOError:
            continue
        if not chunk:
            raise WireError("the worker closed its pipe")
        received += chunk
        if size is None and len(received) >= HEADER.size:
            (size,) = HEADER.unpack_from(received)
            if size > max_bytes:
                raise WireError(f"the worker answered {size} bytes, over the {max_bytes} allowed")
    if len(received) > HEADER.size + size:
        raise WireError("the worker sent more than one answer")
    return bytes(received[HEADER.size :])


def _wait(fd: int, events: int, deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise WorkerTimeout("the worker did not answer in time")
    poller = select.poll()
    poller.register(fd, events)
    if not poller.poll(remaining * 1000):
        raise WorkerTimeout("the worker did not answer in time")
