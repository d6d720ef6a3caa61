"""Process diagram pages (admin): versions, the modeler, upload/export, publish, migration."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from web import context
from web.context import login_required
from web.forms import ConfirmForm, ModelUploadForm
from web.messages import problems_of, translate
from workflows import (
    InvalidInput,
    ModelRejected,
    NewerVersionSaved,
    form_titles,
    get_version,
    known_roles,
    latest_version_number,
    list_versions,
    migrate_directives,
    migration_plan,
    publish_version,
    save_version,
    version_xml,
)

bp = Blueprint("models", __name__, url_prefix="/admin/models")


@bp.before_request
@login_required
def only_admins() -> None:
    if not context.me().has("admin"):
        abort(403)


@bp.get("")
def index() -> str:
    versions = list_versions(context.db(), context.my_id())
    return render_template(
        "models/index.html", versions=versions, upload=ModelUploadForm(), confirm=ConfirmForm()
    )


@bp.get("/versions/<int:version_id>")
def version(version_id: int) -> str:
    view = get_version(context.db(), context.my_id(), version_id)
    return render_template("models/version.html", view=view, confirm=ConfirmForm())


@bp.get("/versions/<int:version_id>/bpmn")
def bpmn(version_id: int) -> Response:
    version, xml = version_xml(context.db(), context.my_id(), version_id)
    response = current_app.response_class(xml, mimetype="application/xml")
    if request.args.get("download"):
        name = f"{version.model_key}-v{version.number}.bpmn"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/edit")
@bp.get("/versions/<int:version_id>/edit")
def edit(version_id: int | None = None) -> str:
    version, _xml = version_xml(context.db(), context.my_id(), version_id)
    return render_template(
        "models/modeler.html",
        version=version,
        forms_json=json.dumps(_form_options(), ensure_ascii=False),
        roles_json=json.dumps(sorted(known_roles())),
        latest_number=latest_version_number(context.db(), context.my_id()),
    )


@bp.post("/versions")
def save() -> tuple[Response, int]:
    """Save the modeler's diagram (JSON {xml, comment}); answer 201 or 422 with the problems."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("xml"), str):
        return _json_error(400, "bad_request", _("Send the diagram as JSON {xml, comment}."))
    comment = payload.get("comment") if isinstance(payload.get("comment"), str) else ""
    base = payload.get("base") if type(payload.get("base")) is int else None
    try:
        saved = save_version(
            context.db(),
            context.my_id(),
            payload["xml"].encode("utf-8"),
            comment or "",
            based_on=None if payload.get("force") is True else base,
        )
    except NewerVersionSaved as exc:
        return _json_error(409, exc.code, translate(exc.message) + " " + _("Save anyway?"))
    except ModelRejected as exc:
        return _json_error(422, exc.code, _("The diagram is not valid."), _problems(exc))
    except InvalidInput as exc:
        message = "; ".join(problems_of(exc).values())
        return _json_error(422, exc.code, message)
    flash(_("Version %(number)s saved.", number=saved.number), "success")
    url = url_for("models.version", version_id=saved.id)
    return jsonify(version={"id": saved.id, "number": saved.number}, url=url), 201


@bp.post("/upload")
def upload() -> Response | tuple[str, int]:
    form = ModelUploadForm()
    problems: list[dict[str, Any]] = []
    if form.validate_on_submit():
        data = form.diagram.data.read()
        try:
            saved = save_version(context.db(), context.my_id(), data, form.comment.data or "")
        except ModelRejected as exc:
            problems = _problems(exc)
        except InvalidInput as exc:
            problems = [{"element": None, "message": m} for m in problems_of(exc).values()]
        else:
            flash(_("Version %(number)s saved from the file.", number=saved.number), "success")
            return redirect(url_for("models.version", version_id=saved.id))
    versions = list_versions(context.db(), context.my_id())
    page = render_template(
        "models/index.html",
        versions=versions,
        upload=form,
        confirm=ConfirmForm(),
        problems=problems,
    )
    return page, 422


@bp.route("/versions/<int:version_id>/publish", methods=["GET", "POST"])
def publish(version_id: int) -> Response | str:
    view = get_version(context.db(), context.my_id(), version_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        published = publish_version(context.db(), context.my_id(), version_id)
        flash(
            _(
                "Version %(number)s is published: new directives start on it.",
                number=published.number,
            ),
            "success",
        )
        return redirect(url_for("models.index"))
    return render_template("models/publish.html", view=view, confirm=form)


@bp.route("/versions/<int:version_id>/migrate", methods=["GET", "POST"])
def migrate(version_id: int) -> Response | str:
    view = get_version(context.db(), context.my_id(), version_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        chosen = [int(v) for v in request.form.getlist("directive") if v.isdigit()]
        try:
            outcome = migrate_directives(context.db(), context.my_id(), version_id, chosen)
        except InvalidInput as exc:
            flash("; ".join(problems_of(exc).values()), "danger")
            return redirect(url_for("models.migrate", version_id=version_id))
        flash(
            _(
                "%(moved)s directive(s) moved to version %(number)s; %(refused)s could not move.",
                moved=len(outcome.moved),
                number=view.version.number,
                refused=len(outcome.refused),
            ),
            "success" if not outcome.refused else "warning",
        )
        return redirect(url_for("models.migrate", version_id=version_id))
    plan = migration_plan(context.db(), context.my_id(), version_id)
    return render_template("models/migrate.html", view=view, plan=plan, confirm=form)


def _form_options() -> list[dict[str, str]]:
    return [
        {"key": key, "title": title}
        for key, title in form_titles(context.db(), context.my_id()).items()
    ]


def _problems(exc: ModelRejected) -> list[dict[str, Any]]:
    return [{"element": element, "message": message} for element, message in exc.problems]


def _json_error(
    status: int, code: str, message: str, problems: list[dict[str, Any]] | None = None
) -> tuple[Response, int]:
    details = {"problems": problems} if problems is not None else {}
    return jsonify(error={"code": code, "message": message, "details": details}), status
