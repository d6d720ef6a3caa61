"""Process model versions: safe parsing, validation, numbering, publishing."""

from __future__ import annotations

import pytest

from engine import ModelInvalid, ModelNotFound, ProcessEngine
from engine.specs import MAX_BPMN_BYTES, sha256_of
from tests.engine.conftest import BPMN, RULES

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="true"><bpmn:documentation>&x;</bpmn:documentation>
  </bpmn:process></bpmn:definitions>"""
XXE_NETWORK = XXE_FILE.replace(b"file:///etc/passwd", b"http://127.0.0.1:9/evil")
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<lolz>&lol3;</lolz>"""
NOT_BPMN = b"<?xml version='1.0'?><html><body>hello</body></html>"
MALFORMED = b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>"
INVALID_SCHEMA = b"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" bogus="1"><bpmn:nonsense/>
  </bpmn:startEvent></bpmn:process></bpmn:definitions>"""


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (XXE_FILE, "DOCTYPE"),
        (XXE_NETWORK, "DOCTYPE"),
        (BILLION_LAUGHS, "DOCTYPE"),
        (NOT_BPMN, "no BPMN process"),
        (MALFORMED, "not well-formed"),
        (INVALID_SCHEMA, ""),
        (b" " * (MAX_BPMN_BYTES + 1), "limit"),
    ],
    ids=["xxe-file", "xxe-network", "billion-laughs", "not-bpmn", "malformed", "xsd", "too-big"],
)
def test_hostile_or_broken_models_are_refused_and_nothing_saved(
    sessions, processes, xml: bytes, expected: str
) -> None:
    with sessions() as session:
        before = processes.model_versions(session, "directive")
        with pytest.raises(ModelInvalid) as caught:
            processes.save_model(session, "directive", xml, author="mallory")
        session.rollback()
        assert expected in str(caught.value)
        assert "root:" not in str(caught.value)
        assert processes.model_versions(session, "directive") == before


def test_versions_are_numbered_and_one_is_published(sessions, processes) -> None:
    xml = BPMN.read_bytes()
    changed = xml.replace(b"Giao nhi\xe1\xbb\x87m v\xe1\xbb\xa5", b"Giao vi\xe1\xbb\x87c", 1)
    with sessions() as session:
        second = processes.save_model(session, "directive", changed, author="admin", comment="c")
        assert (second.number, second.published, second.sha256) == (2, False, sha256_of(changed))
        assert processes.published_model(session, "directive").number == 1
        processes.publish_model(session, second.id)
        session.commit()
    with sessions() as session:
        versions = processes.model_versions(session, "directive")
        assert [(v.number, v.published) for v in versions] == [(2, True), (1, False)]
        assert processes.model_xml(session, second.id) == changed


def test_instances_keep_the_version_they_started_on(sessions, processes) -> None:
    xml = BPMN.read_bytes()
    with sessions() as session:
        old = processes.start(session, "directive", {})
        renamed = xml.replace(b'name="Giao nhi', b'name="(v2) Giao nhi', 1)
        processes.save_model(session, "directive", renamed, author="admin", publish=True)
        new = processes.start(session, "directive", {})
        session.commit()
    assert old.ready[0].title.startswith("Giao")
    assert new.ready[0].title.startswith("(v2)")


def test_an_unknown_model_cannot_start(sessions) -> None:
    with sessions() as session, pytest.raises(ModelNotFound):
        ProcessEngine(RULES).start(session, "nothing", {})
