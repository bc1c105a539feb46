import { randomBytes, randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from "jose";
import { type RecordedRequest, sendJson, startHttpServer, type TestServer } from "./http.js";

/** The claims GitHub Actions puts in a job's OIDC ID token. */
export interface GithubClaims extends JWTPayload {
  sub: string;
  repository: string;
  repository_id: string;
  repository_owner: string;
  repository_owner_id: string;
  repository_visibility: "public" | "private" | "internal";
  ref: string;
  ref_type: "branch" | "tag";
  sha: string;
  /** The workflow's `name:`, not its file. */
  workflow: string;
  workflow_ref: string;
  workflow_sha: string;
  job_workflow_ref: string;
  job_workflow_sha: string;
  event_name: string;
  environment?: string;
  run_id: string;
  run_number: string;
  run_attempt: string;
  actor: string;
  actor_id: string;
  runner_environment: string;
}

/**
 * Claim overrides. `repository`, `ref`, `environment` and `workflowFile` (e.g. `publish.yml`) also re-derive the
 * claims built from them (`sub`, `repository_owner`, `workflow_ref`, `job_workflow_ref`, `ref_type`) unless those
 * are given too. An explicit `environment: undefined` removes a default environment.
 */
export type ClaimOverrides = Partial<GithubClaims> & { workflowFile?: string };

export interface IdTokenServerOptions {
  /** Defaults for every token of this server (see `ClaimOverrides`). */
  claims?: ClaimOverrides;
}

export interface IdTokenServer extends TestServer {
  /** `url` without the trailing slash: the `iss` of every token and the OpenID configuration's issuer. */
  issuer: string;
  /** Public keys, for `createLocalJWKSet` (also served at `/.well-known/jwks`). */
  jwks: JSONWebKeySet;
  /** The request token of the server-level claims (`ACTIONS_ID_TOKEN_REQUEST_TOKEN`). */
  requestToken: string;
  /** The claims a token of this server carries besides `iss`, `aud`, `jti`, `iat`, `nbf`, `exp`. */
  defaultClaims: GithubClaims;
  /** Every ID token the endpoint handed out, in order (for secret-leak checks). */
  issued: string[];
  /** Signs a token with this server's key: default claims, then `claims` (which may also set `aud`, `exp`, ...). */
  sign(claims?: ClaimOverrides): Promise<string>;
  /**
   * The env of a GitHub Actions job with `permissions: id-token: write` whose ID tokens carry `overrides`
   * on top of the server's claims (each call gets its own request token).
   */
  githubEnv(overrides?: ClaimOverrides): Record<string, string>;
}

const TOKEN_LIFETIME_SECONDS = 300;
const DEFAULT_REPOSITORY = "octo-org/octo-repo";
const DEFAULT_REF = "refs/heads/main";
const DEFAULT_WORKFLOW_FILE = "release.yml";
const DEFAULT_SHA = "5f2d4c0e7a9b1c3d5e7f90a1b2c3d4e5f6a7b8c9";

/** A stand-in for GitHub Actions' ID-token endpoint: `GET /token?audience=...` with the job's request token. */
export async function startIdTokenServer(options: IdTokenServerOptions = {}): Promise<IdTokenServer> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const kid = `testkit-${randomBytes(4).toString("hex")}`;
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }] };
  const serverClaims = options.claims ?? {};
  const claimsByRequestToken = new Map<string, ClaimOverrides>();
  const issued: string[] = [];
  let issuer = "";

  const sign = (claims: ClaimOverrides = {}) => {
    const payload = tokenPayload(issuer, { ...serverClaims, ...claims });
    return new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid, typ: "JWT" }).sign(privateKey);
  };
  const server = await startHttpServer((req, res) =>
    route(req, res, { issuer, jwks, claimsByRequestToken, issued, sign }),
  );
  issuer = server.url.replace(/\/$/, "");

  const requestToken = newRequestToken();
  claimsByRequestToken.set(requestToken, {});
  return {
    ...server,
    issuer,
    jwks,
    requestToken,
    defaultClaims: deriveClaims(serverClaims),
    issued,
    sign,
    githubEnv(overrides = {}) {
      const token = Object.keys(overrides).length === 0 ? requestToken : newRequestToken();
      claimsByRequestToken.set(token, overrides);
      return githubJobEnv(server.url, token, deriveClaims({ ...serverClaims, ...overrides }));
    },
  };
}

interface RouteContext {
  issuer: string;
  jwks: JSONWebKeySet;
  claimsByRequestToken: Map<string, ClaimOverrides>;
  issued: string[];
  sign(claims: ClaimOverrides): Promise<string>;
}

async function route(req: RecordedRequest, res: ServerResponse, context: RouteContext): Promise<void> {
  if (req.method !== "GET") return sendJson(res, 405, { message: "Method Not Allowed" });
  if (req.path === "/.well-known/openid-configuration")
    return sendJson(res, 200, openidConfiguration(context));
  if (req.path === "/.well-known/jwks") return sendJson(res, 200, context.jwks);
  if (req.path === "/token") return issueToken(req, res, context);
  sendJson(res, 404, { message: "Not Found" });
}

async function issueToken(req: RecordedRequest, res: ServerResponse, context: RouteContext): Promise<void> {
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
  const overrides = bearer === undefined ? undefined : context.claimsByRequestToken.get(bearer);
  if (!overrides) return sendJson(res, 401, { message: "Unauthorized: bad or missing request token" });
  const audience = req.query.get("audience");
  const value = await context.sign(audience ? { ...overrides, aud: audience } : overrides);
  context.issued.push(value);
  sendJson(res, 200, { count: value.length, value });
}

function openidConfiguration(context: RouteContext): Record<string, unknown> {
  return {
    issuer: context.issuer,
    jwks_uri: `${context.issuer}/.well-known/jwks`,
    subject_types_supported: ["public", "pairwise"],
    response_types_supported: ["id_token"],
    claims_supported: ["sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository", "environment"],
    id_token_signing_alg_values_supported: ["RS256"],
    scopes_supported: ["openid"],
  };
}

function tokenPayload(issuer: string, overrides: ClaimOverrides): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  const claims = deriveClaims(overrides);
  return {
    jti: randomUUID(),
    iss: issuer,
    // GitHub's default audience is the URL of the repository owner.
    aud: `https://github.com/${claims.repository_owner}`,
    iat: now,
    nbf: now - 5,
    exp: now + TOKEN_LIFETIME_SECONDS,
    ...claims,
  };
}

/** GitHub's claim set for a job, built from the few facts that determine it, then the explicit overrides. */
export function deriveClaims(overrides: ClaimOverrides = {}): GithubClaims {
  const { workflowFile = DEFAULT_WORKFLOW_FILE, ...explicit } = overrides;
  const repository = explicit.repository ?? DEFAULT_REPOSITORY;
  const ref = explicit.ref ?? DEFAULT_REF;
  const environment = "environment" in explicit ? explicit.environment : undefined;
  const sha = explicit.sha ?? DEFAULT_SHA;
  const workflowRef = `${repository}/.github/workflows/${workflowFile}@${ref}`;
  const claims: GithubClaims = {
    sub: environment ? `repo:${repository}:environment:${environment}` : `repo:${repository}:ref:${ref}`,
    repository,
    repository_id: "690000001",
    repository_owner: repository.split("/")[0] ?? "",
    repository_owner_id: "190000001",
    repository_visibility: "public",
    ref,
    ref_type: ref.startsWith("refs/tags/") ? "tag" : "branch",
    sha,
    workflow: "Release",
    workflow_ref: workflowRef,
    workflow_sha: sha,
    job_workflow_ref: workflowRef,
    job_workflow_sha: sha,
    event_name: "push",
    run_id: "9000000001",
    run_number: "42",
    run_attempt: "1",
    actor: "octocat",
    actor_id: "583231",
    runner_environment: "github-hosted",
    ...explicit,
  };
  if (environment === undefined) delete claims.environment;
  return claims;
}

/** What `env` shows in a job step: the Actions variables and the ID-token request pair. */
function githubJobEnv(serverUrl: string, requestToken: string, claims: GithubClaims): Record<string, string> {
  return {
    CI: "true",
    GITHUB_ACTIONS: "true",
    // npm and @actions/core append `&audience=...`: the URL already carries a query, as on real runners.
    ACTIONS_ID_TOKEN_REQUEST_URL: `${serverUrl}token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    GITHUB_REPOSITORY: claims.repository,
    GITHUB_REPOSITORY_ID: claims.repository_id,
    GITHUB_REPOSITORY_OWNER: claims.repository_owner,
    GITHUB_REPOSITORY_OWNER_ID: claims.repository_owner_id,
    GITHUB_WORKFLOW: claims.workflow,
    GITHUB_WORKFLOW_REF: claims.workflow_ref,
    GITHUB_WORKFLOW_SHA: claims.workflow_sha,
    GITHUB_REF: claims.ref,
    GITHUB_REF_NAME: claims.ref.replace(/^refs\/(heads|tags)\//, ""),
    GITHUB_REF_TYPE: claims.ref_type,
    GITHUB_SHA: claims.sha,
    GITHUB_EVENT_NAME: claims.event_name,
    GITHUB_ACTOR: claims.actor,
    GITHUB_ACTOR_ID: claims.actor_id,
    GITHUB_RUN_ID: claims.run_id,
    GITHUB_RUN_NUMBER: claims.run_number,
    GITHUB_RUN_ATTEMPT: claims.run_attempt,
    GITHUB_JOB: "release",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_API_URL: "https://api.github.com",
    GITHUB_GRAPHQL_URL: "https://api.github.com/graphql",
    RUNNER_ENVIRONMENT: claims.runner_environment,
    RUNNER_OS: "Linux",
    RUNNER_ARCH: "X64",
  };
}

function newRequestToken(): string {
  return `actions-request-${randomBytes(24).toString("base64url")}`;
}
