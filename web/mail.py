"""Mailing notifications over SMTP, in the reader's language, plain text and HTML."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask import Flask, render_template
from flask_babel import force_locale
from markupsafe import Markup

from workflows import MailJob


def smtp_sender(app: Flask, smtp_url: str, sender: str, base_url: str) -> Callable[[MailJob], None]:
    """Return a function that mails one notification through the server at `smtp_url`.

    `smtp://[user:password@]host[:port]` (STARTTLS when the URL ends in `?starttls=1`) or
    `smtps://...` (TLS from the start).
    """
    parts = urlsplit(smtp_url)
    host = parts.hostname
    if parts.scheme not in ("smtp", "smtps") or not host:
        raise ValueError("DONDOC_SMTP_URL must look like smtp://host:port")

    def send(job: MailJob) -> None:
        message = compose(app, job, sender, base_url)
        client_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
        with client_class(host, parts.port or 25, timeout=20) as client:
            if "starttls=1" in (parts.query or ""):
                client.starttls()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)

    return send


def compose(app: Flask, job: MailJob, sender: str, base_url: str) -> EmailMessage:
    """Build the mail of a notification in the recipient's language."""
    link = f"{base_url.rstrip('/')}/directives/{job.directive_id}" if job.directive_id else base_url
    with app.app_context(), app.test_request_context(), force_locale(job.language):
        # One line: a header with a line break in user text would make every retry fail.
        subject = " ".join(_plain(render_template("mail/subject.txt", job=job)).split())
        text = _plain(render_template("mail/notification.txt", job=job, link=link))
        html = render_template("mail/notification.html", job=job, link=link)
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, sender, job.to
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _plain(rendered: str) -> str:
    """Turn a template rendered with autoescape back into plain text for a text/plain part."""
    return Markup(rendered).unescape()
