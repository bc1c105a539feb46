import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, RequestListener, Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runServer } from "verdaccio";
import { FaultInjector } from "./faults.js";
import { listen, type RecordedRequest, type TestServer } from "./http.js";
import {
  answerBadTokenWritesLikeNpmjs,
  type PluginContext,
  registerMiddlewares,
} from "./registry-middleware.js";
import type { Exchange, OidcIssuer, TrustedPublisher } from "./registry-oidc.js";
import { type StagedVersion, StageStore } from "./registry-stage.js";
import { packTarball, publishDocument } from "./registry-tarball.js";

export type {
  Exchange,
  ExchangeClaims,
  GithubTrustedPublisher,
  GitlabTrustedPublisher,
  OidcIssuer,
  TrustedPublisher,
} from "./registry-oidc.js";
export type { StagedVersion } from "./registry-stage.js";

export interface RegistryOptions {
  /** The ID-token issuers the exchange endpoint trusts (GitHub's, GitLab's); without one every exchange answers 404. */
  oidc?: OidcIssuer | OidcIssuer[];
  trustedPublishers?: TrustedPublisher[];
  /** Lifetime of exchanged tokens, in `jsonwebtoken` notation. Default `15m`. */
  oidcTokenLifetime?: string;
  /** The one-time password (2FA) that `npm trust` writes must carry (`--otp`); without it they are refused. */
  otp?: string;
  /** Versions on the registry from the start (each a package.json; published as by a first `npm publish`). */
  packages?: PackageManifest[];
}

export type PackageManifest = { name: string; version: string } & Record<string, unknown>;

export interface Registry extends TestServer {
  /** Verdaccio's storage folder (one folder per package). */
  storage: string;
  /** Every token exchange, in order. */
  exchanges: Exchange[];
  /** Mutable: the exchange reads it on each request. */
  trustedPublishers: TrustedPublisher[];
  /** Registers a user (as `npm adduser` does) and returns its token; may publish any package. */
  createUser(name: string, password?: string): Promise<string>;
  /** The registry's `//host:port/` prefix for `.npmrc` keys, e.g. `${registry.npmrcKey}:_authToken=...`. */
  npmrcKey: string;
  /** Publishes one version (a tarball of its package.json) without npm: a package that "already exists". */
  seed(manifest: PackageManifest): Promise<void>;
  /** Every version staged with `npm stage publish`, with its state (staged, approved, rejected). */
  staged(): StagedVersion[];
  /**
   * Approves a staged version as a maintainer does on npmjs.com (the same request as `npm stage approve <id>`):
   * the version goes live. Throws when the registry refuses.
   */
  approve(stageId: string): Promise<void>;
}

const VERDACCIO_PLUGIN = "polyglot-oidc";

/** Verdaccio 6 in-process on 127.0.0.1, offline, htpasswd auth, with npm's trusted-publishing exchange. */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const root = await mkdtemp(join(tmpdir(), "polyglot-registry-"));
  const faults = new FaultInjector();
  const requests: RecordedRequest[] = [];
  const exchanges: Exchange[] = [];
  const trustedPublishers = [...(options.trustedPublishers ?? [])];
  const records = new WeakMap<IncomingMessage, RecordedRequest>();
  const stage = new StageStore();
  const context: PluginContext = {
    stage,
    trust: [options.oidc ?? []].flat().map(({ issuer, jwks, provider }) => ({ issuer, jwks, provider })),
    publishers: trustedPublishers,
    exchanges,
    recordOf: (req) => records.get(req),
    tokenLifetime: options.oidcTokenLifetime ?? "15m",
    ...(options.otp ? { otp: options.otp } : {}),
  };
  try {
    const pluginsDir = await writePluginShim(root);
    const verdaccio = (await runServer(verdaccioConfig(root, pluginsDir, context) as never)) as Server;
    putInFront(verdaccio, faults, (req) => {
      const record = recordRequest(req);
      requests.push(record);
      records.set(req, record);
    });
    const server = await listen(verdaccio, { faults, requests });
    const close = async () => {
      await server.close();
      await rm(root, { recursive: true, force: true });
    };
    let seederToken: Promise<string> | undefined;
    const seed = async (manifest: PackageManifest) => {
      seederToken ??= createUser(server.url, "testkit-seeder");
      await publishManifest(server.url, await seederToken, manifest);
    };
    for (const manifest of options.packages ?? []) await seed(manifest);
    let approverToken: Promise<string> | undefined;
    const approve = async (stageId: string) => {
      approverToken ??= createUser(server.url, "testkit-release-manager");
      const response = await fetch(new URL(`-/stage/${encodeURIComponent(stageId)}/approve`, server.url), {
        method: "POST",
        headers: { authorization: `Bearer ${await approverToken}` },
      });
      if (!response.ok)
        throw new Error(`approve ${stageId} failed: ${response.status} ${await response.text()}`);
    };
    return {
      ...server,
      close,
      [Symbol.asyncDispose]: close,
      storage: join(root, "storage"),
      exchanges,
      trustedPublishers,
      npmrcKey: server.url.replace(/^https?:/, ""),
      createUser: (name, password) => createUser(server.url, name, password),
      seed,
      staged: () => stage.list(),
      approve,
    };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

function verdaccioConfig(root: string, pluginsDir: string, context: PluginContext): Record<string, unknown> {
  const everyone = { access: "$all", publish: "$authenticated", unpublish: "$authenticated" };
  return {
    self_path: join(root, "config.yaml"),
    storage: join(root, "storage"),
    plugins: pluginsDir,
    web: { enable: false },
    // sha1 keeps `createUser` cheap; bcrypt costs ~70 ms of CPU per user. Unset `max_users` means unlimited.
    auth: { htpasswd: { file: join(root, "htpasswd"), algorithm: "sha1" } },
    security: {
      api: { legacy: false, jwt: { sign: { expiresIn: "7d" } } },
      web: { sign: { expiresIn: "1h" } },
    },
    uplinks: {},
    packages: { "@*/*": everyone, "**": everyone },
    publish: { allow_offline: true },
    max_body_size: "200mb",
    userRateLimit: { windowMs: 1000, max: 100_000 },
    log: { type: "stdout", format: "json", level: "fatal" },
    // Verdaccio passes this object (functions included, by reference) to the plugin's factory.
    middlewares: { [VERDACCIO_PLUGIN]: { polyglotTestkit: { register: registerMiddlewares(context) } } },
  };
}

/**
 * Verdaccio loads middleware plugins by name from a folder; this one hands back the `register_middlewares`
 * function the config carries, so the plugin shares the test's state (trusted publishers, exchanges).
 */
async function writePluginShim(root: string): Promise<string> {
  const dir = join(root, "plugins", `verdaccio-${VERDACCIO_PLUGIN}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), '{ "type": "commonjs", "main": "index.js" }\n');
  await writeFile(
    join(dir, "index.js"),
    "module.exports = (config) => ({ register_middlewares: config.polyglotTestkit.register });\n",
  );
  return join(root, "plugins");
}

/** Fault injection and request recording before Verdaccio's Express app sees the request. */
function putInFront(server: Server, faults: FaultInjector, record: (req: IncomingMessage) => void): void {
  const [app] = server.listeners("request") as RequestListener[];
  if (!app) throw new Error("Verdaccio's server has no request listener");
  server.removeAllListeners("request");
  server.on("request", async (req, res) => {
    if (await faults.handle(req, res)) return;
    record(req);
    answerBadTokenWritesLikeNpmjs(req, res);
    app(req, res);
  });
}

function recordRequest(req: IncomingMessage): RecordedRequest {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  return {
    method: req.method ?? "GET",
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    // Filled with the parsed JSON body by the plugin, once Verdaccio has read it.
    body: Buffer.alloc(0),
  };
}

async function createUser(url: string, name: string, password?: string): Promise<string> {
  const response = await fetch(new URL(`-/user/org.couchdb.user:${encodeURIComponent(name)}`, url), {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      _id: `org.couchdb.user:${name}`,
      name,
      password: password ?? randomBytes(12).toString("base64url"),
      type: "user",
      roles: [],
      date: new Date().toISOString(),
    }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!response.ok || !body.token) {
    throw new Error(`createUser(${name}) failed: ${response.status} ${body.error ?? ""}`.trim());
  }
  return body.token;
}

async function publishManifest(url: string, token: string, manifest: PackageManifest): Promise<void> {
  const tarball = packTarball({ "package.json": `${JSON.stringify(manifest, null, 2)}\n` });
  const response = await fetch(new URL(manifest.name.replace("/", "%2f"), url), {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(publishDocument(url, manifest, tarball)),
  });
  if (!response.ok) {
    throw new Error(
      `seed ${manifest.name}@${manifest.version} failed: ${response.status} ${await response.text()}`,
    );
  }
}
