"""Transactional inbox/outbox, the Python companion of the @event-forge/inbox-outbox-* npm packages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional

__version__ = "1.0.0"

__all__ = [
    "InboxConsumer",
    "MemoryInbox",
    "MemoryOutbox",
    "OutboxMessage",
    "OutboxPublisher",
    "create_outbox_message",
]


@dataclass
class OutboxMessage:
    event_type: str
    payload: Any
    aggregate_id: Optional[str] = None
    headers: Dict[str, str] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "pending"
    attempts: int = 0
    last_error: Optional[str] = None
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())


def create_outbox_message(event_type: str, payload: Any, **fields: Any) -> OutboxMessage:
    if not event_type:
        raise ValueError("event_type is required")
    return OutboxMessage(event_type=event_type, payload=payload, **fields)


class MemoryOutbox:
    """An outbox kept in memory: for tests, and the reference for database-backed outboxes."""

    def __init__(self) -> None:
        self._messages: Dict[str, OutboxMessage] = {}

    def save(self, message: OutboxMessage) -> OutboxMessage:
        self._messages[message.id] = message
        return message

    def fetch_pending(self, limit: int = 100) -> List[OutboxMessage]:
        return [m for m in self._messages.values() if m.status == "pending"][:limit]

    def mark_published(self, message_id: str) -> None:
        self._messages[message_id].status = "published"

    def mark_failed(self, message_id: str, error: Exception, max_attempts: int = 5) -> None:
        message = self._messages[message_id]
        message.attempts += 1
        message.last_error = str(error)
        if message.attempts >= max_attempts:
            message.status = "failed"


class OutboxPublisher:
    """Publishes pending outbox messages with ``publish(message)``, at least once."""

    def __init__(self, outbox: MemoryOutbox, publish: Callable[[OutboxMessage], None], max_attempts: int = 5):
        self.outbox = outbox
        self.publish = publish
        self.max_attempts = max_attempts

    def flush(self, limit: int = 100) -> Dict[str, int]:
        result = {"published": 0, "failed": 0}
        for message in self.outbox.fetch_pending(limit):
            try:
                self.publish(message)
            except Exception as error:  # noqa: BLE001 - any failure is retried later
                self.outbox.mark_failed(message.id, error, self.max_attempts)
                result["failed"] += 1
            else:
                self.outbox.mark_published(message.id)
                result["published"] += 1
        return result


class MemoryInbox:
    """Remembers which message ids were handled."""

    def __init__(self) -> None:
        self._seen: set = set()

    def record(self, message_id: str) -> bool:
        if message_id in self._seen:
            return False
        self._seen.add(message_id)
        return True


class InboxConsumer:
    """Hands each incoming message to the handler of its event type, once per message id."""

    def __init__(self, inbox: MemoryInbox, handlers: Dict[str, Callable[[Any], None]]):
        self.inbox = inbox
        self.handlers = handlers

    def receive(self, message_id: str, event_type: str, payload: Any) -> str:
        handler = self.handlers.get(event_type)
        if handler is None:
            return "unhandled"
        if not self.inbox.record(message_id):
            return "duplicate"
        handler(payload)
        return "processed"
