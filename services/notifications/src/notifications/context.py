"""What the API and the consumers share besides the runtime: settings and the workers to wake."""

from __future__ import annotations

from dataclasses import dataclass, field

from notifications.adapters.delivery import DeliveryWorker
from notifications.adapters.mail import MailWorker
from notifications.config import NotificationsSettings
from notifications.domain.addresses import Allowlist


@dataclass
class Context:
    settings: NotificationsSettings
    allowlist: Allowlist
    delivery: list[DeliveryWorker] = field(default_factory=list)
    mail: MailWorker | None = None

    def wake(self, *, deliveries: bool = True, mail: bool = True) -> None:
        """New rows may be due: one idle delivery worker claims them. Waking them all made the
        others claim nothing, each in a transaction of its own; a busy worker claims again anyway
        when its batch is done, so when none is idle, each is told to look once more."""
        if deliveries:
            idle = next((worker for worker in self.delivery if worker.idle), None)
            for worker in [idle] if idle is not None else self.delivery:
                worker.wake()
        if mail and self.mail is not None:
            self.mail.wake()
