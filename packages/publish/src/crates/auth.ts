import { mask } from "@polyglot-changesets/core";
import {
  describeFetchError,
  type HttpAnswer,
  httpRequest,
  isObject,
  parseJsonAnswer,
  rememberSecrets,
} from "../http.js";
import { quoted } from "../lookup.js";
import { isTokenShaped, requestActionsIdToken } from "../oidc.js";
import { isIdTokenVariable } from "../tokens.js";
import type { CratesRegistry } from "./registry.js";

/** A GitHub Actions ID token for `audience`, or the reason there is none. Masked before it is returned. */
export async function fetchCratesIdToken(
  env: NodeJS.ProcessEnv,
  audience: string,
  write: (text: string) => void,
): Promise<{ token: string } | { reason: string; transient: boolean }> {
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
    return { reason: "the job has no ID token (ACTIONS_ID_TOKEN_REQUEST_URL)", transient: false };
  let failure = "no token";
  const token = await requestActionsIdToken(env, audience, write, (reason) => {
    failure = reason;
  });
  if (token === undefined) return { reason: `the ID-token request failed: ${failure}`, transient: true };
  rememberSecrets([token]);
  return { token };
}

export type ExchangeOutcome =
  | { ok: true; token: string }
  | {
      ok: false;
      detail: string /** The registry refused (a setting to fix), not a passing fault. */;
      refused: boolean;
    };

/**
 * Trusted publishing: `POST <api>/api/v1/trusted_publishing/tokens` `{"jwt"}` -> `{"token"}` (crates.io, 30 min).
 * The token is masked and remembered for redaction before anything else sees it.
 */
export async function exchangeForCratesToken(
  registry: CratesRegistry,
  jwt: string,
  env: NodeJS.ProcessEnv,
  write: (text: string) => void,
): Promise<ExchangeOutcome> {
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(`${registry.api}/api/v1/trusted_publishing/tokens`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify({ jwt }),
      maxBytes: 1024 * 1024,
    });
  } catch (error) {
    return { ok: false, detail: describeFetchError(error), refused: false };
  }
  const parsed = parseJsonAnswer(answer);
  const body = parsed.ok && isObject(parsed.value) ? parsed.value : {};
  const token = typeof body.token === "string" ? body.token : undefined;
  // Only a token-like value is masked: a hostile registry answering "a" would otherwise mask every "a" of the log.
  const usable = token !== undefined && isCratesToken(token) ? token : undefined;
  if (usable) {
    mask(usable, env, write);
    rememberSecrets([usable]);
  }
  if (answer.status === 200 && usable) return { ok: true, token: usable };
  // A token in an answer that is not a success is not used: it is revoked rather than left valid for 30 minutes.
  if (token) await revokeCratesToken(registry, token);
  const detail = errorDetail(body);
  return {
    ok: false,
    detail: `HTTP ${answer.status}${detail ? `: ${detail}` : ""}`,
    refused: answer.status >= 400 && answer.status < 500,
  };
}

/** crates.io's tokens are `cio` and 32 characters; anything shorter than 16 printable characters is not one. */
function isCratesToken(token: string): boolean {
  return token.length >= 16 && isTokenShaped(token);
}

/** `DELETE <api>/api/v1/trusted_publishing/tokens` with the token as bearer; the reason when it did not work. */
export async function revokeCratesToken(
  registry: CratesRegistry,
  token: string,
): Promise<string | undefined> {
  try {
    const answer = await httpRequest(`${registry.api}/api/v1/trusted_publishing/tokens`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${token}` },
      retry: true,
      maxBytes: 64 * 1024,
    });
    if (answer.status >= 200 && answer.status < 300) return undefined;
    return `HTTP ${answer.status}`;
  } catch (error) {
    return describeFetchError(error);
  }
}

/** crates.io's error body `{"errors":[{"detail": ...}]}`, quoted and bounded (the registry is untrusted). */
function errorDetail(body: Record<string, unknown>): string | undefined {
  const errors = Array.isArray(body.errors) ? body.errors : [];
  const first = errors[0];
  return isObject(first) && typeof first.detail === "string" ? quoted(first.detail) : undefined;
}

/** Variables cargo reads a registry token from (crates.io's, every named registry's, credential providers). */
export function isCargoTokenVariable(name: string): boolean {
  return (
    name === "CARGO_REGISTRY_TOKEN" ||
    /^CARGO_REGISTRIES_[A-Z0-9_]+_TOKEN$/.test(name) ||
    /^CARGO_REGISTR(Y|IES_[A-Z0-9_]+)_CREDENTIAL_PROVIDER$/.test(name) ||
    name === "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS"
  );
}

/**
 * The cargo child's environment. With a trusted-publishing token every long-lived cargo token variable is dropped
 * and the token is the only credential, in the registry's variable (cargo prefers it to credentials.toml).
 * Without one, the environment passes as it is: cargo reads CARGO_REGISTRY_TOKEN as always.
 */
export function cargoChildEnv(
  env: NodeJS.ProcessEnv,
  registry: CratesRegistry,
  trustedToken: string | undefined,
): Record<string, string | undefined> {
  // cargo's verify step runs build scripts (the crates' and their dependencies'): no way to mint a publish token.
  const child: Record<string, string | undefined> = {
    ...Object.fromEntries(Object.entries(env).filter(([name]) => !isIdTokenVariable(name))),
    ...registry.cargoEnv,
    CARGO_TERM_COLOR: "never",
  };
  if (trustedToken === undefined) return child;
  for (const name of Object.keys(child)) if (isCargoTokenVariable(name)) delete child[name];
  child[registry.tokenEnv] = trustedToken;
  // A credential provider from a config file would otherwise be asked first (and may hold a long-lived token).
  const providerEnv = registry.tokenEnv.replace(/_TOKEN$/, "_CREDENTIAL_PROVIDER");
  child[providerEnv] = "cargo:token";
  child.CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS = "cargo:token";
  return child;
}
