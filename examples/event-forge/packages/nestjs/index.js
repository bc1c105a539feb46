import { InboxConsumer, OutboxPublisher } from "@event-forge/inbox-outbox-core";

export const OUTBOX_REPOSITORY = Symbol.for("@event-forge/outbox-repository");
export const OUTBOX_PUBLISHER = Symbol.for("@event-forge/outbox-publisher");
export const INBOX_CONSUMER = Symbol.for("@event-forge/inbox-consumer");

/**
 * A NestJS dynamic module, written without decorators so it needs no build step:
 * `imports: [InboxOutboxModule.forRoot({ outboxRepository, inboxRepository, publish, handlers })]`.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: a NestJS dynamic module is a class with a static forRoot
export class InboxOutboxModule {
  static forRoot({ outboxRepository, inboxRepository, publish, handlers = {}, maxAttempts = 5 }) {
    const providers = [
      { provide: OUTBOX_REPOSITORY, useValue: outboxRepository },
      {
        provide: OUTBOX_PUBLISHER,
        useFactory: () => new OutboxPublisher({ repository: outboxRepository, publish, maxAttempts }),
      },
      {
        provide: INBOX_CONSUMER,
        useFactory: () => new InboxConsumer({ repository: inboxRepository, handlers }),
      },
    ];
    return {
      module: InboxOutboxModule,
      global: true,
      providers,
      exports: providers.map((provider) => provider.provide),
    };
  }
}
