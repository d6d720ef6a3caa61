"""The diagram pages speak the reader's language: lanes under the names people use, the
editor's palette, context pad and properties panel (bpmn-js' translate service), timer kinds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_directive_flow import sign_in
from tests.helpers import item_of
from tests.workflows.conftest import small_directive
from workflows import directives

VI = json.loads((Path(__file__).resolve().parents[2] / "web" / "assets" / "vi.json").read_text())
LANES_VI = {"Lãnh đạo Sở", "Trưởng đơn vị (ký duyệt)", "Đơn vị thực hiện", "Đơn vị chủ trì"}
LANE_TEXTS = """() => [...document.querySelectorAll(
  '.djs-element[data-element-id^="lane_"] text')].map(e => e.textContent.trim())"""
TEXTS = """() => [...document.querySelectorAll(
  '.djs-palette [aria-label], .djs-context-pad .entry[title]')]
  .map(e => e.title || e.getAttribute('aria-label')).concat(
  [...document.querySelectorAll('#properties .bio-properties-panel-group-header-title, '
   + '#properties .bio-properties-panel-label, #properties option')]
  .map(e => e.textContent.trim()))"""


HEADER = """() => (document.querySelector(
  '#properties .bio-properties-panel-header-type') || {}).textContent || ''"""
HEADERS_VI = {
    "assign": "Bước của người dùng",
    "lane_unit_head": "Làn",
    "report_overdue": "Sự kiện biên hẹn giờ (không ngắt)",
    "flow_sign_gw_accept": "Luồng",
}


def _select(page, element: str) -> None:
    """Select an element: a lane clicked on its title strip, not on what it holds."""
    target = page.locator(f'.djs-element[data-element-id="{element}"]').first
    if element.startswith("lane_"):
        box = target.bounding_box()
        assert box
        page.mouse.click(box["x"] + 12, box["y"] + box["height"] / 2)
    elif element.startswith("flow_"):  # a thin line: its label or a step may lie over its middle
        page.evaluate(
            "(id) => { const m = window.dondocModeler;"
            " m.get('selection').select(m.get('elementRegistry').get(id)); }",
            element,
        )
    else:
        target.click(force=True)
    page.wait_for_timeout(300)


def _english_left(texts: list[str]) -> list[str]:
    return sorted({t for t in texts if t in VI and VI[t] != t})


@pytest.mark.e2e
def test_the_editor_and_the_instance_view_speak_vietnamese(
    browser, live_server: LiveServer, passwords, db, users, today
) -> None:
    admin = sign_in(browser, live_server, "admin", passwords["admin"])  # in Vietnamese
    page = admin.page
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(f"{live_server.url}/admin/models/edit")
    page.wait_for_selector("#modeler[data-ready=true]")
    lanes = set(page.evaluate(LANE_TEXTS))
    assert lanes >= LANES_VI
    assert not {"supervisor", "unit", "lead_unit", "unit_head"} & lanes
    seen: list[str] = []
    headers: dict[str, str] = {}
    for element in HEADERS_VI:
        _select(page, element)
        headers[element] = page.evaluate(HEADER).strip()
        seen += [*page.evaluate(TEXTS), headers[element]]
        admin.shot(f"panel-{element}")
    assert headers == HEADERS_VI  # the panel's header names the element's kind in Vietnamese
    assert "Loại hẹn giờ" in seen  # the timer group's kind, not "Loại đơn vị"
    assert "Vào một ngày giờ" in seen
    assert "Chung" in seen
    assert "Kéo sơ đồ" in seen  # the palette's hand tool
    assert _english_left(seen) == []
    assert not [t for t in seen if re.fullmatch(r"(General|Name|Documentation|Timer)", t)]
    _the_instance_view_speaks_vietnamese(browser, live_server, passwords, db, users, today)


def _the_instance_view_speaks_vietnamese(browser, live_server, passwords, db, users, today):
    """A directive's page: lanes under their Vietnamese names, the version caption translated."""
    directive_id = directives.create_directive(db, users["vanthu"], small_directive(today))
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    leader = sign_in(browser, live_server, "giamdoc", passwords["giamdoc"])
    page = leader.page
    page.goto(f"{live_server.url}/directives/{directive_id}")
    page.wait_for_selector("#instance-view[data-ready=true]")
    lanes = set(page.evaluate(LANE_TEXTS))
    assert lanes >= LANES_VI
    assert not {"supervisor", "unit", "lead_unit", "unit_head"} & lanes
    caption = page.locator("#instance-view .dd-version").inner_text()
    assert caption.startswith("Quy trình phiên bản "), caption
    assert page.locator(".dd-load-error").count() == 0
    page.locator("#instance-view").scroll_into_view_if_needed()
    leader.shot("instance-view")
