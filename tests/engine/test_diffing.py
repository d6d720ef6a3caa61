"""A readable diff between two versions of the directive diagram, element by element."""

from __future__ import annotations

from typing import Any

import pytest

from engine import ModelInvalid, diff_models
from tests.engine import variants
from tests.engine.variants import BPMN, SPIFF, by_id

ORIGINAL = variants.original()


def changes_of(diff: Any) -> dict[str, tuple[str, ...]]:
    return {element.id: element.changes for element in diff.changed}


def test_the_same_text_has_no_difference() -> None:
    diff = diff_models(ORIGINAL, ORIGINAL)
    assert (diff.added, diff.removed, diff.changed, diff.layout_only) == ((), (), (), False)


def test_moving_a_shape_is_layout_only() -> None:
    diff = diff_models(ORIGINAL, variants.moved("report", 40))
    assert (diff.added, diff.removed, diff.changed) == ((), (), ())
    assert diff.layout_only


def test_an_inserted_step_is_added_with_its_flow_and_rewires_the_old_one() -> None:
    diff = diff_models(ORIGINAL, variants.with_legal_review())
    assert [(e.id, e.kind, e.name) for e in diff.added] == [
        ("legal_review", "userTask", "Thẩm định / Review"),
        ("flow_legal_review_accept", "sequenceFlow", ""),
    ]
    assert diff.removed == ()
    assert changes_of(diff) == {"flow_report_sign_gw": ("target: 'sign_gw' → 'legal_review'",)}
    assert not diff.layout_only


def test_a_removed_step_takes_its_timers_and_flows_along() -> None:
    diff = diff_models(ORIGINAL, variants.without_contribute())
    assert {(e.id, e.kind) for e in diff.removed} == {
        ("contribute", "userTask"),
        ("contribute_reminder", "boundaryEvent"),
        ("contribute_overdue", "boundaryEvent"),
        ("contribute_reminded", "endEvent"),
        ("contribute_escalated", "endEvent"),
        ("flow_contribute_coord_sign_gw", "sequenceFlow"),
        ("flow_contribute_reminder", "sequenceFlow"),
        ("flow_contribute_overdue", "sequenceFlow"),
    }
    assert changes_of(diff) == {
        "flow_contribute_merge_contribute": ("target: 'contribute' → 'coord_sign_gw'",)
    }
    assert diff.layout_changed  # the removed shapes went with them


def test_a_rename_is_a_name_change() -> None:
    diff = diff_models(ORIGINAL, variants.renamed("report", "Báo cáo"))
    (element,) = diff.changed
    assert (element.id, element.kind, element.name) == ("report", "userTask", "Báo cáo")
    assert element.changes == ("name: 'Báo cáo kết quả / Report' → 'Báo cáo'",)


def _reworked(root: Any) -> None:
    """Change one thing of each kind the diff reports."""
    by_id(root, "lane_supervisor").append(by_id(root, "lane_unit").find(f"{{{BPMN}}}flowNodeRef"))
    (form,) = by_id(root, "report").iter(f"{{{SPIFF}}}property")
    form.set("value", "report_v2")
    (post,) = by_id(root, "accept").iter(f"{{{SPIFF}}}postScript")
    post.text = "result = {}"
    by_id(root, "next_cycle").find(f"{{{BPMN}}}script").text = "cycle = 0"
    by_id(root, "flow_role_lead").find(f"{{{BPMN}}}conditionExpression").text = "True"
    timer = by_id(root, "report_overdue_timer").find(f"{{{BPMN}}}timeDate")
    timer.text = 'assignment["due_at"]'
    by_id(root, "report_reminder").set("attachedToRef", "execute")
    by_id(root, "flow_cycle_done").set("sourceRef", "accepted_gw")


def test_each_kind_of_change_is_named() -> None:
    found = changes_of(diff_models(ORIGINAL, variants.edited(_reworked)))

    assert found["unit_start"] == ("lane: 'unit' → 'supervisor'",)
    assert found["report"] == ("property form: 'report' → 'report_v2'",)
    assert found["accept"] == ("postScript changed",)
    assert found["next_cycle"] == ("script changed",)
    assert found["flow_role_lead"] == ("condition: 'assignment[\"role\"] == \"lead\"' → 'True'",)
    assert found["report_overdue"] == (
        """timer: 'timeDate assignment["due_at"] or "9999-12-31T00:00:00+00:00"' """
        """→ 'timeDate assignment["due_at"]'""",
    )
    assert found["report_reminder"] == ("attached to: 'report' → 'execute'",)
    assert found["flow_cycle_done"] == ("source: 'cycle_gw' → 'accepted_gw'",)


def test_a_new_type_and_a_removed_property_are_reported() -> None:
    def change(root: Any) -> None:
        report = by_id(root, "report")
        report.tag = f"{{{BPMN}}}manualTask"
        report.remove(report.find(f"{{{BPMN}}}extensionElements"))

    (element,) = diff_models(ORIGINAL, variants.edited(change)).changed
    assert element.kind == "manualTask"
    assert element.changes == (
        "type: 'userTask' → 'manualTask'",
        "property form removed (was 'report')",
    )


def test_unsafe_text_is_refused() -> None:
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(ModelInvalid):
        diff_models(ORIGINAL, bomb)


def test_restating_or_dropping_a_default_attribute_is_not_a_change() -> None:
    """bpmn-js writes `<multiInstanceLoopCharacteristics>` without `isSequential="false"`."""
    dropped = variants.original().replace(b' isSequential="false"', b"", 1)
    assert dropped != variants.original()
    diff = diff_models(variants.original(), dropped)
    assert diff.changed == ()
    sequential = variants.original().replace(b'isSequential="false"', b'isSequential="true"', 1)
    (changed,) = diff_models(variants.original(), sequential).changed
    assert changed.id == "unit_work"
