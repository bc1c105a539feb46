import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createOutboxMessage,
  InboxConsumer,
  MemoryInboxRepository,
  MemoryOutboxRepository,
  OutboxPublisher,
} from "./index.js";

test("the outbox publishes each pending message once and retries failures", async () => {
  const repository = new MemoryOutboxRepository();
  await repository.save(createOutboxMessage({ eventType: "order.created", payload: { id: 1 } }));
  await repository.save(createOutboxMessage({ eventType: "order.paid", payload: { id: 1 } }));
  const sent = [];
  let fail = true;
  const publisher = new OutboxPublisher({
    repository,
    publish: async (m) => {
      if (m.eventType === "order.paid" && fail) throw new Error("broker down");
      sent.push(m.eventType);
    },
  });
  assert.deepEqual(await publisher.flush(), { published: 1, failed: 1 });
  fail = false;
  assert.deepEqual(await publisher.flush(), { published: 1, failed: 0 });
  assert.deepEqual(sent, ["order.created", "order.paid"]);
});

test("the inbox handles a redelivered message once", async () => {
  const handled = [];
  const consumer = new InboxConsumer({
    repository: new MemoryInboxRepository(),
    handlers: { "order.created": (payload) => handled.push(payload.id) },
  });
  const message = { id: "m1", eventType: "order.created", payload: { id: 7 } };
  assert.equal(await consumer.receive(message), "processed");
  assert.equal(await consumer.receive(message), "duplicate");
  assert.equal(await consumer.receive({ id: "m2", eventType: "other", payload: {} }), "unhandled");
  assert.deepEqual(handled, [7]);
});
