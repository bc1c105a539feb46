import type { ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { type CrateRecord, CrateStore, type IndexEntry, sha256Hex } from "./crates-index.js";
import { type CratesTrustedPublisher, CratesTrustedPublishing } from "./crates-oidc.js";
import { parseUploadBody, UploadRefused, validateUpload } from "./crates-upload.js";
import { type RecordedRequest, sendJson, startHttpServer, type TestServer } from "./http.js";
import type { OidcTrust } from "./pypi-oidc.js";

export type { CrateRecord, CrateVersion, IndexDependency, IndexEntry } from "./crates-index.js";
export { indexPath } from "./crates-index.js";
export type { CratesTrustedPublisher } from "./crates-oidc.js";

export interface CratesOptions {
  /** The ID-token issuer trusted by the exchange (`startIdTokenServer()`'s `issuer` and `jwks`). */
  oidc?: OidcTrust;
  /** The `aud` the exchange accepts: crates.io's is `crates.io`; default this server's host, `127.0.0.1`. */
  audience?: string;
  trustedPublishers?: CratesTrustedPublisher[];
  /** Long-lived API tokens: publish (and create) any crate, yank. */
  tokens?: string[];
  /** A published version enters the index this long after the upload (crates.io's index lags a little). */
  visibilityDelayMs?: number;
}

/** What happened, in order: the tests read the publish order and the token exchange/revocation from here. */
export interface CratesEvent {
  type: "publish" | "publish-refused" | "exchange" | "exchange-refused" | "revoke" | "yank" | "unyank";
  crate?: string;
  version?: string;
  detail?: string;
  /** Date.now() when it happened. */
  at: number;
}

export interface CratesServer extends TestServer {
  /** `sparse+<url>index/`: the index URL cargo takes (`CARGO_REGISTRIES_<NAME>_INDEX`). */
  indexUrl: string;
  /** `<url>` without the trailing slash: the `api` of config.json. */
  apiUrl: string;
  events: CratesEvent[];
  /** Every trusted-publishing token minted (for secret-leak checks). */
  readonly issuedTokens: string[];
  readonly revokedTokens: number;
  addTrustedPublisher(publisher: CratesTrustedPublisher): void;
  /** Puts `version` of `name` in the index at once, as if published earlier (with a small valid `.crate`). */
  seed(name: string, version: string, options?: { yanked?: boolean }): void;
  crate(name: string): CrateRecord | undefined;
  /** Versions of `name` in the index now (yanked ones too). */
  visibleVersions(name: string): string[];
}

/** Starts a crates.io stand-in: sparse index, publish, download, yank, trusted publishing. */
export async function startCrates(options: CratesOptions = {}): Promise<CratesServer> {
  const store = new CrateStore();
  const events: CratesEvent[] = [];
  const trusted = new CratesTrustedPublishing(
    options.oidc,
    options.audience ?? "127.0.0.1",
    options.trustedPublishers ?? [],
  );
  const context: Context = {
    store,
    events,
    trusted,
    tokens: new Set(options.tokens ?? []),
    delayMs: options.visibilityDelayMs ?? 0,
    baseUrl: "",
  };
  const server = await startHttpServer((req, res) => route(req, res, context));
  context.baseUrl = server.url;
  return {
    ...server,
    indexUrl: `sparse+${server.url}index/`,
    apiUrl: server.url.replace(/\/$/, ""),
    events,
    get issuedTokens() {
      return trusted.issued;
    },
    get revokedTokens() {
      return trusted.revokedCount;
    },
    addTrustedPublisher: (publisher) => trusted.addPublisher(publisher),
    seed: (name, version, seedOptions = {}) => {
      const file = minimalCrate(name, version);
      const entry: IndexEntry = {
        name,
        vers: version,
        deps: [],
        cksum: sha256Hex(file),
        features: {},
        yanked: seedOptions.yanked ?? false,
        links: null,
        v: 2,
      };
      store.add(entry, file, 0);
    },
    crate: (name) => store.crate(name),
    visibleVersions: (name) =>
      (store.crate(name)?.versions ?? [])
        .filter((version) => version.visibleFrom <= Date.now())
        .map((version) => version.entry.vers),
  };
}

interface Context {
  store: CrateStore;
  events: CratesEvent[];
  trusted: CratesTrustedPublishing;
  tokens: ReadonlySet<string>;
  delayMs: number;
  baseUrl: string;
}

async function route(req: RecordedRequest, res: ServerResponse, context: Context): Promise<void> {
  const segments = req.path.split("/").filter(Boolean).map(decodeURIComponent);
  if (segments[0] === "index" && req.method === "GET") return indexRoute(segments.slice(1), res, context);
  if (segments[0] !== "api" || segments[1] !== "v1") return notFound(res);
  const rest = segments.slice(2);
  if (rest[0] === "trusted_publishing" && rest[1] === "tokens" && rest.length === 2) {
    if (req.method === "POST") return exchange(req, res, context);
    if (req.method === "DELETE") return revoke(req, res, context);
    return notFound(res);
  }
  if (rest[0] !== "crates") return notFound(res);
  if (req.method === "PUT" && rest[1] === "new" && rest.length === 2) return publish(req, res, context);
  const [, name, version, action] = rest;
  if (name === undefined || version === undefined || rest.length !== 4) return notFound(res);
  if (req.method === "GET" && action === "download") return download(name, version, res, context);
  if (req.method === "DELETE" && action === "yank") return setYanked(req, res, context, name, version, true);
  if (req.method === "PUT" && action === "unyank") return setYanked(req, res, context, name, version, false);
  return notFound(res);
}

function indexRoute(path: string[], res: ServerResponse, context: Context) {
  if (path.length === 1 && path[0] === "config.json") {
    return sendJson(res, 200, {
      dl: `${context.baseUrl}api/v1/crates`,
      api: context.baseUrl.replace(/\/$/, ""),
    });
  }
  const file = context.store.indexFile(path.join("/"), Date.now());
  if (file === undefined) return notFound(res);
  res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache" });
  res.end(file);
}

async function publish(req: RecordedRequest, res: ServerResponse, context: Context): Promise<void> {
  const auth = authorize(req, context);
  try {
    if (!auth) throw new UploadRefused(403, "this action requires authentication");
    const upload = parseUploadBody(req.body);
    const name = upload.metadata.name;
    if (auth.kind === "trusted" && !auth.crates.has(name.toLowerCase().replace(/-/g, "_"))) {
      throw new UploadRefused(403, `The provided access token is not valid for crate \`${name}\``);
    }
    const entry = validateUpload(upload, context.store, `sparse+${context.baseUrl}index/`);
    context.store.add(entry, upload.file, Date.now() + context.delayMs);
    context.events.push({ type: "publish", crate: entry.name, version: entry.vers, at: Date.now() });
    sendJson(res, 200, { warnings: { invalid_categories: [], invalid_badges: [], other: [] } });
  } catch (error) {
    if (!(error instanceof UploadRefused)) throw error;
    context.events.push({ type: "publish-refused", detail: error.detail, at: Date.now() });
    sendJson(res, error.status, { errors: [{ detail: error.detail }] });
  }
}

type Authorization = { kind: "static" } | { kind: "trusted"; crates: Set<string> };

/** Cargo sends the token as the whole `Authorization` value; crates.io also takes `Bearer <token>`. */
function authorize(req: RecordedRequest, context: Context): Authorization | undefined {
  const value = bearerOrRaw(req.headers.authorization);
  if (!value) return undefined;
  if (context.tokens.has(value)) return { kind: "static" };
  const token = context.trusted.lookup(value);
  return token ? { kind: "trusted", crates: token.crates } : undefined;
}

function bearerOrRaw(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return /^Bearer\s+(.+)$/i.exec(header)?.[1] ?? header;
}

async function exchange(req: RecordedRequest, res: ServerResponse, context: Context): Promise<void> {
  const result = await context.trusted.exchange(req.body, (name) => context.store.crate(name) !== undefined);
  if (!result.ok) {
    context.events.push({ type: "exchange-refused", detail: result.detail, at: Date.now() });
    return sendJson(res, 400, { errors: [{ detail: result.detail }] });
  }
  context.events.push({ type: "exchange", at: Date.now() });
  sendJson(res, 200, { token: result.token });
}

function revoke(req: RecordedRequest, res: ServerResponse, context: Context) {
  const value = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1];
  if (!value || !context.trusted.revoke(value)) {
    return sendJson(res, 401, {
      errors: [{ detail: "Invalid `Authorization` header: not a trusted publishing token" }],
    });
  }
  context.events.push({ type: "revoke", at: Date.now() });
  res.writeHead(204);
  res.end();
}

function download(name: string, version: string, res: ServerResponse, context: Context) {
  const found = context.store.version(name, version);
  if (!found) return notFound(res);
  res.writeHead(200, { "content-type": "application/gzip", "content-length": String(found.file.length) });
  res.end(found.file);
}

function setYanked(
  req: RecordedRequest,
  res: ServerResponse,
  context: Context,
  name: string,
  version: string,
  yanked: boolean,
) {
  if (!authorize(req, context))
    return sendJson(res, 403, { errors: [{ detail: "this action requires authentication" }] });
  const found = context.store.version(name, version);
  if (!found)
    return sendJson(res, 404, {
      errors: [{ detail: `crate \`${name}\` does not have a version \`${version}\`` }],
    });
  found.entry.yanked = yanked;
  context.events.push({ type: yanked ? "yank" : "unyank", crate: name, version, at: Date.now() });
  sendJson(res, 200, { ok: true });
}

function notFound(res: ServerResponse): void {
  sendJson(res, 404, { errors: [{ detail: "Not Found" }] });
}

/** A `.crate` holding `Cargo.toml` and an empty `src/lib.rs`, so cargo can build a seeded version. */
function minimalCrate(name: string, version: string): Buffer {
  const manifest = `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\ndescription = "seeded"\nlicense = "MIT"\n`;
  const entries: Array<[string, string]> = [
    [`${name}-${version}/Cargo.toml`, manifest],
    [`${name}-${version}/src/lib.rs`, ""],
  ];
  const blocks = entries.flatMap(([path, text]) => tarEntry(path, Buffer.from(text)));
  return gzipSync(Buffer.concat([...blocks, Buffer.alloc(1024)]));
}

function tarEntry(path: string, content: Buffer): Buffer[] {
  const header = Buffer.alloc(512);
  header.write(path, 0, 100, "utf8");
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${content.length.toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148);
  header.write("0", 156);
  header.write("ustar\0", 257);
  header.write("00", 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const padded = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  content.copy(padded);
  return [header, padded];
}
