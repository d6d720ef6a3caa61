"""WTForms' own messages ("This field is required.") in the reader's language.

WTForms ships no Vietnamese catalogue, so its messages are listed here for extraction into
ours, and the forms (web/forms.py) translate them with Flask-Babel like every other text.
"""

from __future__ import annotations

from flask_babel import get_translations, gettext, ngettext


class _Translations:
    """The gettext/ngettext pair WTForms asks a form's Meta for (WTForms fills the values)."""

    def gettext(self, string: str) -> str:
        return str(get_translations().gettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ngettext(singular, plural, n))


TRANSLATIONS = _Translations()


def _catalogue() -> None:  # pragma: no cover - never called: marks WTForms' texts for extraction
    gettext("This field is required.")
    gettext("Not a valid date value.")
    gettext("Not a valid datetime value.")
    gettext("Not a valid time value.")
    gettext("Not a valid integer value.")
    gettext("Not a valid decimal value.")
    gettext("Not a valid float value.")
    gettext("Not a valid choice.")
    gettext("Invalid Choice: could not coerce.")
    gettext("Invalid input.")
    gettext("Invalid email address.")
    gettext("Field must be between %(min)d and %(max)d characters long.")
    ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    )
    ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    )
    ngettext(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
        1,
    )
    gettext("File does not have an approved extension.")
