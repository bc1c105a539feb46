import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";

/** An issuer of ID tokens the registry trusts, e.g. `startIdTokenServer()` itself. */
export interface OidcIssuer {
  issuer: string;
  jwks: JSONWebKeySet;
}

/** A GitHub Actions trusted publisher as configured on an npm package's settings page. */
export interface TrustedPublisher {
  /** Exact package name or a glob: `*` matches within a name part (`@acme/*`, `@rel*\/*`), `**` anything. */
  package: string;
  /** `owner/repo`. */
  repository: string;
  /** Workflow file name, e.g. `release.yml`: the top-level workflow (`workflow_ref`), as npm checks it. */
  workflow: string;
  /** When set, the token's `environment` claim must equal it. */
  environment?: string;
  /** Set when created through npm's trust API (`npm trust`): its id, provider and allowed actions. */
  id?: string;
  type?: "github" | "gitlab";
  permissions?: string[];
}

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

/** The claims a trusted publisher is matched on. */
export interface ExchangeClaims {
  repository: string;
  workflow: string;
  environment?: string;
}

export type ExchangeOutcome = { claims?: ExchangeClaims } & (
  | { status: 201; reason: "ok"; publisher: TrustedPublisher }
  | { status: 401 | 404; reason: string }
);

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
      requiredClaims: ["exp", "iat", "repository"],
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
  const repository = String(claims.repository ?? "");
  if (repository !== publisher.repository) return `repository ${repository} is not ${publisher.repository}`;
  const workflow = workflowFile(claims);
  if (workflow !== publisher.workflow) return `workflow ${workflow} is not ${publisher.workflow}`;
  if (publisher.environment !== undefined && claims.environment !== publisher.environment) {
    return `environment ${String(claims.environment ?? "(none)")} is not ${publisher.environment}`;
  }
  return undefined;
}

export function exchangeClaims(claims: JWTPayload): ExchangeClaims {
  const summary: ExchangeClaims = {
    repository: String(claims.repository ?? ""),
    workflow: workflowFile(claims),
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
