"""The e-mail worker: sends queued messages over SMTP (plain text, UTF-8, Polish), with retries.

Messages are claimed with `FOR UPDATE SKIP LOCKED` and marked sent in the same transaction, so
several instances never send the same row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

_CLAIM = text(
    "SELECT id, recipient, subject, body, attempts FROM emails "
    "WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY id LIMIT :n "
    "FOR UPDATE SKIP LOCKED"
)
_SENT = text(
    "UPDATE emails SET status = 'sent', sent_at = now(), attempts = attempts + 1 WHERE id = :id"
)
_FAILED = text(
    "UPDATE emails SET status = :status, attempts = attempts + 1, last_error = :error, "
    "next_attempt_at = :next WHERE id = :id"
)


class MailWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        host: str,
        port: int,
        sender: str,
        delays: tuple[float, ...],
        poll: float,
    ) -> None:
        self.sessions = sessions
        self.host, self.port, self.sender = host, port, sender
        self.delays = delays
        self.poll = poll
        self.wakeup = asyncio.Event()

    def wake(self) -> None:
        self.wakeup.set()

    async def run(self) -> None:
        while True:
            self.wakeup.clear()
            batch = asyncio.ensure_future(self.send_batch())
            try:
                await asyncio.shield(batch)
            except asyncio.CancelledError:
                await asyncio.wait({batch}, timeout=4.0)
                raise
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self.poll)

    async def send_batch(self, size: int = 50) -> int:
        async with self.sessions() as session, session.begin():
            rows = (await session.execute(_CLAIM, {"n": size})).all()
            for email_id, recipient, subject, body, attempts in rows:
                message = EmailMessage()
                message["From"] = self.sender
                message["To"] = recipient
                message["Subject"] = subject
                message.set_content(body, charset="utf-8")
                try:
                    await aiosmtplib.send(message, hostname=self.host, port=self.port, timeout=10)
                except (aiosmtplib.SMTPException, OSError) as exc:
                    failures = attempts + 1
                    dead = failures > len(self.delays)
                    delay = self.delays[min(failures, len(self.delays)) - 1]
                    await session.execute(
                        _FAILED,
                        {
                            "id": email_id,
                            "status": "dead" if dead else "pending",
                            "error": repr(exc)[:500],
                            "next": datetime.now(UTC) + timedelta(seconds=delay),
                        },
                    )
                    log.warning("e-mail not sent", extra={"email": email_id, "error": repr(exc)})
                else:
                    await session.execute(_SENT, {"id": email_id})
        return len(rows)
