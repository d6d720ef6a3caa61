"""Recognising the organisation's units in a text: names, codes, aliases, abbreviations, groups.

Every unit gets a set of *variants* (word sequences, folded): its name, its aliases, the name
without a trailing "Sở", the head noun abbreviated ("Văn phòng" → "VP"), the rest abbreviated
by the initials of its syllables ("Kế hoạch - Tài chính" → "KH-TC", "KHTC") or of its
two-syllable words ("Tiêu chuẩn Đo lường Chất lượng" → "TĐC"), and prefixes of the name that
only one unit has. A variant two units share is dropped, unless one unit has it as its name or
an alias. Group phrases ("các phòng chuyên môn") stand for every unit of some kinds. The
department itself and its leadership are recognised only to be ignored.

Matching walks the words once, taking the longest variant at each place (a trie), so its
cost is linear in the length of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workflows.rules.importing.text import Token, fold_in_place, words

OFFICES = frozenset({"office", "inspectorate", "division"})
DEPENDENT = frozenset({"sub_department", "centre"})
HEADS: dict[tuple[str, ...], str] = {
    ("van", "phong"): "vp",
    ("thanh", "tra"): "ttr",
    ("chi", "cuc"): "cc",
    ("trung", "tam"): "tt",
    ("uy", "ban", "nhan", "dan"): "ubnd",
    ("phong",): "",
    ("ban",): "",
    ("so",): "",
    ("cuc",): "",
    ("vien",): "",
    ("doi",): "",
}
# Phrases that address several units at once, and the kinds of unit they stand for.
GROUPS: dict[str, frozenset[str]] = {
    "cac phong chuyen mon": OFFICES,
    "cac phong chuyen mon thuoc so": OFFICES,
    "cac phong chuyen mon truc thuoc so": OFFICES,
    "cac phong chuyen mon don vi truc thuoc so": OFFICES | DEPENDENT,
    "cac phong chuyen mon don vi thuoc so": OFFICES | DEPENDENT,
    "cac phong nghiep vu": OFFICES,
    "cac phong thuoc so": OFFICES,
    "cac don vi truc thuoc": DEPENDENT,
    "cac don vi truc thuoc so": DEPENDENT,
    "cac don vi thuoc so": DEPENDENT,
    "cac don vi su nghiep": DEPENDENT,
    "cac don vi su nghiep truc thuoc so": DEPENDENT,
    "cac chi cuc": frozenset({"sub_department"}),
    "cac trung tam": frozenset({"centre"}),
    "cac phong don vi": OFFICES | DEPENDENT,
    "cac phong don vi thuoc so": OFFICES | DEPENDENT,
    "cac phong don vi truc thuoc so": OFFICES | DEPENDENT,
    "cac phong ban don vi": OFFICES | DEPENDENT,
    "cac phong ban don vi thuoc so": OFFICES | DEPENDENT,
    "cac phong ban": OFFICES,
    "cac co quan don vi thuoc so": OFFICES | DEPENDENT,
    "toan the cac phong don vi": OFFICES | DEPENDENT,
}
# Ways a text names the department's own leadership: never a unit to give a task to.
LEADERSHIP = ("lanh dao so", "ban giam doc", "ban giam doc so", "giam doc so", "lanh dao")
_PLACE = re.compile(r"\s+(?:tinh|thanh pho|huyen|thi xa)\s+\S.*$")
_SEPARATORS = re.compile(r"\s*(?:[-–,&/]|\bva\b)\s*")


@dataclass(frozen=True)
class UnitEntry:
    """A unit the text may name: its code, name, kind and the aliases an administrator gave."""

    code: str
    name: str
    kind: str = "division"
    aliases: tuple[str, ...] = ()
    addressable: bool = True  # False for the department itself and its leadership


@dataclass(frozen=True)
class Registry:
    """The units of an organisation and the group phrases it uses."""

    units: tuple[UnitEntry, ...]
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def name_of(self, code: str) -> str:
        """Return the name of a unit by its code."""
        return next((u.name for u in self.units if u.code == code), code)


@dataclass(frozen=True)
class Mention:
    """Units named at one place of a text: `codes` (none when ignored or unknown), as written."""

    first: int  # index of the first token
    last: int  # index of the last token
    written: str
    codes: tuple[str, ...]
    known: bool = True  # False: a unit phrase that matches no unit of the registry
    ignored: bool = False  # the department itself or its leadership


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    target: tuple[int, tuple[str, ...], bool] | None = None  # (priority, codes, ignored)


class Matcher:
    """A trie of every variant of every unit, group and ignored name."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.root = _Node()
        self.longest = 1
        self.codes = {u.code.lower(): u.code for u in registry.units if u.addressable}
        candidates: dict[tuple[str, ...], dict[tuple[str, ...], int]] = {}
        for unit in registry.units:
            for key, priority in _unit_variants(unit):
                seen = candidates.setdefault(key, {})
                seen[(unit.code,)] = max(priority, seen.get((unit.code,), 0))
        self._add_groups(registry, candidates)
        for key, targets in candidates.items():
            self._insert(key, targets, registry)

    def _add_groups(
        self, registry: Registry, candidates: dict[tuple[str, ...], dict[tuple[str, ...], int]]
    ) -> None:
        addressable = [u for u in registry.units if u.addressable]
        phrases = {p: tuple(u.code for u in addressable if u.kind in k) for p, k in GROUPS.items()}
        phrases.update({fold_in_place(p): tuple(codes) for p, codes in registry.groups.items()})
        for phrase, codes in phrases.items():
            if codes:
                candidates.setdefault(words(phrase), {})[codes] = 9
        for phrase in LEADERSHIP:
            candidates.setdefault(words(phrase), {})[()] = 9

    def _insert(
        self, key: tuple[str, ...], targets: Mapping[tuple[str, ...], int], registry: Registry
    ) -> None:
        best = max(targets.values())
        winners = [codes for codes, priority in targets.items() if priority == best]
        if len(winners) > 1:
            return  # two units share this variant equally: it names neither
        codes = winners[0]
        ignored = not codes or not all(self._addressable(registry, code) for code in codes)
        node = self.root
        for word in key:
            node = node.children.setdefault(word, _Node())
        node.target = (best, () if ignored else codes, ignored)
        self.longest = max(self.longest, len(key))

    @staticmethod
    def _addressable(registry: Registry, code: str) -> bool:
        return any(u.code == code and u.addressable for u in registry.units)

    def find(self, toks: Sequence[Token], text: str) -> list[Mention]:
        """Return the units named in the tokens of text, the longest at each place, in order."""
        found: list[Mention] = []
        index = 0
        while index < len(toks):
            mention = self._longest_at(toks, index, text) or self._code_at(toks, index)
            if mention is None:
                index += 1
                continue
            found.append(mention)
            index = mention.last + 1
        return found

    def _longest_at(self, toks: Sequence[Token], index: int, text: str) -> Mention | None:
        node, best, last = self.root, None, index
        position = index
        while position < len(toks):
            token = toks[position]
            if not token.is_word:
                if token.key != "," or best is None and position == index:
                    break
                position += 1  # a comma may sit inside a unit's name
                continue
            child = node.children.get(token.key)
            if child is None:
                break
            node = child
            if node.target is not None:
                best, last = node.target, position
            position += 1
        if best is None:
            return None
        written = text[toks[index].start : toks[last].end]
        return Mention(index, last, written, best[1], True, best[2])

    def _code_at(self, toks: Sequence[Token], index: int) -> Mention | None:
        token = toks[index]
        code = self.codes.get(token.key)
        if code is None or not token.is_word or not token.text.isupper() or len(token.text) < 2:
            return None
        return Mention(index, index, token.text, (code,))


def _unit_variants(unit: UnitEntry) -> Iterable[tuple[tuple[str, ...], int]]:
    """Yield (variant, priority): 8 for the name and aliases, lower for generated ones."""
    names = [unit.name, *unit.aliases]
    for name in names:
        key = words(name)
        if key:
            yield key, 8
        yield from _generated(fold_in_place(name))
    yield (unit.code.lower(),), 3


def _generated(folded_name: str) -> Iterable[tuple[tuple[str, ...], int]]:
    local = _PLACE.sub("", folded_name)
    if local != folded_name and words(local):
        yield words(local), 7
        yield from _generated(local)
        return
    full = words(folded_name)
    head = next((h for h in sorted(HEADS, key=len, reverse=True) if full[: len(h)] == h), None)
    if head is None:
        return
    rest_text = " ".join(folded_name.split()[len(head) :])
    rest = full[len(head) :]
    heads = [head] + ([(HEADS[head],)] if HEADS[head] else [])
    rests: list[tuple[tuple[str, ...], int]] = [(rest, 7)]
    if rest[-1:] == ("so",):
        rests.append((rest[:-1], 6))
    rests += [(abbr, 6) for abbr in _abbreviations(rest_text)]
    rests += [(rest[:k], 4) for k in range(2, len(rest))]
    for shape in heads:
        for tail, priority in rests:
            if shape + tail != full and (tail or len(shape) > 1 or shape[0] not in ("so",)):
                yield shape + tail, priority - (shape is not head)


def _abbreviations(rest_text: str) -> Iterable[tuple[str, ...]]:
    """Initials of the syllables of each part, and of the two-syllable words of one part."""
    parts = [words(part) for part in _SEPARATORS.split(rest_text) if words(part)]
    if not parts or sum(len(p) for p in parts) < 2:
        return
    per_syllable = ["".join(w[0] for w in part) for part in parts]
    yield ("".join(per_syllable),)
    if len(parts) > 1:
        yield tuple(per_syllable)
    if len(parts) == 1 and len(parts[0]) >= 4 and len(parts[0]) % 2 == 0:
        pairs = [parts[0][i : i + 2] for i in range(0, len(parts[0]), 2)]
        yield ("".join(p[0][0] for p in pairs),)
        yield tuple(p[0][0] + p[1][0] for p in pairs)


def registry_from_org(data: Mapping[str, Any]) -> Registry:
    """Build a registry from an organisation file shaped like setup/data/org.json.

    `units` hold `code`, `name`, optional `kind` and `aliases`; an `aliases` map by code and
    `groups` (phrase → codes) at the top level are read too; the `organisation` itself, and
    units of kind `leadership`, are recognised only to be ignored.
    """
    aliases = data.get("aliases") or {}
    units = [
        UnitEntry(
            code=str(unit["code"]),
            name=str(unit["name"]),
            kind=str(unit.get("kind", "division")),
            aliases=tuple(map(str, unit.get("aliases") or aliases.get(unit["code"]) or ())),
            addressable=unit.get("kind") != "leadership",
        )
        for unit in data.get("units") or ()
    ]
    root = data.get("organisation")
    if isinstance(root, Mapping) and root.get("name"):
        units.append(
            UnitEntry(str(root.get("code", "")), str(root["name"]), "department", (), False)
        )
    groups = {str(k): tuple(map(str, v)) for k, v in (data.get("groups") or {}).items()}
    return Registry(tuple(units), groups)
