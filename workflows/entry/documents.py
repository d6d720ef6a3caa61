"""A document file handed in for a proposal: checked here, read in a worker under OS limits.

The checks that cost nothing come first (an empty file, one too large, a name or content that
is not .docx, .pdf, .xlsx or .txt); then `readers.py` runs as a script in a fresh process with
its memory and processor time capped and a wall-clock deadline, so no file can hold or sink
the server. Each refusal is an InvalidInput on the `source` field, in words a clerk can act on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from workflows.attachments import Upload, clean_filename
from workflows.errors import InvalidInput
from workflows.messages import N_, Message

MAX_SOURCE_BYTES = 10 * 1024 * 1024
WALL_SECONDS = 30.0
MAX_ANSWER_BYTES = 16 * 1024 * 1024
READER = Path(__file__).resolve().with_name("readers.py")
SIGNATURES = {".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",), ".pdf": (b"%PDF-",)}
READABLE = (".docx", ".pdf", ".xlsx", ".txt")
PASSED_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")


@dataclass(frozen=True)
class SourceDocument:
    """What a file holds: its text (paragraphs, one a line) and its tables (rows of cells)."""

    name: str
    text: str
    tables: tuple[tuple[tuple[str, ...], ...], ...] = ()


def read_document(upload: Upload) -> SourceDocument:
    """Read a .docx, .pdf (with a text layer), .xlsx or .txt file, or refuse it clearly."""
    name = clean_filename(upload.filename or "")
    extension = Path(name).suffix.lower()
    _check(upload.data, name, extension)
    answer = _run_reader(name, upload.data)
    if "error" in answer:
        raise InvalidInput({"source": _refusal(str(answer["error"]), name)})
    found = answer.get("tables")
    tables = tuple(
        tuple(tuple(str(cell) for cell in row) for row in table)
        for table in (found if isinstance(found, list) else [])
    )
    return SourceDocument(name, str(answer["text"]), tables)


def _check(data: bytes, name: str, extension: str) -> None:
    if extension not in READABLE:
        refusal = N_(
            "%(name)s: only .docx, .pdf, .xlsx or .txt files can be read (save a .doc file "
            "as .docx first)",
            name=name,
        )
        raise InvalidInput({"source": refusal})
    if not data:
        raise InvalidInput({"source": N_("%(name)s is empty", name=name)})
    if len(data) > MAX_SOURCE_BYTES:
        refusal = N_(
            "%(name)s is %(size)s MB; a document to read may be at most %(limit)s MB",
            name=name,
            size=f"{len(data) / 1024 / 1024:.1f}",
            limit=MAX_SOURCE_BYTES // 1024 // 1024,
        )
        raise InvalidInput({"source": refusal})
    signatures = SIGNATURES.get(extension)
    if signatures and not data.startswith(signatures):
        refusal = N_("%(name)s is not a real %(ext)s file", name=name, ext=extension)
        raise InvalidInput({"source": refusal})


def _run_reader(name: str, data: bytes) -> dict[str, object]:
    environment = {key: os.environ[key] for key in PASSED_ENVIRONMENT if key in os.environ}
    request = json.dumps({"name": name, "size": len(data)}).encode() + b"\n" + data
    try:
        finished = subprocess.run(
            [sys.executable, "-I", str(READER)],  # isolated: none of our modules, no secrets
            input=request,
            capture_output=True,
            timeout=WALL_SECONDS,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": "timeout"}
    if finished.returncode != 0 or len(finished.stdout) > MAX_ANSWER_BYTES:
        return {"error": "memory" if finished.returncode else "too_long"}
    try:
        answer = json.loads(finished.stdout)
    except ValueError:
        return {"error": "corrupt"}
    return answer if isinstance(answer, dict) else {"error": "corrupt"}


def _refusal(code: str, name: str) -> Message:
    messages = {
        "no_text": N_(
            "%(name)s has no text layer (a scanned document?): Đôn đốc cannot read images; "
            "paste the text or enter the tasks by hand",
            name=name,
        ),
        "zip_bomb": N_(
            "%(name)s would unpack to far more than a document holds: it was not read",
            name=name,
        ),
        "encrypted": N_("%(name)s is protected by a password: save it without one", name=name),
        "timeout": N_("reading %(name)s took too long and was stopped", name=name),
        "memory": N_("reading %(name)s needed more memory than a document should", name=name),
        "too_many_pages": N_("%(name)s has too many pages to be one directive", name=name),
        "too_many_rows": N_("%(name)s has too many rows to be one directive", name=name),
        "too_long": N_("%(name)s holds too much text to be one directive", name=name),
    }
    return messages.get(code) or N_("%(name)s could not be read: the file is damaged", name=name)
