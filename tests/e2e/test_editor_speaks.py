"""The diagram pages speak the reader's language: lanes under the names people use, the
editor's palette, context pad and properties panel (bpmn-js' translate service), timer kinds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_directive_flow import sign_in

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


def _english_left(texts: list[str]) -> list[str]:
    return sorted({t for t in texts if t in VI and VI[t] != t})


@pytest.mark.e2e
def test_the_editor_and_the_instance_view_speak_vietnamese(
    browser, live_server: LiveServer, passwords
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
    for element in ("assign", "lane_unit_head", "report_overdue", "flow_sign_gw_accept"):
        page.locator(f'.djs-element[data-element-id="{element}"]').first.click(force=True)
        page.wait_for_timeout(300)
        seen += page.evaluate(TEXTS)
        admin.shot(f"panel-{element}")
    assert "Loại hẹn giờ" in seen  # the timer group's kind, not "Loại đơn vị"
    assert "Vào một ngày giờ" in seen
    pass
    assert "Chung" in seen
    assert "Kéo sơ đồ" in seen  # the palette's hand tool
    assert _english_left(seen) == []
    assert not [t for t in seen if re.fullmatch(r"(General|Name|Documentation|Timer)", t)]
