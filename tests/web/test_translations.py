"""The Vietnamese and English catalogues: complete, consistent with the sources, compiled.

The sources are re-extracted here (the committed .pot may lag behind the templates), every
message must be translated in both catalogues, placeholders must survive translation, the
Vietnamese catalogue must really be Vietnamese, and the compiled .mo files must be current.
Two real pages are then rendered in both languages to catch English left on Vietnamese pages.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from web.app import create_app
from web.extensions import babel

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "web" / "translations"
LOCALES = ("vi", "en")

# Strings the Vietnamese catalogue may leave as they are in English: names and codes.
SAME_IN_VIETNAMESE = frozenset({"Đôn đốc", "VI", "EN", "PDF", "JSON Schema", "SHA-256"})

# Wording other parts of the project rely on (the end-to-end test clicks and reads these).
REQUIRED_VI = {
    "To assign": "Giao nhiệm vụ",
    "To execute": "Thực hiện",
    "To report": "Báo cáo kết quả",
    "To accept": "Duyệt báo cáo",
    "To contribute": "Gửi ý kiến phối hợp",
    "Contributions to acknowledge": "Tiếp nhận ý kiến phối hợp",
    "Nothing to do right now.": "Không có việc nào cần làm.",
    "Completed": "Hoàn thành",
    "Completed on time": "Hoàn thành đúng hạn",
    "Completed late": "Hoàn thành quá hạn",
    "Overdue": "Quá hạn",
    "Due soon": "Sắp đến hạn",
    "Within deadline": "Trong hạn",
    "Ongoing task": "Nhiệm vụ thường xuyên",
    "Awaiting approval": "Chờ duyệt",
    "Returned": "Bị trả lại",
    "Not started": "Chưa thực hiện",
    "In progress": "Đang thực hiện",
    "Awaiting assignment": "Chờ giao nhiệm vụ",
    "Cancelled": "Đã thu hồi",
    "round %(n)s": "lần %(n)s",
    "Round %(n)s": "Lần %(n)s",
    "Directive entered": "Nhập văn bản",
    "Tasks assigned": "Giao nhiệm vụ",
    "Report returned": "Trả lại báo cáo",
    "Report accepted": "Duyệt báo cáo",
    "Directive completed": "Văn bản hoàn thành",
    "Work started": "Bắt đầu thực hiện",
    "Report submitted": "Gửi báo cáo",
    "Contribution submitted": "Gửi ý kiến phối hợp",
    "Contribution acknowledged": "Tiếp nhận ý kiến phối hợp",
    "Contribution sent back": "Trả lại ý kiến phối hợp",
    "Reminder": "Nhắc việc",
    "Inbox": "Việc cần làm",
    "Directives": "Văn bản",
    "Enter a directive": "Nhập văn bản",
    "Sign in": "Đăng nhập",
    "Sign out": "Đăng xuất",
    "Lead": "Chủ trì",
    "Coordinating": "Phối hợp",
    "Lead units": "Đơn vị chủ trì",
    "Coordinating units": "Đơn vị phối hợp",
    "Deadline": "Hạn xử lý",
    "%(num)d day left": "còn %(num)d ngày",
    "%(num)d day overdue": "quá hạn %(num)d ngày",
    "Due today": "Đến hạn hôm nay",
}

PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _po(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def _mo(lang: str) -> Path:
    return _po(lang).with_suffix(".mo")


def _snapshot(lang: str) -> tuple[int, int | None, bytes | None]:
    po, mo = _po(lang), _mo(lang)
    if not mo.exists():
        return po.stat().st_mtime_ns, None, None
    return po.stat().st_mtime_ns, mo.stat().st_mtime_ns, mo.read_bytes()


# Taken at import, before any test below compiles a missing or stale catalogue, so that a
# stale build is reported whatever order the tests run in.
BUILT_BEFORE_TESTS = {lang: _snapshot(lang) for lang in LOCALES if _po(lang).exists()}


def _load(lang: str) -> Catalog:
    with _po(lang).open("rb") as f:
        return read_po(f, locale=lang)


def _key(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else message.id


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    string = message.string
    if isinstance(string, tuple | list):
        return tuple(string)
    return (string,)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def _compile(lang: str, target: Path) -> None:
    """Compile one catalogue as `pybabel compile` does, refusing format errors."""
    catalog = _load(lang)
    problems = [f"{_key(m)!r}: {e}" for m, errors in catalog.check() for e in errors]
    assert not problems, f"{lang}: {problems}"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=target.parent, suffix=".mo.tmp")
    with os.fdopen(fd, "wb") as f:
        write_mo(f, catalog)
    shutil.copymode(_po(lang), scratch)  # mkstemp makes it private; keep the .po's mode
    os.replace(scratch, target)  # atomic: a parallel reader never sees half a file


def _mo_matches_po(lang: str, data: bytes) -> bool:
    catalog = _load(lang)
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.seek(0)
        compiled = read_mo(f)
    expected = {_key(m): _strings(m) for m in catalog if m.id and not m.fuzzy}
    found = {_key(m): _strings(m) for m in compiled if m.id}
    return found == expected


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Message]:
    """The messages of the current sources, extracted afresh with the project's babel.cfg."""
    pot = tmp_path_factory.mktemp("extract") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    command = (
        [str(pybabel)] if pybabel.exists() else [sys.executable, "-m", "babel.messages.frontend"]
    )
    subprocess.run(
        [
            *command,
            "extract",
            "-F",
            "web/babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "N_",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    with pot.open("rb") as f:
        template = read_po(f)
    found = {_key(m): m for m in template if m.id}
    assert len(found) > 100, "extraction found suspiciously few messages"
    return found


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    for lang in LOCALES:
        assert _po(lang).exists(), f"missing catalogue {_po(lang)}"
    return {lang: _load(lang) for lang in LOCALES}


@pytest.mark.parametrize("lang", LOCALES)
def test_every_source_message_is_translated(lang, source_messages, catalogs) -> None:
    catalog = catalogs[lang]
    assert not catalog.fuzzy, f"{lang}: the catalogue header is marked fuzzy"
    missing, empty, fuzzy, plural = [], [], [], []
    for key, source in source_messages.items():
        entry = catalog.get(key, source.context)
        if entry is None:
            missing.append(key)
            continue
        if entry.fuzzy:
            fuzzy.append(key)
        if entry.pluralizable != source.pluralizable or _ids(entry) != _ids(source):
            plural.append(key)
        strings = _strings(entry)
        expected = catalog.num_plurals if entry.pluralizable else 1
        if len(strings) != expected or not all(s and s.strip() for s in strings):
            empty.append(key)
    assert not missing, f"{lang}: not in the catalogue (run pybabel update): {missing}"
    assert not empty, f"{lang}: empty or incomplete translations: {empty}"
    assert not fuzzy, f"{lang}: fuzzy translations: {fuzzy}"
    assert not plural, f"{lang}: singular/plural msgids differ from the sources: {plural}"


@pytest.mark.parametrize("lang", LOCALES)
def test_placeholders_survive_translation(lang, catalogs) -> None:
    wrong = []
    for entry in catalogs[lang]:
        if not entry.id:
            continue
        ids, strings = _ids(entry), _strings(entry)
        # Every form has the placeholders of the plural msgid (or of the msgid if singular).
        wanted = _placeholders(ids[-1])
        if _placeholders(ids[0]) != wanted:
            wrong.append((ids[0], "msgid and msgid_plural differ"))
        wrong.extend((ids[0], s) for s in strings if s and _placeholders(s) != wanted)
    assert not wrong, f"{lang}: placeholders differ between msgid and msgstr: {wrong}"


def test_vietnamese_declares_one_plural_form(catalogs) -> None:
    vi = catalogs["vi"]
    assert vi.num_plurals == 1
    assert vi.plural_expr == "0"
    assert "nplurals=1; plural=0;" in vi.plural_forms


def test_vietnamese_is_not_left_in_english(catalogs) -> None:
    same = [
        msgid
        for entry in catalogs["vi"]
        if entry.id
        for msgid, msgstr in zip(_ids(entry), _strings(entry), strict=False)
        if msgstr.strip() == msgid.strip() and msgid not in SAME_IN_VIETNAMESE
    ]
    assert not same, f"vi: still English (add true names/codes to SAME_IN_VIETNAMESE): {same}"


def test_required_vietnamese_wording(catalogs) -> None:
    vi = catalogs["vi"]
    wrong = {
        msgid: (None if vi.get(msgid) is None else _strings(vi.get(msgid))[0], wanted)
        for msgid, wanted in REQUIRED_VI.items()
        if vi.get(msgid) is None or _strings(vi.get(msgid))[0] != wanted
    }
    assert not wrong, f"vi: wording other tests rely on changed (found, wanted): {wrong}"


@pytest.mark.parametrize("lang", LOCALES)
def test_compiled_catalogue_is_current(lang, tmp_path) -> None:
    assert lang in BUILT_BEFORE_TESTS, f"missing catalogue {_po(lang)}"
    po_time, mo_time, data = BUILT_BEFORE_TESTS[lang]
    if mo_time is None or data is None:
        # Not built yet (.mo files are not committed): compiling must at least work.
        target = tmp_path / lang / "LC_MESSAGES" / "messages.mo"
        _compile(lang, target)
        with target.open("rb") as f:
            compiled = gettext.GNUTranslations(f)
        assert compiled.gettext("Sign in") == {"vi": "Đăng nhập", "en": "Sign in"}[lang]
        return
    assert mo_time >= po_time, (
        f"{_mo(lang)} is older than its .po: run `pybabel compile -d web/translations`"
    )
    assert _mo_matches_po(lang, data), f"{_mo(lang)} was not compiled from the current .po"


@pytest.fixture(scope="module")
def compiled() -> bool:
    """Make the real .mo files current, as the app compiles nothing itself; say if rebuilt."""
    rebuilt = False
    for lang in LOCALES:
        po, mo = _po(lang), _mo(lang)
        if not mo.exists() or mo.stat().st_mtime_ns < po.stat().st_mtime_ns:
            _compile(lang, mo)
            rebuilt = True
    return rebuilt


@pytest.fixture
def app(compiled: bool, db_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(
        environ={
            "DONDOC_INSTANCE_DIR": str(tmp_path),
            "DONDOC_DATABASE_URL": db_url,
            "DONDOC_SECRET_KEY": "t",
            "DONDOC_RATE_LIMITS": "0",
        }
    )
    if compiled:
        # Flask-Babel keeps loaded translations for the life of the process (one Babel
        # instance for every app): forget any catalogue loaded before the rebuild.
        with application.app_context():
            babel.domain_instance.cache.clear()
    yield application
    application.extensions["dondoc.db"].dispose()


class _VisibleText(HTMLParser):
    """The text a reader sees or hears: text nodes and labelling attributes."""

    ATTRIBUTES = frozenset({"aria-label", "placeholder", "title", "alt"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts.extend(v.strip() for k, v in attrs if k in self.ATTRIBUTES and v)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def _visible(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.parts


def _english_patterns(messages: dict[str, Message]) -> list[tuple[str, re.Pattern[str]]]:
    """A pattern per English source text; placeholders match anything."""
    patterns = []
    for message in messages.values():
        for text in _ids(message):
            if text in SAME_IN_VIETNAMESE:
                continue
            body = ".+?".join(re.escape(part) for part in PLACEHOLDER.split(text))
            if re.fullmatch(r"\w{1,3}", text):  # "to", "All": only a whole text node
                patterns.append((text, re.compile(rf"^{body}$")))
            else:
                patterns.append((text, re.compile(rf"(?<!\w){body}(?!\w)")))
    return patterns


def _sign_in(client: FlaskClient, username: str, password: str) -> None:
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


PAGES = ("/inbox", "/directives/")


def test_pages_speak_vietnamese_then_english(
    app, passwords, assigned_small, source_messages
) -> None:
    client = app.test_client()
    _sign_in(client, "truong.vp", passwords["truong.vp"])
    patterns = _english_patterns(source_messages)

    vietnamese = {path: _page(client, path) for path in PAGES}
    for path, html in vietnamese.items():
        assert 'lang="vi"' in html, path
        text = _visible(html)
        leaks = sorted({msgid for msgid, p in patterns for part in text if p.search(part)})
        assert not leaks, f"{path}: English on the Vietnamese page: {leaks}"
    assert "Việc cần làm" in _visible(vietnamese["/inbox"])
    assert "Thực hiện" in vietnamese["/inbox"]  # the unit's step, in the inbox's words

    response = client.post(
        "/language",
        data={"language": "en", "back": "/inbox", "csrf_token": _token(vietnamese["/inbox"])},
    )
    assert response.status_code == 302

    for path in PAGES:
        html = _page(client, path)
        assert 'lang="en"' in html, path
        text = _visible(html)
        assert "Inbox" in text, path
        assert "Directives" in text, path
        assert "Việc cần làm" not in html, path
        assert "Đăng xuất" not in html, path
