/**
 * RabbitMQ glue for an amqplib channel: a `publish` function for `OutboxPublisher`, and a consumer
 * that feeds an `InboxConsumer` and acknowledges only what was handled (or seen before).
 */
export function createRabbitmqPublish(channel, { exchange = "events" } = {}) {
  return async function publish(message) {
    const body = Buffer.from(JSON.stringify(message.payload));
    const ok = channel.publish(exchange, message.eventType, body, {
      messageId: message.id,
      type: message.eventType,
      headers: message.headers,
      contentType: "application/json",
      persistent: true,
    });
    if (!ok) throw new Error(`channel buffer full while publishing ${message.id}`);
  };
}

export async function consumeIntoInbox(channel, queue, inboxConsumer) {
  return channel.consume(queue, async (delivery) => {
    if (!delivery) return;
    const message = {
      id: delivery.properties.messageId,
      eventType: delivery.properties.type ?? delivery.fields.routingKey,
      payload: JSON.parse(delivery.content.toString("utf8")),
      headers: delivery.properties.headers ?? {},
    };
    try {
      await inboxConsumer.receive(message);
      channel.ack(delivery);
    } catch {
      channel.nack(delivery, false, true);
    }
  });
}
