import { randomBytes } from "node:crypto";
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";
import { normalizeProjectName } from "./pypi-names.js";

interface PublisherBase {
  /**
   * PyPI project name (any spelling; compared PEP 503-normalized). A testkit extension: `*` in it makes a
   * pattern (`acme-*`, `*`) for tests that publish many throw-away projects; real PyPI has no such thing.
   */
  project: string;
  /** When set, the ID token's `environment` claim must equal it (case-insensitive). */
  environment?: string;
  /** A "pending" publisher: it may create the project on first use, and fails once the project exists. */
  pending?: boolean;
}

/** A GitHub trusted publisher as configured on a PyPI project's "Publishing" page. */
export interface PypiGithubPublisher extends PublisherBase {
  provider?: "github";
  /** `owner/repo`, compared case-insensitively like warehouse. */
  repository: string;
  /** Workflow file name, e.g. `publish.yml`. */
  workflow: string;
  /** When set, must equal the `repository_owner_id` claim (warehouse always stores it). */
  repositoryOwnerId?: string;
}

/** A GitLab trusted publisher: PyPI's form asks for namespace, project, top-level pipeline file, environment. */
export interface PypiGitlabPublisher extends PublisherBase {
  provider: "gitlab";
  /** `namespace/project` on GitLab (the `project_path` claim), compared case-insensitively. */
  projectPath: string;
  /** The top-level pipeline file, e.g. `.gitlab-ci.yml`. */
  workflowFilepath: string;
  /** The GitLab host of `ci_config_ref_uri` (default `gitlab.com`). */
  host?: string;
}

export type PypiTrustedPublisher = PypiGithubPublisher | PypiGitlabPublisher;

export interface OidcTrust {
  issuer: string;
  jwks: JSONWebKeySet;
  /** Which publisher kind the issuer's tokens are matched against (warehouse routes by `iss`). */
  provider?: "github" | "gitlab";
}

export interface MintError {
  code: string;
  description: string;
}

export interface MintedToken {
  /** Whether the token may upload to `project` (any spelling). */
  allows(project: string): boolean;
  notBefore: number;
  expires: number;
  publisher: PypiTrustedPublisher;
}

export type MintResult = { ok: true; token: string; minted: MintedToken } | { ok: false; error: MintError };

/** Warehouse verifies GitHub tokens with a 30 s leeway on `exp`/`nbf`/`iat`. */
const CLOCK_LEEWAY_SECONDS = 30;
const TOKEN_LIFETIME_SECONDS = 900;

/** Trusted-publisher token exchange with warehouse's error codes (`warehouse/oidc/views.py`). */
export class PypiOidc {
  readonly #trust: OidcTrust[];
  readonly #publishers: PypiTrustedPublisher[];
  readonly #usedJwtIds = new Set<string>();
  readonly #tokens = new Map<string, MintedToken>();

  constructor(trust: OidcTrust | OidcTrust[] | undefined, publishers: PypiTrustedPublisher[]) {
    this.#trust = [trust ?? []].flat();
    this.#publishers = publishers.map((publisher) => ({ ...publisher }));
  }

  get mintedCount(): number {
    return this.#tokens.size;
  }

  get publishers(): readonly PypiTrustedPublisher[] {
    return this.#publishers;
  }

  addPublisher(publisher: PypiTrustedPublisher): void {
    this.#publishers.push({ ...publisher });
  }

  lookupToken(token: string): MintedToken | undefined {
    return this.#tokens.get(token);
  }

  /** `projectExists` decides whether a pending publisher may still create its project. */
  async mint(body: Buffer, projectExists: (name: string) => boolean): Promise<MintResult> {
    const unverified = readTokenPayload(body);
    if (typeof unverified !== "string") return fail("invalid-payload", unverified.description);
    let issuer: unknown;
    try {
      issuer = decodeJwt(unverified).iss;
    } catch {
      return fail("invalid-payload", "malformed JWT");
    }
    const trust = this.#trust.find((candidate) => candidate.issuer === issuer);
    if (!trust) return fail("invalid-payload", "unknown trusted publishing issuer");
    const claims = await verifyIdToken(unverified, trust);
    if (!claims) return fail("invalid-token", "malformed or invalid token");

    const publisher =
      trust.provider === "gitlab" ? this.#findGitlabPublisher(claims) : this.#findPublisher(claims);
    if (typeof publisher === "string") {
      return fail("invalid-publisher", `valid token, but no corresponding publisher (${publisher})`);
    }
    if (publisher.pending && !isProjectPattern(publisher.project) && projectExists(publisher.project)) {
      return fail("invalid-pending-publisher", "valid token, but project already exists");
    }
    if (typeof claims.jti === "string") {
      if (this.#usedJwtIds.has(claims.jti)) return fail("invalid-reuse-token", "invalid token: already used");
      this.#usedJwtIds.add(claims.jti);
    }
    // Once used, a pending publisher becomes the project's ordinary publisher (warehouse "reifies" it).
    publisher.pending = false;
    return { ok: true, ...this.#issue(publisher) };
  }

  #issue(publisher: PypiTrustedPublisher): { token: string; minted: MintedToken } {
    const notBefore = Math.floor(Date.now() / 1000);
    const minted: MintedToken = {
      allows: projectMatcher(publisher.project),
      notBefore,
      expires: notBefore + TOKEN_LIFETIME_SECONDS,
      publisher,
    };
    const token = `pypi-${randomBytes(48).toString("base64url")}`;
    this.#tokens.set(token, minted);
    return { token, minted };
  }

  /** Warehouse looks for a publisher with the claimed environment first, then for one without any. */
  #findPublisher(claims: JWTPayload): PypiTrustedPublisher | string {
    const missing = missingClaim(claims);
    if (missing) return missing;
    const environment = typeof claims.environment === "string" ? claims.environment : "";
    const candidates = this.#publishers.filter(
      (publisher): publisher is PypiGithubPublisher =>
        publisher.provider !== "gitlab" && publisherMatches(publisher, claims),
    );
    const withEnvironment = candidates.find(
      (publisher) => publisher.environment && environment && sameText(publisher.environment, environment),
    );
    const withoutEnvironment = candidates.find((publisher) => !publisher.environment);
    return withEnvironment ?? withoutEnvironment ?? "Publisher with matching claims was not found";
  }

  /**
   * Warehouse's GitLab publisher (`warehouse/oidc/models/gitlab.py`): looked up by `project_path` and the pipeline
   * file of `ci_config_ref_uri`, the environment's publisher before the one without; then every claim checked.
   */
  #findGitlabPublisher(claims: JWTPayload): PypiTrustedPublisher | string {
    for (const name of ["project_path", "ci_config_ref_uri"]) {
      if (!claims[name]) return `Missing claim '${name}'`;
    }
    const projectPath = String(claims.project_path);
    const filepath = gitlabWorkflowFilepath(String(claims.ci_config_ref_uri));
    if (!filepath) return "Could not extract workflow filename from OIDC claims";
    const candidates = this.#publishers.filter(
      (publisher): publisher is PypiGitlabPublisher =>
        publisher.provider === "gitlab" &&
        sameText(publisher.projectPath, projectPath) &&
        publisher.workflowFilepath === filepath,
    );
    const environment = typeof claims.environment === "string" ? claims.environment : "";
    const publisher =
      (environment &&
        candidates.find((candidate) => candidate.environment?.toLowerCase() === environment.toLowerCase())) ||
      candidates.find((candidate) => !candidate.environment);
    if (!publisher) return "Publisher with matching claims was not found";
    return verifyGitlabClaims(publisher, claims) ?? publisher;
  }
}

/** The `WORKFLOW_PATH` of `gitlab.com/OWNER/REPO//WORKFLOW_PATH@REF`, as warehouse's `_WORKFLOW_FILEPATH_RE`. */
export function gitlabWorkflowFilepath(ciConfigRefUri: string): string | undefined {
  return /(?<=\/\/)(.+[^/]\.(yml|yaml))(?=@)/.exec(ciConfigRefUri)?.[0];
}

function verifyGitlabClaims(publisher: PypiGitlabPublisher, claims: JWTPayload): string | undefined {
  for (const name of ["sub", "project_path", "ci_config_ref_uri", "ref_path", "sha"]) {
    if (claims[name] === undefined || claims[name] === null) return `Missing claim '${name}'`;
  }
  const [namespace = "", project = ""] = String(claims.sub).split(":");
  if (
    !namespace ||
    !project ||
    !sameText(`${namespace}:${project}`, `project_path:${publisher.projectPath}`)
  ) {
    return "Check failed for required claim 'sub'";
  }
  const base = `${publisher.host ?? "gitlab.com"}/${publisher.projectPath}//${publisher.workflowFilepath}`;
  const expected = [claims.ref_path, claims.sha]
    .filter((ref): ref is string => typeof ref === "string" && ref !== "")
    .map((ref) => `${base}@${ref}`)
    .sort();
  const uri = String(claims.ci_config_ref_uri);
  if (!expected.includes(uri)) {
    const shown = expected.map((value) => `'${value}'`).join(", ");
    return `The ci_config_ref_uri claim does not match, expecting one of [${shown}], got '${uri}'`;
  }
  if (publisher.environment && claims.environment !== publisher.environment) {
    return "Check failed for optional claim 'environment'";
  }
  return undefined;
}

export function isProjectPattern(project: string): boolean {
  return project.includes("*");
}

function projectMatcher(project: string): (name: string) => boolean {
  const normalized = normalizeProjectName(project);
  if (!isProjectPattern(project)) return (name) => normalizeProjectName(name) === normalized;
  const source = normalized
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  const pattern = new RegExp(`^${source}$`);
  return (name) => pattern.test(normalizeProjectName(name));
}

function readTokenPayload(body: Buffer): string | MintError {
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString("utf8"));
  } catch (error) {
    return { code: "invalid-payload", description: `Invalid JSON: ${(error as Error).message}` };
  }
  const token = (payload as { token?: unknown } | null)?.token;
  if (typeof token !== "string") {
    return { code: "invalid-payload", description: "token: Input should be a valid string" };
  }
  return token;
}

async function verifyIdToken(token: string, trust: OidcTrust): Promise<JWTPayload | undefined> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(trust.jwks), {
      issuer: trust.issuer,
      audience: "pypi",
      algorithms: ["RS256"],
      clockTolerance: CLOCK_LEEWAY_SECONDS,
      requiredClaims: ["exp", "iat"],
    });
    return payload;
  } catch {
    return undefined;
  }
}

function missingClaim(claims: JWTPayload): string | undefined {
  for (const name of ["sub", "repository", "repository_owner", "repository_owner_id", "job_workflow_ref"]) {
    if (!claims[name]) return `Missing claim '${name}'`;
  }
  if (!claims.ref && !claims.sha) return "The ref and sha claims are empty";
  return undefined;
}

/** Every check of warehouse's GitHub publisher except the environment, which the lookup order handles. */
function publisherMatches(publisher: PypiGithubPublisher, claims: JWTPayload): boolean {
  const repository = String(claims.repository);
  const [owner] = publisher.repository.split("/");
  const workflowRef = `${publisher.repository}/.github/workflows/${publisher.workflow}`;
  const refs = [claims.ref, claims.sha].filter((ref): ref is string => typeof ref === "string" && ref !== "");
  return (
    sameText(repository, publisher.repository) &&
    String(claims.repository_owner) === owner &&
    (publisher.repositoryOwnerId === undefined ||
      String(claims.repository_owner_id) === publisher.repositoryOwnerId) &&
    String(claims.sub).toLowerCase().startsWith(`repo:${publisher.repository.toLowerCase()}:`) &&
    refs.some((ref) => claims.job_workflow_ref === `${workflowRef}@${ref}`)
  );
}

function sameText(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function fail(code: string, description: string): MintResult {
  return { ok: false, error: { code, description } };
}
