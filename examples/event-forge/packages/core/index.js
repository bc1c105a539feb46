import { randomUUID } from "node:crypto";

/** A message written in the same transaction as the state change that caused it. */
export function createOutboxMessage({ eventType, payload, aggregateId = null, headers = {} }) {
  if (typeof eventType !== "string" || eventType === "") throw new TypeError("eventType is required");
  return {
    id: randomUUID(),
    eventType,
    aggregateId,
    payload,
    headers,
    status: "pending",
    attempts: 0,
    lastError: null,
    createdAt: new Date().toISOString(),
  };
}

/** An outbox kept in memory: for tests, and the reference for the database adapters. */
export class MemoryOutboxRepository {
  #messages = new Map();

  async save(message) {
    this.#messages.set(message.id, { ...message });
    return message;
  }

  async fetchPending(limit = 100) {
    return [...this.#messages.values()].filter((m) => m.status === "pending").slice(0, limit);
  }

  async markPublished(id) {
    this.#update(id, { status: "published" });
  }

  async markFailed(id, error, { maxAttempts = 5 } = {}) {
    const message = this.#messages.get(id);
    const attempts = (message?.attempts ?? 0) + 1;
    this.#update(id, {
      attempts,
      lastError: String(error),
      status: attempts >= maxAttempts ? "failed" : "pending",
    });
  }

  #update(id, fields) {
    const message = this.#messages.get(id);
    if (message) this.#messages.set(id, { ...message, ...fields });
  }
}

/** An inbox kept in memory: remembers which message ids were already handled. */
export class MemoryInboxRepository {
  #seen = new Set();

  /** Returns false when the message was recorded before (a duplicate delivery). */
  async record(messageId) {
    if (this.#seen.has(messageId)) return false;
    this.#seen.add(messageId);
    return true;
  }
}

/** Publishes pending outbox messages with `publish(message)`, at least once. */
export class OutboxPublisher {
  constructor({ repository, publish, maxAttempts = 5 }) {
    this.repository = repository;
    this.publish = publish;
    this.maxAttempts = maxAttempts;
  }

  async flush(limit = 100) {
    const result = { published: 0, failed: 0 };
    for (const message of await this.repository.fetchPending(limit)) {
      try {
        await this.publish(message);
        await this.repository.markPublished(message.id);
        result.published++;
      } catch (error) {
        await this.repository.markFailed(message.id, error, { maxAttempts: this.maxAttempts });
        result.failed++;
      }
    }
    return result;
  }
}

/** Hands each incoming message to the handler of its event type, once per message id. */
export class InboxConsumer {
  constructor({ repository, handlers }) {
    this.repository = repository;
    this.handlers = handlers;
  }

  async receive(message) {
    const handler = this.handlers[message.eventType];
    if (!handler) return "unhandled";
    if (!(await this.repository.record(message.id))) return "duplicate";
    await handler(message.payload, message);
    return "processed";
  }
}
