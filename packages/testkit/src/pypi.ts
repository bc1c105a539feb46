import type { ServerResponse } from "node:http";
import { type RecordedRequest, startHttpServer, type TestServer } from "./http.js";
import {
  negotiateSimpleFormat,
  projectJson,
  SIMPLE_CONTENT_TYPES,
  type SimpleFormat,
  simpleProject,
  simpleRoot,
} from "./pypi-index.js";
import { normalizeVersion, parseDistFilename } from "./pypi-names.js";
import { isProjectPattern, type OidcTrust, PypiOidc, type PypiTrustedPublisher } from "./pypi-oidc.js";
import { filePath, makeFile, type PypiFile, type PypiProject, PypiStore } from "./pypi-store.js";
import { handleUpload, type PypiUpload } from "./pypi-upload.js";

export type { PypiGithubPublisher, PypiGitlabPublisher, PypiTrustedPublisher } from "./pypi-oidc.js";
export type { PypiFile, PypiProject, PypiRelease } from "./pypi-store.js";
export type { PypiUpload } from "./pypi-upload.js";

export interface PypiOptions {
  /**
   * The ID-token issuers trusted by `/_/oidc/mint-token`: `startIdTokenServer()` (GitHub) and/or
   * `startGitlabIdTokenIssuer()` with `provider: "gitlab"`.
   */
  oidc?: OidcTrust | OidcTrust[];
  trustedPublishers?: PypiTrustedPublisher[];
  /** Long-lived API tokens (password of user `__token__`) that may upload to any project. */
  tokens?: string[];
}

export interface SeedFile {
  filename: string;
  content: string | Uint8Array;
}

export interface PypiServer extends TestServer {
  /** `<url>legacy/`, for `twine upload --repository-url` and `pypa/gh-action-pypi-publish`'s `repository-url`. */
  legacyUrl: string;
  /** `<url>simple/`, for `pip --index-url`. */
  simpleUrl: string;
  /** Every `POST /legacy/` attempt, accepted or refused. */
  uploads: PypiUpload[];
  /** How many tokens `/_/oidc/mint-token` issued (the values are never exposed). */
  readonly mintedTokens: number;
  readonly trustedPublishers: readonly PypiTrustedPublisher[];
  addTrustedPublisher(publisher: PypiTrustedPublisher): void;
  /**
   * Puts `version` of `name` on the index, as if uploaded earlier; `files` default to none. `ageDays`: how long
   * ago the release was created (PyPI refuses new files for a release older than 14 days).
   */
  seed(name: string, version: string, files?: SeedFile[], options?: { ageDays?: number }): void;
  project(name: string): PypiProject | undefined;
  /** PEP 503 name and canonical PEP 440 version, as the JSON API resolves them. */
  hasRelease(name: string, version: string): boolean;
}

/** Starts a PyPI-shaped server: `/legacy/` uploads, JSON API, PEP 503/691 simple index, trusted publishing. */
export async function startPypi(options: PypiOptions = {}): Promise<PypiServer> {
  const store = new PypiStore();
  const oidc = new PypiOidc(options.oidc, options.trustedPublishers ?? []);
  for (const publisher of oidc.publishers) registerProjectOf(store, publisher);
  const uploads: PypiUpload[] = [];
  const staticTokens = new Set(options.tokens ?? []);
  const context = { store, oidc, staticTokens, uploads };
  const server = await startHttpServer((req, res) => route(req, res, { ...context, baseUrl: server.url }));

  return {
    ...server,
    legacyUrl: `${server.url}legacy/`,
    simpleUrl: `${server.url}simple/`,
    uploads,
    get mintedTokens() {
      return oidc.mintedCount;
    },
    get trustedPublishers() {
      return oidc.publishers;
    },
    addTrustedPublisher(publisher) {
      oidc.addPublisher(publisher);
      registerProjectOf(store, publisher);
    },
    seed: (name, version, files = [], seedOptions = {}) =>
      seedRelease(store, name, version, files, seedOptions.ageDays ?? 0),
    project: (name) => store.project(name),
    hasRelease: (name, version) => store.release(name, version) !== undefined,
  };
}

/** A publisher belongs to an existing project on PyPI; a pending one is what lets a project be created. */
function registerProjectOf(store: PypiStore, publisher: PypiTrustedPublisher): void {
  if (!publisher.pending && !isProjectPattern(publisher.project)) store.ensureProject(publisher.project);
}

function seedRelease(
  store: PypiStore,
  name: string,
  version: string,
  files: SeedFile[],
  ageDays: number,
): void {
  if (!normalizeVersion(version)) throw new Error(`seed: '${version}' is not a PEP 440 version`);
  const release = store.ensureRelease(store.ensureProject(name), version);
  release.createdAt = new Date(Date.now() - ageDays * 24 * 60 * 60 * 1000);
  for (const seed of files) {
    const kind = parseDistFilename(seed.filename)?.kind;
    if (!kind) throw new Error(`seed: '${seed.filename}' is not an sdist or wheel file name`);
    release.files.push(makeFile(seed.filename, Buffer.from(seed.content), kind));
  }
}

interface RouteContext {
  store: PypiStore;
  oidc: PypiOidc;
  staticTokens: ReadonlySet<string>;
  uploads: PypiUpload[];
  baseUrl: string;
}

/** What a read-only route answers; `send` writes it (and drops the body for HEAD). */
interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

async function route(req: RecordedRequest, res: ServerResponse, context: RouteContext): Promise<void> {
  const segments = req.path.split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second] = segments;
  if (req.method === "POST" && first === "legacy" && segments.length === 1) {
    await upload(req, res, context);
  } else if (first === "_" && second === "oidc") {
    send(req, res, await oidcRoute(req, segments.slice(2), context));
  } else if (req.method !== "GET" && req.method !== "HEAD") {
    send(req, res, notFound());
  } else if (first === "pypi") {
    send(req, res, jsonApi(segments.slice(1), context));
  } else if (first === "simple") {
    send(req, res, simpleIndex(req, segments.slice(1), context));
  } else if (first === "packages") {
    send(req, res, download(req.path.slice(1), context));
  } else {
    send(req, res, notFound());
  }
}

function send(req: RecordedRequest, res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, reply.headers);
  res.end(req.method === "HEAD" ? undefined : reply.body);
}

async function upload(req: RecordedRequest, res: ServerResponse, context: RouteContext): Promise<void> {
  const result = await handleUpload(req.headers, req.body, context);
  context.uploads.push(result);
  // Warehouse puts the message in the status line too; twine prints that reason phrase.
  const reason = result.message ? asciiReason(result.message) : "OK";
  res.writeHead(result.status, reason, { "content-type": "text/plain; charset=utf-8" });
  res.end(result.message ?? "");
}

async function oidcRoute(req: RecordedRequest, rest: string[], context: RouteContext): Promise<Reply> {
  const action = rest.join("/");
  if (req.method === "GET" && action === "audience") return json(200, { audience: "pypi" });
  if (req.method !== "POST" || (action !== "mint-token" && action !== "github/mint-token")) return notFound();
  const result = await context.oidc.mint(req.body, (name) => context.store.project(name) !== undefined);
  if (!result.ok) return json(422, { message: "Token request failed", errors: [result.error] });
  // A pending publisher's first use creates its project.
  registerProjectOf(context.store, result.minted.publisher);
  return json(200, { success: true, token: result.token, expires: result.minted.expires });
}

/** `/pypi/<name>/json` and `/pypi/<name>/<version>/json`. */
function jsonApi(rest: string[], context: RouteContext): Reply {
  const [name, versionOrJson, last] = rest;
  const version = rest.length === 3 ? versionOrJson : undefined;
  const shapeOk = (rest.length === 2 && versionOrJson === "json") || (rest.length === 3 && last === "json");
  const project = name && shapeOk ? context.store.project(name) : undefined;
  if (!name || !project) return notFound();
  if (name !== project.normalizedName) {
    const tail = version === undefined ? "json" : `${encodeURIComponent(version)}/json`;
    return redirect(`/pypi/${project.normalizedName}/${tail}`);
  }
  const body = projectJson(context.baseUrl, project, version);
  if (!body) return notFound();
  return {
    status: 200,
    headers: {
      "content-type": "application/json",
      "access-control-allow-origin": "*",
      "x-pypi-last-serial": String(body.last_serial),
    },
    body: JSON.stringify(body),
  };
}

/** `/simple/` and `/simple/<name>/` (PEP 503 HTML, PEP 691 JSON). */
function simpleIndex(req: RecordedRequest, rest: string[], context: RouteContext): Reply {
  if (rest.length > 1) return notFound();
  if (!req.path.endsWith("/")) return redirect(`${req.path}/`);
  const format = negotiateSimpleFormat(req.headers.accept);
  if (!format) return json(406, { message: "Not Acceptable" });
  const [name] = rest;
  if (name === undefined) return simple(format, simpleRoot(context.store.projects(), format));
  const project = context.store.project(name);
  if (!project) return notFound();
  if (name !== project.normalizedName) return redirect(`/simple/${project.normalizedName}/`);
  return simple(format, simpleProject(context.baseUrl, project, format));
}

function download(path: string, context: RouteContext): Reply {
  const file = findByPath(context.store, path);
  if (!file) return notFound();
  return {
    status: 200,
    headers: { "content-type": "application/octet-stream", "content-length": String(file.size) },
    body: file.content,
  };
}

function findByPath(store: PypiStore, path: string): PypiFile | undefined {
  for (const project of store.projects()) {
    for (const release of project.releases) {
      const file = release.files.find((candidate) => filePath(candidate) === path);
      if (file) return file;
    }
  }
  return undefined;
}

function simple(format: SimpleFormat, body: string): Reply {
  return {
    status: 200,
    headers: { "content-type": `${SIMPLE_CONTENT_TYPES[format]}; charset=utf-8`, vary: "Accept" },
    body,
  };
}

function json(status: number, body: unknown): Reply {
  return { status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

function redirect(location: string): Reply {
  return {
    status: 301,
    headers: { location, "content-type": "text/plain" },
    body: `301 Moved Permanently: ${location}`,
  };
}

function notFound(): Reply {
  return json(404, { message: "Not Found" });
}

function asciiReason(message: string): string {
  return message.replace(/[^\x20-\x7e]/g, "?");
}
