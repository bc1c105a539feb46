import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";

/**
 * An issuer of ID tokens the registry trusts, e.g. `startIdTokenServer()` (GitHub, the default) or
 * `startGitlabIdTokenIssuer()` (`provider: "gitlab"`).
 */
export interface OidcIssuer {
  issuer: string;
  jwks: JSONWebKeySet;
  provider?: "github" | "gitlab";
}

/** Set when a publisher was created through npm's trust API (`npm trust`): its id and allowed actions. */
interface TrustRecord {
  id?: string;
  permissions?: string[];
}

/** A GitHub Actions trusted publisher as configured on an npm package's settings page. */
export interface GithubTrustedPublisher extends TrustRecord {
  provider?: "github";
  /** Exact package name or a glob: `*` matches within a name part (`@acme/*`, `@rel*\/*`), `**` anything. */
  package: string;
  /** `owner/repo`. */
  repository: string;
  /** Workflow file name, e.g. `release.yml`: the top-level workflow (`workflow_ref`), as npm checks it. */
  workflow: string;
  /** When set, the token's `environment` claim must equal it. */
  environment?: string;
}

/** A GitLab CI/CD trusted publisher: npm's form asks for namespace, project, top-level CI file and environment. */
export interface GitlabTrustedPublisher extends TrustRecord {
  provider: "gitlab";
  package: string;
  /** `namespace/project` (the `project_path` claim), compared case-insensitively as GitLab paths are. */
  projectPath: string;
  /** The top-level pipeline file, e.g. `.gitlab-ci.yml` (the path in the `ci_config_ref_uri` claim). */
  configPath: string;
  environment?: string;
}

export type TrustedPublisher = GithubTrustedPublisher | GitlabTrustedPublisher;

/** One call of the token-exchange endpoint, as the registry answered it. */
export interface Exchange {
  package: string;
  status: number;
  /** Why it was refused (or `ok`). Never contains a token. */
  reason: string;
  /** The minted registry token (201 only); kept so tests can check it never leaks into output. */
  token?: string;
  /** What a verified ID token said (absent when it could not be verified). */
  claims?: ExchangeClaims;
}

/** The claims a trusted publisher is matched on (GitLab: `repository` is `project_path`, `workflow` the CI file). */
export interface ExchangeClaims {
  repository: string;
  workflow: string;
  environment?: string;
}

export type ExchangeOutcome = { claims?: ExchangeClaims } & (
  | { status: 201; reason: "ok"; publisher: TrustedPublisher }
  | { status: 401 | 404; reason: string }
);

/** The trusted issuer a token names (by its unverified `iss`), or the only one when none matches. */
export function issuerOf(token: string, trusted: readonly OidcIssuer[]): OidcIssuer | undefined {
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    return trusted[0];
  }
  return trusted.find((trust) => trust.issuer === iss) ?? trusted[0];
}

/** Only the claims the exchange reads; the signature, issuer, audience and times are checked by jose. */
export async function verifyIdToken(
  token: string,
  trust: OidcIssuer,
  audience: string,
): Promise<{ claims: JWTPayload } | { error: string }> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(trust.jwks), {
      issuer: trust.issuer,
      audience,
      algorithms: ["RS256"],
      requiredClaims: ["exp", "iat", trust.provider === "gitlab" ? "project_path" : "repository"],
    });
    return { claims: payload };
  } catch (error) {
    const code = (error as { code?: string }).code ?? "ERR_JWT_INVALID";
    return { error: `invalid ID token (${code}): ${(error as Error).message}` };
  }
}

/** The first publisher of `packageName` whose rules the claims satisfy, or why none does. */
export function findTrustedPublisher(
  publishers: readonly TrustedPublisher[],
  packageName: string,
  claims: JWTPayload,
): TrustedPublisher | string {
  const forPackage = publishers.filter((publisher) => packageMatches(publisher.package, packageName));
  if (forPackage.length === 0) return `no trusted publisher is configured for ${packageName}`;
  const mismatches = forPackage.map((publisher) => mismatch(publisher, claims));
  const index = mismatches.indexOf(undefined);
  if (index >= 0) return forPackage[index] as TrustedPublisher;
  return `no trusted publisher of ${packageName} matches: ${mismatches.join("; ")}`;
}

function mismatch(publisher: TrustedPublisher, claims: JWTPayload): string | undefined {
  if (publisher.provider === "gitlab") return gitlabMismatch(publisher, claims);
  if (claims.project_path !== undefined)
    return "a GitLab ID token, but the trusted publisher is GitHub Actions";
  const repository = String(claims.repository ?? "");
  if (repository !== publisher.repository) return `repository ${repository} is not ${publisher.repository}`;
  const workflow = workflowFile(claims);
  if (workflow !== publisher.workflow) return `workflow ${workflow} is not ${publisher.workflow}`;
  if (publisher.environment !== undefined && claims.environment !== publisher.environment) {
    return `environment ${String(claims.environment ?? "(none)")} is not ${publisher.environment}`;
  }
  return undefined;
}

/** npm's GitLab check: `project_path`, the CI file of `ci_config_ref_uri`, `environment` when configured. */
function gitlabMismatch(publisher: GitlabTrustedPublisher, claims: JWTPayload): string | undefined {
  if (claims.project_path === undefined)
    return "a GitHub ID token, but the trusted publisher is GitLab CI/CD";
  const projectPath = String(claims.project_path);
  if (projectPath.toLowerCase() !== publisher.projectPath.toLowerCase()) {
    return `project_path ${projectPath} is not ${publisher.projectPath}`;
  }
  const configPath = gitlabConfigPath(claims);
  if (configPath !== publisher.configPath) {
    return `ci_config_ref_uri names ${configPath || "(no file)"}, not ${publisher.configPath}`;
  }
  if (publisher.environment !== undefined && claims.environment !== publisher.environment) {
    return `environment ${String(claims.environment ?? "(none)")} is not ${publisher.environment}`;
  }
  return undefined;
}

/** `gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main` -> `.gitlab-ci.yml`. */
export function gitlabConfigPath(claims: JWTPayload): string {
  const uri = String(claims.ci_config_ref_uri ?? "");
  const start = uri.indexOf("//");
  const end = uri.lastIndexOf("@");
  return start < 0 || end < start ? "" : uri.slice(start + 2, end);
}

export function exchangeClaims(claims: JWTPayload): ExchangeClaims {
  const gitlab = claims.project_path !== undefined;
  const summary: ExchangeClaims = {
    repository: String((gitlab ? claims.project_path : claims.repository) ?? ""),
    workflow: gitlab ? gitlabConfigPath(claims) : workflowFile(claims),
  };
  if (typeof claims.environment === "string") summary.environment = claims.environment;
  return summary;
}

/**
 * `owner/repo/.github/workflows/release.yml@refs/heads/main` -> `release.yml`. npm checks the workflow that was
 * run (`workflow_ref`): with `workflow_call`, the caller, not the reusable workflow holding `npm publish`.
 */
export function workflowFile(claims: JWTPayload): string {
  const ref = String(claims.workflow_ref ?? claims.job_workflow_ref ?? "");
  const path = ref.split("@")[0] ?? "";
  return path.slice(path.lastIndexOf("/") + 1);
}

export function packageMatches(pattern: string, name: string): boolean {
  if (!pattern.includes("*")) return pattern === name;
  const source = pattern
    .split("**")
    .map((part) => part.split("*").map(escapeRegExp).join("[^/]*"))
    .join(".*");
  return new RegExp(`^${source}$`).test(name);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

/** The package a write request (publish, unpublish, dist-tag change) targets, from its raw path. */
export function packageOfWrite(rawPath: string): string | undefined {
  const segments = rawPath.split("?")[0]?.split("/").filter(Boolean) ?? [];
  const [first, second, third, fourth] = segments;
  if (first === "-" && second === "stage")
    return third === "package" && fourth ? decodeURIComponent(fourth) : undefined;
  if (first === "-") return second === "package" && third ? decodeURIComponent(third) : undefined;
  if (!first) return undefined;
  const decoded = decodeURIComponent(first);
  // An unescaped scoped name spans two segments: /@scope/name.
  return decoded.startsWith("@") && !decoded.includes("/") && second ? `${decoded}/${second}` : decoded;
}
