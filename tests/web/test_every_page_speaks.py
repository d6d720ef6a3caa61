"""Every page in the reader's language: every demo user, both languages, every page reachable
from their menus and inbox, forms sent empty included.

The visible text of each page (text nodes and labelling attributes) is checked after the data
people typed or the organisation holds (names, numbers, titles, reports...) is taken out: in
Vietnamese no English text of our catalogue, no English sentence and no raw id may be left;
in English no Vietnamese may be left. The few texts that are the same in both languages are
listed with their reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.helpers import item_of, items_for
from tests.web.helpers import TOKEN, sign_in
from tests.workflows.conftest import small_directive
from web.i18n import FIELD_LABELS  # noqa: F401 - the labels the pages use for field names
from workflows import directives
from workflows.attachments import Upload
from workflows.db import Database
from workflows.organisation import delegations
from workflows.steps import unit_work as steps
from workflows.tables import (
    Attachment,
    Directive,
    Event,
    ExtensionRequest,
    Report,
    ReportDraft,
    StepForm,
    Task,
    Unit,
    User,
)

ROOT = Path(__file__).resolve().parents[2]
POT = ROOT / "web" / "translations" / "messages.pot"
PDF = b"%PDF-1.4\n%%EOF\n"
VIETNAMESE = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.IGNORECASE
)
CODE = re.compile(r'"[^"]*"')  # JSON Schema keywords quoted in the form editor's help are code
RAW_ID = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # snake_case: a step, role, state or field id
ENGLISH_WORDS = frozenset(
    {
        "the",
        "this",
        "is",
        "are",
        "field",
        "required",
        "invalid",
        "must",
        "please",
        "of",
        "and",
        "not",
        "with",
        "you",
        "your",
        "cannot",
        "be",
        "for",
        "choice",
    }
)
# The same in both languages, on purpose.
SAME_IN_BOTH = {
    "Đôn đốc": "the product's name",
    "Tiếng Việt": "the language switch names each language in itself",
    "English": "the language switch names each language in itself",
    "VI": "language code",
    "EN": "language code",
    "PDF": "a file format",
    "JSON Schema": "a standard's name",
    "SHA-256": "a standard's name",
    "BPMN": "a standard's name",
    "ID": "the identifier of a diagram element, as bpmn-js calls it",
    "kB": "a unit",
    "Office": "a product's name (Microsoft Office documents)",
    "Tết": "the Vietnamese New Year: English says Tết too",
    "MB": "a unit",
    "đôn đốc": "the Vietnamese word for a leader's nudge, given in brackets beside the English",
}
NOT_PAGES = re.compile(
    r"^/(static|vendor|files|api|language|logout|healthz)|/trail\.json$|/bpmn$|download="
    r"|\.(xlsx|csv|docx|json)(\?|$)"  # exports: files, not pages
)
NOT_SENT = re.compile(
    r"/(logout|language|publish|migrate|sign-out|retry|read|end|delete|hand-over|versions|upload)"
    r"(/|$)"
)
MAX_PAGES = 400  # a guard against a crawl that never ends: reaching it fails the test
VOID = frozenset({"input", "img", "br", "hr", "meta", "link", "area", "source", "col", "wbr"})


class _Page(HTMLParser):
    """The visible text, the links and the post forms of a page."""

    ATTRIBUTES = frozenset({"aria-label", "placeholder", "title", "alt"})

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self.forms: list[str] = []
        self._hidden = 0
        self._vietnamese: list[str] = []  # open elements marked lang="vi"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "style"):
            self._hidden += 1
        if found.get("lang") == "vi":  # marked Vietnamese in any language (an official heading)
            if tag not in VOID:
                self._vietnamese.append(tag)
            return
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        if tag == "form" and (found.get("method") or "").lower() == "post":
            self.forms.append(str(found.get("action") or ""))
        if tag == "option":
            return  # choices list data (units, people) besides labels; their labels are checked
        self.text.extend(str(v).strip() for k, v in attrs if k in self.ATTRIBUTES and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1
        if self._vietnamese and self._vietnamese[-1] == tag:
            self._vietnamese.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden and not self._vietnamese and data.strip():
            self.text.append(" ".join(data.split()))


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _stage(db: Database, users: dict[str, int], today: date) -> None:
    """Every kind of step waits somewhere: assign, execute, report, a draft to sign off, a
    returned report, accept, contribute, acknowledge; a delegation runs; an extension waits."""
    data = small_directive(today, "31/TB")
    directives.create_directive(db, users["vanthu"], data, uploads=[Upload("van-ban.pdf", PDF)])
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    khtc = item_of(db, users["truong.khtc"], "execute", task_no=1)
    steps.hand_over(db, users["truong.khtc"], khtc.assignment_id or 0, users["cv.khtc"])
    steps.start_work(db, users["cv.khtc"], khtc.work_item_id, "bắt đầu")
    report = item_of(db, users["cv.khtc"], "report", task_no=1)
    steps.submit_report(
        db, users["cv.khtc"], report.work_item_id, "dự thảo", uploads=[Upload("bien-ban.pdf", PDF)]
    )
    vp_report = item_of(db, users["truong.vp"], "execute", task_no=3)  # an officer's report waits
    steps.hand_over(db, users["truong.vp"], vp_report.assignment_id or 0, users["cv.vp"])
    for code, task_no in (("ttr", 2), ("vp", 3)):
        item = item_of(db, users[f"cv.{code}"], "execute", task_no=task_no)
        steps.start_work(db, users[f"cv.{code}"], item.work_item_id)
    ttr = item_of(db, users["truong.ttr"], "report", task_no=2)
    steps.submit_report(db, users["truong.ttr"], ttr.work_item_id, "xong")
    accept = item_of(db, users["giamdoc"], "accept", task_no=2)
    steps.return_report(db, users["giamdoc"], accept.work_item_id, "bổ sung số liệu")
    vp = [i for i in items_for(db, users["cv.vp"], "execute") if i.task_no == 1]
    steps.start_work(db, users["cv.vp"], vp[0].work_item_id)
    contribute = item_of(db, users["truong.vp"], "contribute", task_no=1)
    steps.submit_contribution(db, users["truong.vp"], contribute.work_item_id, "ý kiến")
    cctdc = item_of(db, users["truong.cctdc"], "execute", task_no=2)
    steps.start_work(db, users["truong.cctdc"], cctdc.work_item_id)
    steps.submit_report(
        db,
        users["truong.cctdc"],
        item_of(db, users["truong.cctdc"], "report", task_no=2).work_item_id,
        "xong",
    )
    delegations.delegate(
        db, users["truong.khtc"], users["pho.khtc"], today, today + timedelta(days=2), "Nghỉ phép"
    )
    from workflows import extensions

    extensions.request_extension(
        db,
        users["truong.vp"],
        vp[0].assignment_id or 0,
        "cần thêm thời gian",
        today + timedelta(days=40),
    )
    directives.create_directive(db, users["vanthu"], small_directive(today, "32/TB"))


def _data_strings(db: Database) -> list[str]:
    """What people typed or the organisation holds: taken out of a page before it is checked."""
    columns = [
        Unit.name,
        Unit.name_en,
        User.full_name,
        User.title,
        User.username,
        Directive.number,
        Directive.title,
        Directive.issuer,
        Directive.body,
        Task.content,
        Report.text,
        Report.comment,
        ReportDraft.text,
        ReportDraft.comment,
        Attachment.filename,
        Event.detail,
        ExtensionRequest.reason,
        StepForm.title,
        StepForm.key,
    ]
    found: set[str] = set()
    with db.reading() as session:
        for column in columns:
            found.update(str(v) for v in session.scalars(select(column)) if v)
        for schema in session.scalars(select(StepForm.schema_json)):
            found.update(re.findall(r'"(?:title|description)":\s*"([^"]+)"', schema))
        found.update(session.scalars(select(Unit.code)))
    found.update(
        {
            "Giao nhiệm vụ / Assign",
            "bundled reference process",
            "dondoc init",
            "admin",
            "Văn bản chỉ đạo / Directive",
        }
    )
    words = sorted((s for s in found if len(s) > 1), key=len, reverse=True)
    return words


def _remover(strings: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(s) for s in strings))


def _english_texts() -> list[tuple[str, re.Pattern[str]]]:
    with POT.open("rb") as f:
        catalog = read_po(f)
    placeholder = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
    found = []
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        for text in ids:
            if not text or text in SAME_IN_BOTH or len(text) < 4:
                continue
            body = ".+?".join(re.escape(part) for part in placeholder.split(text))
            found.append((text, re.compile(rf"(?<!\w){body}(?!\w)")))
    return found


def _problems(text: list[str], lang: str, data: re.Pattern[str], english: list) -> list[str]:
    found = []
    for part in text:
        rest = CODE.sub(" ", data.sub(" ", part))
        for same in SAME_IN_BOTH:
            rest = rest.replace(same, " ")
        rest = re.sub(r"[\d/:.,·()\-–—→+%#*|…]+", " ", rest).strip()
        if not rest:
            continue
        if lang == "en":
            if VIETNAMESE.search(rest):
                found.append(f"Vietnamese: {part!r}")
            continue
        if RAW_ID.search(rest):
            found.append(f"raw id: {part!r}")
        words = {w.lower() for w in re.findall(r"[A-Za-z']+", rest)}
        if len(words & ENGLISH_WORDS) >= 2:
            found.append(f"English: {part!r}")
        found.extend(f"English {msgid!r}: {part!r}" for msgid, p in english if p.search(rest))
    return found


def _crawl(client: FlaskClient) -> Iterator[tuple[str, str, str]]:
    """Visit every page reachable from the menus and the inbox; send each post form empty."""
    seen: set[str] = set()
    queue = ["/inbox", "/directives/", "/notifications", "/delegations"]
    while queue:
        path = queue.pop(0)
        if path in seen or NOT_PAGES.search(path):
            continue
        assert len(seen) < MAX_PAGES, f"the crawl stopped with {len(set(queue) - seen)} left"
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        html = response.get_data(as_text=True)
        yield "GET", path, html
        page = _parse(html)
        for link in page.links:
            target = urlsplit(urljoin(path, link))
            if not target.netloc and target.path and _worth(target.path):
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
        for action in dict.fromkeys(page.forms):
            url = urlsplit(urljoin(path, action or path)).path
            if NOT_SENT.search(url):
                continue
            token = TOKEN.search(html)
            sent = client.post(url, data={"csrf_token": token.group(1) if token else ""})
            if "text/html" in sent.content_type and sent.status_code != 302:
                yield "POST", url, sent.get_data(as_text=True)


def _worth(path: str) -> bool:
    """Pages, not every variant of a list: one page per route shape."""
    return not re.search(r"[?&](page|sort|step|unit|status|overdue|action|target)=", path)


EVERY_KIND_OF_PAGE = (
    ("admin", "GET", "/admin/units/<id>"),
    ("admin", "GET", "/admin/units/new"),
    ("admin", "GET", "/admin/models/edit"),
    ("admin", "GET", "/admin/models/versions/<id>"),
    ("admin", "GET", "/admin/forms/new"),
    ("admin", "POST", "/admin/forms/new"),
    ("admin", "GET", "/admin/users/<id>"),
    ("cv.vp", "GET", "/work/<id>"),
    ("cv.vp", "POST", "/work/<id>"),  # the officer's draft sent empty: its error state
    ("pho.khtc", "POST", "/work/<id>"),  # the deputy's sign-off, in the head's name
    ("giamdoc", "POST", "/work/<id>"),
)


@pytest.fixture
def staged(db: Database, users: dict[str, int], today: date) -> Database:
    _stage(db, users, today)
    return db


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_page_of_every_demo_user_speaks_the_users_language(
    app: Flask, staged: Database, passwords: dict[str, str], lang: str
) -> None:
    data = _remover(_data_strings(staged))
    english = _english_texts()
    wrong: dict[str, list[str]] = {}
    visited: set[tuple[str, str, str]] = set()  # who saw which kind of page
    pages = 0
    for username in sorted(passwords):
        client = app.test_client()
        sign_in(client, username, passwords[username])
        home = client.get("/inbox").get_data(as_text=True)
        token = TOKEN.search(home)
        assert token
        client.post(
            "/language", data={"language": lang, "back": "/inbox", "csrf_token": token.group(1)}
        )
        for method, path, html in _crawl(client):
            pages += 1
            visited.add((username, method, re.sub(r"/[0-9a-f-]{6,}|/\d+", "/<id>", path)))
            assert f'lang="{lang}"' in html, (username, path)
            problems = _problems(_parse(html).text, lang, data, english)
            if problems:
                wrong[f"{username} {method} {path}"] = sorted(set(problems))[:8]
    assert pages > 400  # the crawl reached the pages, not a sign-in form
    for page in EVERY_KIND_OF_PAGE:
        assert page in visited, page
    report = "\n".join(f"{page}: {found}" for page, found in sorted(wrong.items()))
    assert not wrong, f"{len(wrong)} pages speak the wrong language:\n{report}"
