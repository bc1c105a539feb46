// npm's staged publishing on the testkit registry, as npm 11.15+ speaks it (npm/cli lib/commands/stage/*,
// libnpmpublish): `npm stage publish` POSTs the publish document to /-/stage/package/<name> and gets a stageId;
// the version stays invisible (no packument entry, no tarball, not installable) until a person approves it
// (POST /-/stage/<id>/approve, 2FA on npmjs.com; an OIDC token cannot), which publishes the stored document.
import { randomUUID } from "node:crypto";
import type { ExpressApp, ExpressRequest, ExpressResponse } from "./registry-middleware.js";

/** One staged version, in the shape `npm stage list/view --json` prints. */
export interface StagedVersion {
  id: string;
  packageName: string;
  version: string;
  tag: string;
  createdAt: string;
  actor: string;
  actorType: "user" | "oidc";
  shasum: string;
  state: "staged" | "approved" | "rejected";
}

interface StageRecord extends StagedVersion {
  /** The publish document npm sent; PUT as-is on approval. */
  document: PublishDocument;
}

interface PublishDocument {
  name?: string;
  "dist-tags"?: Record<string, string>;
  versions?: Record<string, { dist?: { shasum?: string } }>;
  _attachments?: Record<string, { data?: string }>;
}

/** The staged versions of one registry; the routes and the tests share it. */
export class StageStore {
  readonly #records: StageRecord[] = [];

  /** Every staged version ever, in order, with its state (the publish document left out). */
  list(): StagedVersion[] {
    return this.#records.map(({ document: _document, ...item }) => ({ ...item }));
  }

  pending(packageName?: string): StageRecord[] {
    return this.#records.filter(
      (record) => record.state === "staged" && (!packageName || record.packageName === packageName),
    );
  }

  find(id: string): StageRecord | undefined {
    return this.#records.find((record) => record.id === id);
  }

  add(record: StageRecord): void {
    this.#records.push(record);
  }
}

const OIDC_ACTOR = "oidc-trusted-publisher";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Mounts the stage routes. `publish` PUTs a document to the registry itself with the approver's authorization and
 * answers the registry's status; `exists` says whether a version is live already.
 */
export function registerStageRoutes(
  app: ExpressApp,
  store: StageStore,
  publish: (req: ExpressRequest, name: string, document: unknown) => Promise<number>,
  exists: (req: ExpressRequest, name: string, version: string) => Promise<boolean>,
): void {
  app.post("/-/stage/package/:name", async (req, res) => {
    const user = req.remote_user?.name;
    if (!user) return answer(res, 401, "staging needs an authenticated user or a trusted-publishing token");
    const name = req.params.name ?? "";
    const document = (req.body ?? {}) as PublishDocument;
    const [version, manifest] = Object.entries(document.versions ?? {})[0] ?? [];
    if (!version || !manifest || document.name !== name) return answer(res, 400, "not a publish document");
    if (await exists(req, name, version)) {
      return answer(res, 403, `You cannot publish over the previously published versions: ${version}.`);
    }
    if (store.pending(name).some((record) => record.version === version)) {
      return answer(res, 409, `${name}@${version} is already staged`);
    }
    const tag = Object.keys(document["dist-tags"] ?? {})[0] ?? "latest";
    const id = randomUUID();
    store.add({
      id,
      packageName: name,
      version,
      tag,
      createdAt: new Date().toISOString(),
      actor: user,
      actorType: user === OIDC_ACTOR ? "oidc" : "user",
      shasum: manifest.dist?.shasum ?? "",
      state: "staged",
      document,
    });
    res.status(201).json({ stageId: id });
  });
  app.get("/-/stage", (req, res) => {
    if (!req.remote_user?.name) return answer(res, 401, "listing staged versions needs a login");
    const query = new URL(req.url ?? "/", "http://registry").searchParams;
    const page = Number(query.get("page") ?? 0);
    const perPage = Math.min(Number(query.get("perPage") ?? 100), 100);
    const items = store.pending(query.get("package") ?? undefined).map(publicView);
    res.status(200).json({ items: items.slice(page * perPage, (page + 1) * perPage), total: items.length });
  });
  app.get("/-/stage/:id", (req, res) => {
    const record = pendingRecord(req, res, store);
    if (record) res.status(200).json(publicView(record));
  });
  app.get("/-/stage/:id/tarball", (req, res) => {
    const record = pendingRecord(req, res, store);
    if (!record) return;
    const [attachment] = Object.values(record.document._attachments ?? {});
    res.statusCode = 200;
    res.setHeader("content-type", "application/octet-stream");
    res.end(Buffer.from(attachment?.data ?? "", "base64"));
  });
  app.post("/-/stage/:id/approve", async (req, res) => {
    const record = pendingRecord(req, res, store);
    if (!record) return;
    if (req.remote_user?.name === OIDC_ACTOR || req.remote_user?.groups?.some(isOidcGroup)) {
      return answer(res, 403, "a staged version is approved by a maintainer with 2FA, not by a CI token");
    }
    const status = await publish(req, record.packageName, record.document);
    if (status >= 300) return answer(res, status, `publishing the staged version failed (${status})`);
    record.state = "approved";
    res.status(200).json({ ok: true, id: record.id });
  });
  app.delete("/-/stage/:id", (req, res) => {
    const record = pendingRecord(req, res, store);
    if (!record) return;
    record.state = "rejected";
    res.status(200).json({ ok: true });
  });
}

function pendingRecord(
  req: ExpressRequest,
  res: ExpressResponse,
  store: StageStore,
): StageRecord | undefined {
  if (!req.remote_user?.name) {
    answer(res, 401, "staged versions are visible to maintainers only");
    return undefined;
  }
  const id = req.params.id ?? "";
  const record = UUID.test(id) ? store.find(id) : undefined;
  if (record?.state !== "staged") {
    answer(res, 404, `no staged version ${id}`);
    return undefined;
  }
  return record;
}

function publicView(record: StageRecord): StagedVersion {
  const { document: _document, ...item } = record;
  return item;
}

function isOidcGroup(group: string): boolean {
  return group.startsWith("oidc-package:");
}

function answer(res: ExpressResponse, status: number, message: string): void {
  res.status(status).json({ error: message, message });
}
