"""Flask-WTF forms: they parse and check what a page posts; the domain checks the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

if TYPE_CHECKING:
    # WTForms 3.3 and Flask-WTF ship no type hints: declare the part of their forms we use.

    class Form:
        """A WTForms form: its fields are attributes, also reachable by name."""

        errors: dict[str, Any]

        def __init__(self, formdata: Any = ..., **kwargs: Any) -> None: ...
        def __contains__(self, name: str) -> bool: ...
        def __getitem__(self, name: str) -> Any: ...
        def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool: ...

    class FlaskForm(Form):
        """A WTForms form that reads the request and checks its CSRF token."""

        def validate_on_submit(
            self, extra_validators: Mapping[str, Sequence[Any]] | None = None
        ) -> bool: ...

else:
    from flask_wtf import FlaskForm as _FlaskForm
    from wtforms import Form as _Form

    from web.wtforms_i18n import TRANSLATIONS

    class FlaskForm(_FlaskForm):
        """Flask-WTF's form, its built-in messages in the reader's language (our catalogues)."""

        class Meta:
            def get_translations(self, form):
                return TRANSLATIONS

    class Form(_Form):
        """A WTForms sub-form, its built-in messages in the reader's language."""

        class Meta:
            def get_translations(self, form):
                return TRANSLATIONS


def options(pairs: list[tuple[str, Any]]) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


KIND_CHOICES = [
    ("chi_thi", _l("Directive (Chỉ thị)")),
    ("ke_hoach", _l("Plan (Kế hoạch)")),
    ("cong_van", _l("Official letter (Công văn)")),
    ("thong_bao_ket_luan", _l("Notice of conclusions (Thông báo kết luận)")),
    ("quyet_dinh", _l("Decision (Quyết định)")),
    ("khac", _l("Other")),
]
ROLE_CHOICES = [
    ("unit_staff", _l("Officer")),
    ("deputy_head", _l("Deputy head of unit")),
    ("unit_head", _l("Head of unit")),
    ("clerk", _l("Records clerk")),
    ("supervisor", _l("Leader")),
    ("director", _l("Director (acts on every unit)")),
    ("admin", _l("Administrator")),
]


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class TaskForm(Form):
    """One task row of the directive form (a sub-form: the parent carries the CSRF token)."""

    content = TextAreaField(_l("Task"), validators=[DataRequired(), Length(max=5000)])
    lead_units = SelectMultipleField(_l("Lead units"), choices=[], validate_choice=False)
    coordinating_units = SelectMultipleField(
        _l("Coordinating units"), choices=[], validate_choice=False
    )
    due_on = DateField(_l("Deadline"), validators=[Optional()])
    reporting = SelectField(
        _l("Reporting"),
        choices=options(
            [("once", _l("once")), ("monthly", _l("monthly")), ("quarterly", _l("quarterly"))]
        ),
        default="once",
    )
    reporting_until = DateField(_l("Report until"), validators=[Optional()])
    instruction = TextAreaField(
        _l("Leader's instruction for this task"), validators=[Optional(), Length(max=5000)]
    )


class DirectiveForm(FlaskForm):
    number = StringField(_l("Number and code"), validators=[DataRequired(), Length(max=64)])
    kind = SelectField(_l("Document type"), choices=options(KIND_CHOICES))
    issuer = StringField(_l("Issuing body"), validators=[DataRequired(), Length(max=255)])
    issued_on = DateField(_l("Issue date"), validators=[InputRequired()])
    title = StringField(_l("Subject"), validators=[DataRequired(), Length(max=500)])
    body = TextAreaField(_l("Text"), validators=[Optional(), Length(max=100_000)])
    tasks = FieldList(FormField(TaskForm), min_entries=1, max_entries=200)
    attachments = MultipleFileField(_l("Attachments"))


class AssignForm(FlaskForm):
    instruction = TextAreaField(
        _l("Leader's instruction to every unit"), validators=[Optional(), Length(max=5000)]
    )
    tasks = FieldList(FormField(TaskForm), min_entries=1, max_entries=200)


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Progress note"), validators=[Optional(), Length(max=20_000)])


class ReportForm(FlaskForm):
    text = TextAreaField(_l("Result"), validators=[DataRequired(), Length(max=20_000)])
    attachments = MultipleFileField(_l("Evidence files"))
    keep = SelectMultipleField(_l("Files of the previous round"), choices=[], validate_choice=False)
    confirm = BooleanField(_l("Report before every coordinating unit has contributed"))


class SignOffForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=options(
            [("accept", _l("Sign off and send it on")), ("return", _l("Back to the officer"))]
        ),
        validators=[InputRequired()],
    )
    text = TextAreaField(_l("Text sent on"), validators=[Optional(), Length(max=20_000)])
    comment = TextAreaField(_l("Comment / reason"), validators=[Optional(), Length(max=20_000)])
    attachments = MultipleFileField(_l("Evidence files"))


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=options([("accept", _l("Accept")), ("return", _l("Return"))]),
        validators=[InputRequired()],
    )
    comment = TextAreaField(_l("Comment / reason"), validators=[Optional(), Length(max=20_000)])


class HandOverForm(FlaskForm):
    assignee = SelectField(_l("Hand to"), choices=[], validate_choice=False)


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=5000)])


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[Optional(), Length(max=64)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=255)])
    title = StringField(_l("Job title"), validators=[Optional(), Length(max=100)])
    unit = SelectField(_l("Unit"), choices=[], validate_choice=False)
    roles = SelectMultipleField(_l("Roles"), choices=options(ROLE_CHOICES))
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=320)])
    language = SelectField(
        _l("Language"),
        choices=options([("vi", "Tiếng Việt"), ("en", "English")]),  # each in its own language
        default="vi",
    )
    active = BooleanField(_l("Active"), default=True)


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[Optional(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=255)])
    kind = SelectField(
        _l("Kind"),
        choices=options(
            [
                ("division", _l("Division")),
                ("office", _l("Office")),
                ("inspectorate", _l("Inspectorate")),
                ("sub_department", _l("Sub-department")),
                ("centre", _l("Centre")),
                ("leadership", _l("Leadership")),
            ]
        ),
    )
    parent = SelectField(_l("Parent unit"), choices=[], validate_choice=False)
    leader = SelectField(_l("Leader in charge"), choices=[], validate_choice=False)
    any_officer_drafts = BooleanField(_l("Any officer may draft the unit's reports"))
    aliases = TextAreaField(_l("Other names"), validators=[Optional(), Length(max=8_000)])
    active = BooleanField(_l("Active"), default=True)


class LanguageForm(FlaskForm):
    language = HiddenField(validators=[DataRequired()])
    back = HiddenField()


class ExtensionRequestForm(FlaskForm):
    proposed_due_on = DateField(_l("Proposed deadline"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=5000)])


class DelegationForm(FlaskForm):
    deputy = SelectField(_l("Deputy"), choices=[], validate_choice=False)
    starts_on = DateField(_l("From"), validators=[InputRequired()])
    ends_on = DateField(_l("Until"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class ExtensionDecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=options([("grant", _l("Grant")), ("refuse", _l("Refuse"))]),
        validators=[InputRequired()],
    )
    due_on = DateField(_l("Granted deadline"), validators=[Optional()])
    reason = TextAreaField(_l("Comment / reason"), validators=[Optional(), Length(max=5000)])


class CalendarDayForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    kind = SelectField(
        _l("Declare it"),
        choices=options(
            [
                ("off", _l("a day off")),
                ("work", _l("a make-up working day")),
                ("clear", _l("as usual (remove the declaration)")),
            ]
        ),
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=255)])


class ModelUploadForm(FlaskForm):
    diagram = FileField(_l("BPMN file"), validators=[FileRequired()])
    comment = StringField(_l("What changed"), validators=[Optional(), Length(max=1000)])


class TemplateForm(FlaskForm):
    name = StringField(_l("Template name"), validators=[DataRequired(), Length(max=255)])


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (publish, migrate)."""
