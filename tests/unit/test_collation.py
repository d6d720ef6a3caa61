"""Vietnamese order, against lists written by hand (not against the key itself)."""

from __future__ import annotations

import random

import pytest

from workflows.rules.collation import sort_key

NAMES = [
    "An", "Anh", "Ánh", "Ân", "Bình", "Chi", "Cường", "Dũng", "Dương", "Đạt", "Đức", "Giang",
    "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Hương", "Khánh", "Lan", "Long", "Minh", "Nam", "Ngọc",
    "Nhung", "Oanh", "Ông", "Phúc", "Quang", "Sơn", "Tâm", "Thảo", "Trang", "Tú", "Tư", "Uyên",
    "Ưng", "Vân", "Xuân", "Yến",
]  # fmt: skip
TONES = ["Ma", "Mà", "Mả", "Mã", "Má", "Mạ"]  # none, huyền, hỏi, ngã, sắc, nặng
UNITS = [
    "Ban Giám đốc Sở",
    "Chi cục Tiêu chuẩn Đo lường Chất lượng",
    "Đoàn thanh niên",
    "Phòng Kế hoạch - Tài chính",
    "Phòng Quản lý Khoa học",
    "Thanh tra Sở",
    "Trung tâm Ứng dụng tiến bộ khoa học",
    "UBND tỉnh Lạng Sơn",
    "Ủy ban nhân dân tỉnh",
    "Văn phòng Sở",
]


@pytest.mark.parametrize("expected", [NAMES, TONES, UNITS], ids=["names", "tones", "units"])
def test_shuffled_lists_come_back_in_dictionary_order(expected: list[str]) -> None:
    for seed in range(5):
        shuffled = expected[:]
        random.Random(seed).shuffle(shuffled)
        assert sorted(shuffled, key=sort_key) == expected


def test_each_neighbour_pair_on_its_own() -> None:
    for earlier, later in [("Dương", "Đạt"), ("Dũng", "Dương"), ("Tú", "Tư"), ("Ánh", "Ân")]:
        assert sort_key(earlier) < sort_key(later)
    assert sort_key("Uỷ ban") == sort_key("Ủy ban")  # both places of the tone mark
    assert sort_key("ủy ban") < sort_key("Ủy ban")  # only case apart: lower case first
