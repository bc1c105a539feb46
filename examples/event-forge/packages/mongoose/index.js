/**
 * Outbox and inbox repositories over Mongoose models. The outbox model needs the fields of
 * `outboxSchemaDefinition` with `_id` set to the message id; the inbox model needs `{ _id: String }`.
 */
export const outboxSchemaDefinition = {
  _id: String,
  eventType: String,
  aggregateId: String,
  payload: Object,
  headers: Object,
  status: { type: String, index: true },
  attempts: Number,
  lastError: String,
  createdAt: Date,
};

export function createMongooseOutboxRepository(model) {
  return {
    async save(m, session) {
      const { id, ...rest } = m;
      await model.create([{ _id: id, ...rest }], session ? { session } : {});
      return m;
    },
    async fetchPending(limit = 100) {
      const docs = await model.find({ status: "pending" }).sort({ createdAt: 1 }).limit(limit).lean();
      return docs.map(({ _id, ...rest }) => ({ id: _id, ...rest }));
    },
    async markPublished(id) {
      await model.updateOne({ _id: id }, { $set: { status: "published" } });
    },
    async markFailed(id, error, { maxAttempts = 5 } = {}) {
      const doc = await model.findOneAndUpdate(
        { _id: id },
        { $inc: { attempts: 1 }, $set: { lastError: String(error) } },
        { new: true },
      );
      if (doc && doc.attempts >= maxAttempts)
        await model.updateOne({ _id: id }, { $set: { status: "failed" } });
    },
  };
}

export function createMongooseInboxRepository(model) {
  return {
    async record(messageId) {
      try {
        await model.create({ _id: messageId });
        return true;
      } catch (error) {
        if (error?.code === 11000) return false; // duplicate key: delivered before
        throw error;
      }
    },
  };
}
