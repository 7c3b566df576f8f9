"""Outgoing messages: HMAC-signed webhooks and SMTP e-mail."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from review.services import notifications, webhooks
from workflows.errors import PermanentJobError, TransientJobError

if TYPE_CHECKING:
    from review.db import Database
    from workflows.context import JobContext

log = logging.getLogger(__name__)
WEBHOOK_TIMEOUT = 10


def sign(secret: str, body: bytes) -> str:
    """The X-Kepu-Signature value: sha256=<hex HMAC of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def fan_out_webhooks(ctx: JobContext, event_id: int) -> int:
    return webhooks.fan_out(ctx.db, event_id)


def deliver_webhook(ctx: JobContext, subscription_id: int, event_id: int) -> int:
    """POST one signed event to one subscriber; non-2xx or network errors are retried."""
    url, secret, payload = webhooks.delivery(ctx.db, subscription_id, event_id)
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "kepu-review-webhook/1",
            "X-Kepu-Event": payload["event"],
            "X-Kepu-Delivery": payload["id"],
            "X-Kepu-Signature": sign(secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code in (400, 401, 403, 404, 410, 422):
            raise PermanentJobError(f"webhook {url} refused the delivery: HTTP {exc.code}") from exc
        raise TransientJobError(f"webhook {url} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise TransientJobError(f"webhook {url} unreachable: {exc}") from exc


def email_message(mail_from: str, recipient: str, text: str) -> EmailMessage:
    """A plain-text notice; the subject is the message's first line, without line breaks."""
    first_line = " ".join(text.split())[:40]
    message = EmailMessage()
    message["From"], message["To"] = mail_from, recipient
    message["Subject"] = "【科普审核】" + first_line
    message.set_content(text)
    return message


def send_pending_emails(db: Database, smtp_url: str, mail_from: str) -> int:
    """E-mail notifications not yet sent; each is marked after its own send. A notice that
    cannot be sent to its address (bad header, recipient refused) is marked and logged, so it
    never blocks the others."""
    pending = notifications.pending_emails(db)
    if not pending:
        return 0
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtp+starttls", "smtps"):
        raise PermanentJobError(f"KEPU_SMTP_URL 的协议不受支持：{parts.scheme}")
    cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    sent = 0
    try:
        with cls(parts.hostname or "localhost", parts.port or 25, timeout=15) as smtp:
            if parts.scheme == "smtp+starttls":
                smtp.starttls()
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            for notification_id, recipient, text in pending:
                try:
                    smtp.send_message(email_message(mail_from, recipient, text))
                    sent += 1
                except (ValueError, smtplib.SMTPRecipientsRefused) as exc:
                    log.error(
                        "notification %s not e-mailed to %s: %s", notification_id, recipient, exc
                    )
                notifications.mark_emailed(db, notification_id)
    except (OSError, smtplib.SMTPException) as exc:
        raise TransientJobError(f"SMTP 发送失败：{exc}") from exc
    return sent
