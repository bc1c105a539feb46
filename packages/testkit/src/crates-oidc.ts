import { randomBytes } from "node:crypto";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JWTPayload, jwtVerify } from "jose";
import { canonicalCrateName } from "./crates-index.js";
import type { OidcTrust } from "./pypi-oidc.js";

/** A GitHub trusted publisher as entered on a crate's settings page on crates.io. */
export interface CratesTrustedPublisher {
  crate: string;
  /** `owner/name`, compared case-insensitively. */
  repository: string;
  /** Workflow file name, e.g. `release.yml`. */
  workflow: string;
  /** When set, the token's `environment` claim must equal it (case-insensitive). */
  environment?: string;
  /** When set, must equal the `repository_owner_id` claim (crates.io stores it when the config is created). */
  repositoryOwnerId?: string;
}

export interface TrustedToken {
  /** Canonical names of the crates it may publish. */
  crates: Set<string>;
  expires: number;
  revoked: boolean;
}

export type ExchangeResult = { ok: true; token: string } | { ok: false; detail: string };

/** crates.io tokens of trusted publishing live 30 minutes. */
const TOKEN_LIFETIME_SECONDS = 30 * 60;
const CLOCK_LEEWAY_SECONDS = 30;

/** `POST /api/v1/trusted_publishing/tokens` and its revocation, with crates.io's checks and messages. */
export class CratesTrustedPublishing {
  readonly #trust: OidcTrust | undefined;
  readonly #audience: string;
  readonly #publishers: CratesTrustedPublisher[];
  readonly #usedJwtIds = new Set<string>();
  readonly #tokens = new Map<string, TrustedToken>();

  constructor(trust: OidcTrust | undefined, audience: string, publishers: CratesTrustedPublisher[]) {
    this.#trust = trust;
    this.#audience = audience;
    this.#publishers = publishers.map((publisher) => ({ ...publisher }));
  }

  get publishers(): readonly CratesTrustedPublisher[] {
    return this.#publishers;
  }

  addPublisher(publisher: CratesTrustedPublisher): void {
    this.#publishers.push({ ...publisher });
  }

  /** Every token minted (tests check that none leaks into output). */
  get issued(): string[] {
    return [...this.#tokens.keys()];
  }

  get revokedCount(): number {
    return [...this.#tokens.values()].filter((token) => token.revoked).length;
  }

  /** The live token `value`, if it is one of ours, unrevoked and unexpired. */
  lookup(value: string): TrustedToken | undefined {
    const token = this.#tokens.get(value);
    if (!token || token.revoked || token.expires < Date.now() / 1000) return undefined;
    return token;
  }

  revoke(value: string): boolean {
    const token = this.lookup(value);
    if (!token) return false;
    token.revoked = true;
    return true;
  }

  /** `crateExists`: crates.io keeps configs only for crates that exist. */
  async exchange(body: Buffer, crateExists: (name: string) => boolean): Promise<ExchangeResult> {
    let jwt: unknown;
    try {
      jwt = (JSON.parse(body.toString("utf8")) as { jwt?: unknown }).jwt;
    } catch {
      return fail("Failed to deserialize the JSON body into the target type");
    }
    if (typeof jwt !== "string")
      return fail("Failed to deserialize the JSON body into the target type: missing field `jwt`");
    let issuer: unknown;
    try {
      issuer = decodeJwt(jwt).iss;
      if (!decodeProtectedHeader(jwt).kid) return fail("Missing JWT key ID");
    } catch {
      return fail("Failed to decode JWT");
    }
    if (!this.#trust || issuer !== this.#trust.issuer)
      return fail(`Unsupported JWT issuer: ${String(issuer)}`);
    const claims = await this.#verify(jwt);
    if (!claims) return fail("Failed to decode JWT");
    if (typeof claims.jti === "string") {
      if (this.#usedJwtIds.has(claims.jti)) return fail("JWT has already been used");
      this.#usedJwtIds.add(claims.jti);
    }
    const matched = this.#match(claims, crateExists);
    if (typeof matched === "string") return fail(matched);
    const token = `cio${randomBytes(24).toString("base64url")}`;
    this.#tokens.set(token, {
      crates: new Set(matched.map((publisher) => canonicalCrateName(publisher.crate))),
      expires: Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_SECONDS,
      revoked: false,
    });
    return { ok: true, token };
  }

  async #verify(jwt: string): Promise<JWTPayload | undefined> {
    if (!this.#trust) return undefined;
    try {
      const { payload } = await jwtVerify(jwt, createLocalJWKSet(this.#trust.jwks), {
        issuer: this.#trust.issuer,
        audience: this.#audience,
        algorithms: ["RS256"],
        clockTolerance: CLOCK_LEEWAY_SECONDS,
        requiredClaims: ["exp", "iat", "jti"],
      });
      return payload;
    } catch {
      return undefined;
    }
  }

  /** crates.io's order: repository, owner id, workflow file (from `workflow_ref`), environment. */
  #match(claims: JWTPayload, crateExists: (name: string) => boolean): CratesTrustedPublisher[] | string {
    const repo = String(claims.repository ?? "");
    if (!repo.includes("/")) return "Unexpected `repository` value";
    const workflow = /^[^/]+\/[^/]+\/\.github\/workflows\/([^@]+)@/.exec(
      String(claims.workflow_ref ?? ""),
    )?.[1];
    if (!workflow) return "Unexpected `workflow_ref` value";
    let configs = this.#publishers.filter(
      (publisher) => sameText(publisher.repository, repo) && crateExists(publisher.crate),
    );
    if (configs.length === 0) return `No Trusted Publishing config found for repository \`${repo}\`.`;
    configs = configs.filter(
      (publisher) =>
        publisher.repositoryOwnerId === undefined ||
        publisher.repositoryOwnerId === String(claims.repository_owner_id),
    );
    if (configs.length === 0) {
      return `The Trusted Publishing config for repository \`${repo}\` does not match the repository owner ID (${String(claims.repository_owner_id)}) in the JWT.`;
    }
    const byWorkflow = configs.filter((publisher) => publisher.workflow === workflow);
    if (byWorkflow.length === 0) {
      return `The Trusted Publishing config for repository \`${repo}\` does not match the workflow filename \`${workflow}\` in the JWT. Expected workflow filenames: ${configs.map((c) => `\`${c.workflow}\``).join(", ")}`;
    }
    const environment = typeof claims.environment === "string" ? claims.environment : undefined;
    const byEnvironment = byWorkflow.filter(
      (publisher) =>
        !publisher.environment || (environment !== undefined && sameText(publisher.environment, environment)),
    );
    if (byEnvironment.length === 0) {
      const expected = byWorkflow.map((c) => `\`${c.environment}\``).join(", ");
      return environment
        ? `The Trusted Publishing config for repository \`${repo}\` does not match the environment \`${environment}\` in the JWT. Expected environments: ${expected}`
        : `The Trusted Publishing config for repository \`${repo}\` requires an environment, but the JWT does not specify one. Expected environments: ${expected}`;
    }
    return byEnvironment;
  }
}

function sameText(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function fail(detail: string): ExchangeResult {
  return { ok: false, detail };
}
