// The Verdaccio middleware plugin of the testkit registry: npm's trusted-publishing token exchange, the package
// visibility endpoint npm reads to switch provenance on, and the package scope of exchanged tokens.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RecordedRequest } from "./http.js";
import {
  type Exchange,
  type ExchangeOutcome,
  exchangeClaims,
  findTrustedPublisher,
  issuerOf,
  type OidcIssuer,
  packageOfWrite,
  type TrustedPublisher,
  verifyIdToken,
} from "./registry-oidc.js";
import { registerStageRoutes, type StageStore } from "./registry-stage.js";
import { registerTrustRoutes } from "./registry-trust.js";

/** What the plugin sees of Express (Verdaccio's own types are not a dependency). */
export interface ExpressRequest extends IncomingMessage {
  hostname: string;
  params: Record<string, string>;
  body?: unknown;
  remote_user?: { name?: string; groups?: string[] };
}
export type ExpressResponse = ServerResponse & {
  status(code: number): ExpressResponse;
  json(body: unknown): void;
  end(): void;
};
type Next = (error?: unknown) => void;
type Middleware = (req: ExpressRequest, res: ExpressResponse, next: Next) => void | Promise<void>;
export interface ExpressApp {
  use(handler: Middleware): void;
  get(path: string, handler: Middleware): void;
  post(path: string, handler: Middleware): void;
  delete(path: string, handler: Middleware): void;
}
export interface VerdaccioAuth {
  jwtEncrypt(
    user: { name: string; groups: string[]; real_groups: string[] },
    options: object,
  ): Promise<string>;
}
export interface VerdaccioStorage {
  getPackage(options: {
    name: string;
    uplinksLook: boolean;
    req: unknown;
    callback: (error: unknown, manifest?: unknown) => void;
  }): void;
}

export interface PluginContext {
  trust: OidcIssuer[];
  publishers: TrustedPublisher[];
  exchanges: Exchange[];
  /** The request record of a raw request, to complete with the parsed body. */
  recordOf(req: IncomingMessage): RecordedRequest | undefined;
  tokenLifetime: string;
  /** The one-time password of every user's authenticator: `npm trust` writes need it (npm-otp header). */
  otp?: string;
  /** npm's staged publishing: versions awaiting approval. */
  stage: StageStore;
}

export const EXCHANGE_PATH = "/-/npm/v1/oidc/token/exchange/package/:name";
/** The group that marks a token minted by the exchange, and binds it to one package. */
const OIDC_GROUP_PREFIX = "oidc-package:";
const AUTHENTICATED_GROUPS = ["$all", "$authenticated", "@all", "@authenticated", "all"];

/** `register_middlewares` of the plugin: mounted by Verdaccio after its auth and before its API routes. */
export function registerMiddlewares(
  context: PluginContext,
): (app: ExpressApp, auth: VerdaccioAuth, storage: VerdaccioStorage) => void {
  return (app, auth, storage) => {
    app.use(recordBody(context));
    app.use(enforcePackageScope);
    app.post(EXCHANGE_PATH, async (req, res) => {
      const name = req.params.name ?? "";
      try {
        const outcome = await exchange(req, name, context, (target) => packageExists(storage, req, target));
        const seen = outcome.claims ? { claims: outcome.claims } : {};
        if (outcome.status !== 201) {
          context.exchanges.push({ package: name, status: outcome.status, reason: outcome.reason, ...seen });
          res.status(outcome.status).json({ error: outcome.reason, message: outcome.reason });
          return;
        }
        const token = await mintToken(auth, name, context.tokenLifetime);
        context.exchanges.push({ package: name, status: 201, reason: "ok", token, ...seen });
        res.status(201).json({ token });
      } catch (error) {
        // Express 4 does not catch a rejected handler: answer here rather than leave npm waiting.
        const reason = `exchange failed: ${(error as Error).message}`;
        context.exchanges.push({ package: name, status: 500, reason });
        res.status(500).json({ error: reason, message: reason });
      }
    });
    registerTrustRoutes(app, storage, context);
    app.get("/-/package/:name/visibility", async (req, res) => {
      const name = req.params.name ?? "";
      if (!(await packageExists(storage, req, name))) {
        res.status(404).json({ error: "Not found" });
        return;
      }
      res.status(200).json({ public: true });
    });
    registerStageRoutes(app, context.stage, publishAs, (req, name, version) =>
      versionExists(storage, req, name, version),
    );
  };
}

async function exchange(
  req: ExpressRequest,
  name: string,
  context: PluginContext,
  exists: (name: string) => Promise<boolean>,
): Promise<ExchangeOutcome> {
  if (context.trust.length === 0) return { status: 404, reason: "this registry trusts no OIDC issuer" };
  const idToken = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
  if (!idToken) return { status: 401, reason: "missing bearer ID token" };
  const trust = issuerOf(idToken, context.trust) as OidcIssuer;
  // npm asks for the audience `npm:<registry hostname>` (GitLab: the `aud` of the job's NPM_ID_TOKEN).
  const verified = await verifyIdToken(idToken, trust, `npm:${req.hostname}`);
  if ("error" in verified) return { status: 401, reason: verified.error };
  const claims = exchangeClaims(verified.claims);
  if (!(await exists(name))) return { status: 404, reason: `package ${name} not found`, claims };
  const publisher = findTrustedPublisher(context.publishers, name, verified.claims);
  if (typeof publisher === "string") return { status: 404, reason: publisher, claims };
  return { status: 201, reason: "ok", publisher, claims };
}

function mintToken(auth: VerdaccioAuth, name: string, expiresIn: string): Promise<string> {
  const groups = [...AUTHENTICATED_GROUPS, `${OIDC_GROUP_PREFIX}${name}`];
  return auth.jwtEncrypt({ name: "oidc-trusted-publisher", groups, real_groups: groups }, { expiresIn });
}

function packageExists(storage: VerdaccioStorage, req: unknown, name: string): Promise<boolean> {
  return new Promise((resolve) => {
    storage.getPackage({ name, uplinksLook: false, req, callback: (error) => resolve(!error) });
  });
}

/** PUTs a publish document to this registry with the caller's own authorization (an approval publishes as the approver). */
async function publishAs(req: ExpressRequest, name: string, document: unknown): Promise<number> {
  const response = await fetch(`http://${req.headers.host}/${name.replace("/", "%2f")}`, {
    method: "PUT",
    headers: { "content-type": "application/json", authorization: req.headers.authorization ?? "" },
    body: JSON.stringify(document),
  });
  await response.arrayBuffer();
  return response.status;
}

function versionExists(
  storage: VerdaccioStorage,
  req: unknown,
  name: string,
  version: string,
): Promise<boolean> {
  return new Promise((resolve) => {
    storage.getPackage({
      name,
      uplinksLook: false,
      req,
      callback: (error, manifest) =>
        resolve(!error && Boolean((manifest as { versions?: Record<string, unknown> })?.versions?.[version])),
    });
  });
}

/** A token from the exchange may change only the package it was minted for, like npm's. */
function enforcePackageScope(req: ExpressRequest, res: ExpressResponse, next: Next): void {
  const scoped = req.remote_user?.groups?.find((group) => group.startsWith(OIDC_GROUP_PREFIX));
  const allowed = scoped?.slice(OIDC_GROUP_PREFIX.length);
  const isRead = req.method === "GET" || req.method === "HEAD";
  if (allowed === undefined || isRead || packageOfWrite(req.url ?? "/") === allowed) {
    next();
    return;
  }
  res.status(403).json({ error: `this OIDC token may only publish ${allowed}` });
}

function recordBody(context: PluginContext): Middleware {
  return (req, _res, next) => {
    const record = context.recordOf(req);
    const body = req.body;
    if (record && typeof body === "object" && body !== null && Object.keys(body).length > 0) {
      record.body = Buffer.from(JSON.stringify(body));
    }
    next();
  };
}

/**
 * npmjs.com answers a package write with an invalid token 404 (npm: E404) where Verdaccio answers 401: on a real
 * runner that is what a failed OIDC exchange falling back to setup-node's placeholder token looks like.
 */
export function answerBadTokenWritesLikeNpmjs(req: IncomingMessage, res: ServerResponse): void {
  const isWrite = req.method === "PUT" || req.method === "DELETE";
  if (!isWrite || !req.headers.authorization || packageOfWrite(req.url ?? "/") === undefined) return;
  const writeHead = res.writeHead.bind(res) as (status: number, ...rest: unknown[]) => ServerResponse;
  res.writeHead = ((status: number, ...rest: unknown[]) =>
    writeHead(status === 401 ? 404 : status, ...rest)) as ServerResponse["writeHead"];
}
