/**
 * Outbox and inbox repositories over a TypeORM `DataSource` (or anything with `query(sql, params)`),
 * for PostgreSQL. Run the statements of `schemaSql()` in a migration.
 */
export function schemaSql({ outboxTable = "outbox_messages", inboxTable = "inbox_messages" } = {}) {
  return [
    `CREATE TABLE IF NOT EXISTS ${outboxTable} (id uuid PRIMARY KEY, event_type text NOT NULL, aggregate_id text, payload jsonb NOT NULL, headers jsonb NOT NULL, status text NOT NULL, attempts int NOT NULL DEFAULT 0, last_error text, created_at timestamptz NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${inboxTable} (message_id text PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now())`,
  ];
}

export function createTypeormOutboxRepository(dataSource, { table = "outbox_messages" } = {}) {
  return {
    async save(m, manager = dataSource) {
      await manager.query(
        `INSERT INTO ${table} (id, event_type, aggregate_id, payload, headers, status, attempts, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          m.id,
          m.eventType,
          m.aggregateId,
          JSON.stringify(m.payload),
          JSON.stringify(m.headers),
          m.status,
          m.attempts,
          m.createdAt,
        ],
      );
      return m;
    },
    async fetchPending(limit = 100) {
      const rows = await dataSource.query(
        `SELECT * FROM ${table} WHERE status = 'pending' ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      return rows.map(fromRow);
    },
    async markPublished(id) {
      await dataSource.query(`UPDATE ${table} SET status = 'published' WHERE id = $1`, [id]);
    },
    async markFailed(id, error, { maxAttempts = 5 } = {}) {
      await dataSource.query(
        `UPDATE ${table} SET attempts = attempts + 1, last_error = $2, status = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE 'pending' END WHERE id = $1`,
        [id, String(error), maxAttempts],
      );
    },
  };
}

export function createTypeormInboxRepository(dataSource, { table = "inbox_messages" } = {}) {
  return {
    async record(messageId) {
      const rows = await dataSource.query(
        `INSERT INTO ${table} (message_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING message_id`,
        [messageId],
      );
      return rows.length > 0;
    },
  };
}

function fromRow(row) {
  return {
    id: row.id,
    eventType: row.event_type,
    aggregateId: row.aggregate_id,
    payload: row.payload,
    headers: row.headers,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
