"""Who leads a task and who coordinates, from where the units stand in its sentences.

Units named together ("Thanh tra Sở, Chi cục TĐC") form a run. A run is
- lead when it is followed by "chủ trì", or comes after "giao" / "đề nghị" / "yêu cầu" /
  "đơn vị chủ trì", or after "chỉ đạo" when no lead came before it ("Chỉ đạo Chi cục TĐC ..."),
  or is the subject of a clause ("Phòng KH-TC: ...", "Trung tâm ... chủ động chuẩn bị ...",
  "Trưởng các phòng chuyên môn phối hợp tổ chức ...");
- coordinating when it comes after "phối hợp với" / "phối hợp chặt chẽ với" / "có sự phối hợp
  của" / "đơn vị phối hợp";
- neither when a preposition puts it elsewhere: the receiver of a report ("báo cáo về Văn
  phòng"), the owner of something ("của Văn phòng Sở"), a proposal's addressee ("đề nghị với");
  nor a unit that follows the work up ("Văn phòng theo dõi, đôn đốc") once a lead is named.
A lead is never also a coordinator. Unit phrases that match no unit ("Sở Tài chính") are kept,
as written, with no code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workflows.rules.importing.text import Token, tokens
from workflows.rules.importing.units import Matcher, Mention

LEAD, COORDINATING = "lead", "coordinating"
CONNECTORS = frozenset({",", ";", "va", "cung"})
SENTENCE_ENDS = frozenset({".", "!", "?", "\n"})
CLAUSE_STARTS = frozenset({",", ":", ";", "("})
LEAD_BEFORE = (
    ("giao",),
    ("giao", "cho"),
    ("de", "nghi"),
    ("yeu", "cau"),
    ("chu", "tri"),
    ("don", "vi", "chu", "tri"),
    ("co", "quan", "chu", "tri"),
)
# "Chỉ đạo Chi cục TĐC ...": a department's item done by its unit; after a lead, only its means.
DIRECTS = ("chi", "dao")
SUBJECT_TITLES = frozenset({"truong", "thu", "lanh", "dao", "chanh", "giam", "doc", "cac", "dong"})
BLOCKERS = frozenset(
    {"ve", "cho", "gui", "qua", "cua", "thuoc", "tai", "tu", "den", "toi", "trong", "o", "nhu"}
    | {"la", "voi", "doi", "tren", "duoi", "sau", "truoc", "theo", "lam", "nhan", "va"}
)
FOLLOW_UP = (("theo", "doi"), ("don", "doc"), ("tong", "hop"), ("giam", "sat"))
UNIT_HEADS = (
    ("phong",),
    ("so",),
    ("ban",),
    ("cuc",),
    ("chi", "cuc"),
    ("trung", "tam"),
    ("van", "phong"),
    ("thanh", "tra"),
    ("cong", "an"),
    ("ubnd",),
    ("uy", "ban"),
    ("kho", "bac"),
    ("bao", "hiem", "xa", "hoi"),
    ("vien",),
    ("hoi",),
    ("dai",),
    ("bo", "chi", "huy"),
    ("tinh", "doan"),
    ("tinh", "uy"),
    ("lien", "hiep"),
    ("lien", "doan"),
    ("mat", "tran"),
    ("hoi", "dong"),
    ("bao",),
    ("to",),
)
PLACES = frozenset({"tinh", "huyen", "thanh", "xa", "thi"})
# First syllables of the verbs that open a predicate: the name of an unknown unit stops there.
STOPS = frozenset(
    {"chu", "phoi", "co", "thuc", "to", "trien", "tham", "xay", "theo", "bao", "ra", "kiem"}
    | {"huong", "de", "chi", "tong", "phan", "tap", "khan", "nghien", "bo", "dam", "tiep"}
    | {"lam", "cung", "gui", "lap", "hoan", "cac", "nam", "ngay", "thang", "trong", "ho"}
    | {"don", "can", "day", "tang", "giai", "duy", "cap", "so", "trinh", "ban", "sua"}
    | {"xac", "tuyen", "pho", "van", "la", "quan", "khong", "phai", "se", "da", "dang", "can"}
)

PAIR_STOPS = {"chuan": "bi"}  # "chuẩn bị" opens a predicate; "Tiêu chuẩn" is a name


@dataclass(frozen=True)
class Party:
    """A unit named in a task: its code (None: not in the registry), as written, and its role."""

    code: str | None
    written: str
    role: str


def parties(text: str, matcher: Matcher) -> list[Party]:
    """Return the lead and coordinating units a task's text names, lead first, in order."""
    toks = tokens(text)
    found = matcher.find(toks, text)
    mentions = sorted(found + _unknown(toks, text, found), key=lambda m: m.first)
    roles: list[tuple[Mention, str]] = []
    has_lead = False
    for run in _runs(toks, mentions):
        role = _role(toks, run, has_lead)
        if role is None:
            continue
        has_lead = has_lead or role == LEAD
        roles += [(mention, role) for mention in run if not mention.ignored]
    return _parties(roles)


def _parties(roles: list[tuple[Mention, str]]) -> list[Party]:
    leads = {c for mention, role in roles if role == LEAD for c in mention.codes}
    result: list[Party] = []
    seen: set[str] = set()
    for wanted in (LEAD, COORDINATING):
        for mention, role in roles:
            if role != wanted:
                continue
            for code in mention.codes or (None,):
                key = code or mention.written.casefold()
                if key in seen or (role == COORDINATING and code in leads):
                    continue
                seen.add(key)
                result.append(Party(code, mention.written, role))
    return result


def _runs(toks: Sequence[Token], mentions: list[Mention]) -> list[list[Mention]]:
    runs: list[list[Mention]] = []
    for mention in mentions:
        if runs and _joined(toks, runs[-1][-1], mention):
            runs[-1].append(mention)
        else:
            runs.append([mention])
    return runs


def _joined(toks: Sequence[Token], left: Mention, right: Mention) -> bool:
    between = toks[left.last + 1 : right.first]
    return all(t.key in CONNECTORS for t in between)


def _role(toks: Sequence[Token], run: list[Mention], has_lead: bool) -> str | None:
    before = _words_before(toks, run[0].first, 6)
    after = _words_after(toks, run[-1].last, 4)
    if _is_coordinating(before):
        return COORDINATING
    if after[:2] == ("chu", "tri") or any(_ends_with(before, cue) for cue in LEAD_BEFORE):
        return LEAD
    if _ends_with(before, DIRECTS):
        return None if has_lead else LEAD
    if before and before[-1] in BLOCKERS:
        return None
    if not _starts_clause(toks, run[0].first):
        return None
    if has_lead and any(after[: len(f)] == f for f in FOLLOW_UP):
        return None
    return LEAD


def _is_coordinating(before: tuple[str, ...]) -> bool:
    tail = before[-4:]
    if tail[-2:] == ("phoi", "hop"):
        return True
    if before[-1:] in (("voi",), ("cung",), ("cua",)) and "phoi" in tail:
        return True
    return before[-3:] == ("cung", "phoi", "hop")


def _ends_with(words: tuple[str, ...], cue: tuple[str, ...]) -> bool:
    return words[-len(cue) :] == cue


def _words_before(toks: Sequence[Token], index: int, count: int) -> tuple[str, ...]:
    found: list[str] = []
    position = index - 1
    while position >= 0 and len(found) < count and toks[position].key not in SENTENCE_ENDS:
        if toks[position].is_word:
            found.append(toks[position].key)
        position -= 1
    return tuple(reversed(found))


def _words_after(toks: Sequence[Token], index: int, count: int) -> tuple[str, ...]:
    found = [t.key for t in toks[index + 1 : index + 1 + count * 2] if t.is_word]
    return tuple(found[:count])


def _starts_clause(toks: Sequence[Token], index: int) -> bool:
    """A run opens a clause: at the sentence start, after punctuation or a person's title."""
    position = index - 1
    while position >= 0 and toks[position].key in SUBJECT_TITLES:
        position -= 1
    return position < 0 or toks[position].key in SENTENCE_ENDS | CLAUSE_STARTS


def _unknown(toks: Sequence[Token], text: str, known: list[Mention]) -> list[Mention]:
    """Unit phrases that match no unit: a capitalised head noun and the name after it."""
    covered = {i for m in known for i in range(m.first, m.last + 1)}
    found: list[Mention] = []
    index = 0
    while index < len(toks):
        end = None if index in covered else _unknown_end(toks, index, covered)
        if end is None:
            index += 1
            continue
        found.append(Mention(index, end, text[toks[index].start : toks[end].end], (), False))
        index = end + 1
    return found


def _unknown_end(toks: Sequence[Token], index: int, covered: set[int]) -> int | None:
    if not toks[index].is_word or not toks[index].capitalized:
        return None
    keys = [t.key for t in toks[index : index + 4]]
    head = next((h for h in UNIT_HEADS if tuple(keys[: len(h)]) == h), None)
    if head is None:
        return None
    position = index + len(head)
    if position < len(toks) and toks[position].key == "cac":  # "UBND các huyện, thành phố"
        position += 1
    if position >= len(toks) or not _names_start(toks[position]):
        return None
    while position + 1 < len(toks) and position - index < 10:
        step = _name_goes_on(toks, position + 1, covered)
        if not step:
            break
        position += step
    return position


def _name_goes_on(toks: Sequence[Token], index: int, covered: set[int]) -> int:
    """How many tokens the name of an unknown unit takes on (0: it ends here)."""
    token = toks[index]
    if token.key == "," and [t.key for t in toks[index + 1 : index + 3]] == ["thanh", "pho"]:
        return 3  # "các huyện, thành phố"
    if index in covered or not token.is_word:
        return 0
    if _after_place(toks, index) and not token.capitalized:
        return 0  # "Cục Quản lý thị trường tỉnh | thành lập ..."
    if token.key == "va":  # "Sở Tài nguyên và Môi trường", but not "Sở A và Cục B"
        after = [t.key for t in toks[index + 1 : index + 5]]
        starts_unit = any(tuple(after[: len(h)]) == h for h in UNIT_HEADS)
        capital = index + 1 < len(toks) and toks[index + 1].capitalized
        return 2 if capital and not starts_unit else 0
    if token.capitalized:
        return 1
    if token.key in STOPS:
        return 0
    following = toks[index + 1].key if index + 1 < len(toks) else ""
    return 0 if PAIR_STOPS.get(token.key) == following else 1


def _after_place(toks: Sequence[Token], index: int) -> bool:
    """Tell whether the token follows 'tỉnh', 'huyện', 'thành phố' or 'thị xã'."""
    before = [t.key for t in toks[max(0, index - 2) : index]]
    return before[-1:] in (["tinh"], ["huyen"]) or before in (["thanh", "pho"], ["thi", "xa"])


def _names_start(token: Token) -> bool:
    return token.is_word and (token.capitalized or token.key in PLACES)
