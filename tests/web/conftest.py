"""Web tests reuse the domain fixtures (directives entered and assigned)."""

from tests.workflows.conftest import assigned_small, assigned_tet  # noqa: F401 - fixtures
