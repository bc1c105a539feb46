import { randomBytes, randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from "jose";
import { sendJson, startHttpServer, type TestServer } from "./http.js";

/** The claims GitLab CI puts in a job's ID token (`id_tokens:`), as documented for GitLab 17/18. */
export interface GitlabClaims extends JWTPayload {
  sub: string;
  namespace_id: string;
  namespace_path: string;
  project_id: string;
  project_path: string;
  user_id: string;
  user_login: string;
  user_email: string;
  user_access_level: string;
  pipeline_id: string;
  pipeline_source: string;
  job_id: string;
  ref: string;
  ref_type: "branch" | "tag";
  ref_path: string;
  ref_protected: "true" | "false";
  environment?: string;
  environment_protected?: "true" | "false";
  deployment_tier?: string;
  environment_action?: string;
  runner_id: number;
  runner_environment: "gitlab-hosted" | "self-hosted";
  sha: string;
  project_visibility: "public" | "private" | "internal";
  /** `<host>/<project_path>//<ci config path>@<ref_path>`. */
  ci_config_ref_uri: string;
  ci_config_sha: string;
}

/**
 * Claim overrides. `project_path`, `ref`, `ref_type`, `environment` and `configPath` (default `.gitlab-ci.yml`)
 * re-derive the claims built from them (`sub`, `namespace_path`, `ref_path`, `ci_config_ref_uri`) unless those are
 * given too. An explicit `environment: undefined` removes a default environment.
 */
export type GitlabClaimOverrides = Partial<GitlabClaims> & { configPath?: string };

export interface GitlabIdTokenOptions {
  /** Defaults for every token of this issuer. */
  claims?: GitlabClaimOverrides;
  /** The GitLab host in `ci_config_ref_uri` and `CI_SERVER_HOST` (default `gitlab.com`). */
  host?: string;
}

/** One `id_tokens:` entry of a job: the variable GitLab sets and the `aud` it asked for (absent: not declared). */
export type IdTokenRequests = Record<string, string | string[]>;

export interface GitlabIdTokenIssuer extends TestServer {
  /** `url` without the trailing slash: the `iss` of every token (GitLab's is its instance URL). */
  issuer: string;
  jwks: JSONWebKeySet;
  host: string;
  defaultClaims: GitlabClaims;
  /** Every token signed, in order (for secret-leak checks). */
  issued: string[];
  /** A token with the issuer's default claims, then `claims` (which may also set `aud`, `exp`, ...). */
  sign(claims?: GitlabClaimOverrides): Promise<string>;
  /**
   * The variables GitLab sets in a job: the predefined `CI_*` ones and one ID token per `id_tokens:` entry
   * (`{ NPM_ID_TOKEN: "npm:registry.npmjs.org", PYPI_ID_TOKEN: "pypi" }`), each with `overrides` on top.
   */
  jobEnv(idTokens: IdTokenRequests, overrides?: GitlabClaimOverrides): Promise<Record<string, string>>;
}

const TOKEN_LIFETIME_SECONDS = 300;
const DEFAULT_PROJECT = "event-forge/event-forge";
const DEFAULT_SHA = "7c3d1a9b5e2f40c8d6a1b3e5f7092a4c6e8b0d2f";

/**
 * A stand-in for a GitLab instance's ID-token issuer: RS256 JWTs with GitLab's claims, its JWKS at
 * `/oauth/discovery/keys` and its OpenID configuration. GitLab hands the tokens to jobs as variables, so there
 * is no token endpoint: `jobEnv` builds them.
 */
export async function startGitlabIdTokenIssuer(
  options: GitlabIdTokenOptions = {},
): Promise<GitlabIdTokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const kid = `testkit-gitlab-${randomBytes(4).toString("hex")}`;
  const jwks: JSONWebKeySet = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }] };
  const host = options.host ?? "gitlab.com";
  const serverClaims = options.claims ?? {};
  const issued: string[] = [];
  let issuer = "";
  const server = await startHttpServer((req, res) => {
    if (req.path === "/.well-known/openid-configuration") {
      return sendJson(res, 200, {
        issuer,
        jwks_uri: `${issuer}/oauth/discovery/keys`,
        id_token_signing_alg_values_supported: ["RS256"],
      });
    }
    if (req.path === "/oauth/discovery/keys") return sendJson(res, 200, jwks);
    sendJson(res, 404, { message: "404 Not Found" });
  });
  issuer = server.url.replace(/\/$/, "");

  const sign = async (claims: GitlabClaimOverrides = {}) => {
    const payload = gitlabTokenPayload(issuer, host, { ...serverClaims, ...claims });
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
      .sign(privateKey);
    issued.push(token);
    return token;
  };
  return {
    ...server,
    issuer,
    jwks,
    host,
    defaultClaims: deriveGitlabClaims(host, serverClaims),
    issued,
    sign,
    async jobEnv(idTokens, overrides = {}) {
      const claims = deriveGitlabClaims(host, { ...serverClaims, ...overrides });
      const env = gitlabJobEnv(host, claims, overrides.configPath ?? serverClaims.configPath);
      for (const [variable, aud] of Object.entries(idTokens))
        env[variable] = await sign({ ...overrides, aud });
      return env;
    },
  };
}

function gitlabTokenPayload(issuer: string, host: string, overrides: GitlabClaimOverrides): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  const claims = deriveGitlabClaims(host, overrides);
  return {
    jti: randomUUID(),
    iss: issuer,
    // Every `id_tokens:` entry names its `aud`; `sign()` without one gets the instance URL.
    aud: issuer,
    iat: now,
    nbf: now - 5,
    exp: now + TOKEN_LIFETIME_SECONDS,
    ...claims,
  };
}

/** GitLab's claim set for a job from the few facts that determine it, then the explicit overrides. */
export function deriveGitlabClaims(host: string, overrides: GitlabClaimOverrides = {}): GitlabClaims {
  const { configPath = ".gitlab-ci.yml", ...explicit } = overrides;
  const projectPath = explicit.project_path ?? DEFAULT_PROJECT;
  const ref = explicit.ref ?? "main";
  const refType = explicit.ref_type ?? "branch";
  const refPath = explicit.ref_path ?? `refs/${refType === "tag" ? "tags" : "heads"}/${ref}`;
  const environment = "environment" in explicit ? explicit.environment : undefined;
  const sha = explicit.sha ?? DEFAULT_SHA;
  const claims: GitlabClaims = {
    sub: `project_path:${projectPath}:ref_type:${refType}:ref:${ref}`,
    namespace_id: "4200001",
    namespace_path: projectPath.slice(0, projectPath.lastIndexOf("/")),
    project_id: "6900001",
    project_path: projectPath,
    user_id: "1900001",
    user_login: "release-bot",
    user_email: "release-bot@example.com",
    user_access_level: "maintainer",
    pipeline_id: "1500000001",
    pipeline_source: "push",
    job_id: "9100000001",
    ref,
    ref_type: refType,
    ref_path: refPath,
    ref_protected: "true",
    runner_id: 12270807,
    runner_environment: "gitlab-hosted",
    sha,
    project_visibility: "public",
    ci_config_ref_uri: `${host}/${projectPath}//${configPath}@${refPath}`,
    ci_config_sha: sha,
    ...(environment
      ? {
          environment,
          environment_protected: "true" as const,
          deployment_tier: "production",
          environment_action: "start",
        }
      : {}),
    ...explicit,
  };
  if (environment === undefined) {
    delete claims.environment;
    delete claims.environment_protected;
    delete claims.deployment_tier;
    delete claims.environment_action;
  }
  return claims;
}

/** The predefined variables a GitLab job sees (a subset: those a release tool reads). */
function gitlabJobEnv(
  host: string,
  claims: GitlabClaims,
  configPath = ".gitlab-ci.yml",
): Record<string, string> {
  const [namespace, name] = [claims.namespace_path, claims.project_path.split("/").at(-1) ?? ""];
  return {
    CI: "true",
    GITLAB_CI: "true",
    CI_SERVER: "yes",
    CI_SERVER_HOST: host,
    CI_SERVER_URL: `https://${host}`,
    CI_PROJECT_PATH: claims.project_path,
    CI_PROJECT_NAMESPACE: namespace,
    CI_PROJECT_NAME: name,
    CI_PROJECT_ID: claims.project_id,
    CI_PROJECT_URL: `https://${host}/${claims.project_path}`,
    CI_PROJECT_VISIBILITY: claims.project_visibility,
    CI_CONFIG_PATH: configPath,
    CI_COMMIT_REF_NAME: claims.ref,
    CI_COMMIT_SHA: claims.sha,
    ...(claims.ref_type === "branch" ? { CI_COMMIT_BRANCH: claims.ref } : { CI_COMMIT_TAG: claims.ref }),
    CI_DEFAULT_BRANCH: "main",
    CI_PIPELINE_ID: claims.pipeline_id,
    CI_PIPELINE_SOURCE: claims.pipeline_source,
    CI_JOB_ID: claims.job_id,
    CI_JOB_NAME: "release",
    ...(claims.environment ? { CI_ENVIRONMENT_NAME: claims.environment } : {}),
  };
}
