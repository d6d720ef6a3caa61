"""The façade's process models: diagrams saved as immutable versions, one of them published."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine import models
from engine.specs import SpecCache
from engine.types import EngineLimits, ModelVersion
from engine.validation import ModelRules, check_model


class ModelFacade:
    """Save, publish and read the versions of process models (ProcessEngine's first half)."""

    specs: SpecCache
    limits: EngineLimits
    model_rules: ModelRules | None

    def save_model(
        self,
        session: Session,
        model_key: str,
        xml: bytes,
        *,
        author: str,
        comment: str = "",
        publish: bool = False,
        rules: ModelRules | None = None,
    ) -> ModelVersion:
        """Validate BPMN text (and the app's conventions) and store it as a new version.

        `rules` replaces the engine's default conventions for this save (e.g. forms added since).
        """
        rules = rules or self.model_rules
        if rules is not None:
            check_model(xml, rules, min_timer_seconds=self.limits.min_timer_seconds)
        return models.save_model(
            session, self.specs, model_key, xml, author=author, comment=comment, publish=publish
        )

    def publish_model(self, session: Session, version_id: int) -> ModelVersion:
        """Make a version the one new instances start on."""
        return models.publish_model(session, version_id)

    def published_model(self, session: Session, model_key: str) -> ModelVersion:
        """Return the published version of a model."""
        return models.published_model(session, model_key)

    def model_versions(self, session: Session, model_key: str) -> list[ModelVersion]:
        """List the versions of a model, newest first."""
        return models.model_versions(session, model_key)

    def model_xml(self, session: Session, version_id: int) -> bytes:
        """Return the BPMN text of a version."""
        return models.model_xml(session, version_id)

    def model_version(self, session: Session, version_id: int) -> ModelVersion:
        """Return one version by id."""
        return models.model_version(session, version_id)

    def latest_model(self, session: Session, model_key: str) -> ModelVersion | None:
        """Return the newest saved version of a model, published or not."""
        return models.latest_model(session, model_key)

    def model_texts(self, session: Session, containing: str = "") -> list[bytes]:
        """Return the BPMN text of every saved version (only those containing a text, if given)."""
        return models.model_texts(session, containing)
