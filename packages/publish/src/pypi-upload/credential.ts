import { detectCi, mask, type PypiIndexUrls, writeCommand } from "@polyglot-changesets/core";
import type { JWTPayload } from "jose";
import {
  describeFetchError,
  type HttpAnswer,
  httpRequest,
  isCleartextRemote,
  isObject,
  parseJsonAnswer,
  redactUrl,
} from "../http.js";
import { audiences, claimText, decodeIdToken, isExpired } from "../id-token-claims.js";
import { isTokenShaped, requestActionsIdToken } from "../oidc.js";
import type { OidcMode } from "../preflight.js";
import { explainMintRefusal, type MintError } from "./explain.js";
import { PypiUploadError } from "./findings.js";

/** Where the upload's token comes from. Never holds a value that is printed. */
export type CredentialSource =
  | { kind: "github-oidc" }
  | { kind: "gitlab-oidc"; idToken: string }
  | { kind: "api-token"; variable: "PYPI_API_TOKEN" | "TWINE_PASSWORD"; token: string };

export interface Credential {
  token: string;
  /** How it was obtained, for the log: `trusted publishing (GitLab CI, PYPI_ID_TOKEN)`, `PYPI_API_TOKEN`. */
  via: string;
  minted: boolean;
}

const GITLAB_ID_TOKENS_FIX =
  "add `id_tokens: { PYPI_ID_TOKEN: { aud: pypi } }` to the job that runs pypi-upload";
const GITHUB_PERMISSION_FIX = "add `permissions: { id-token: write }` to the job that runs pypi-upload";

/**
 * Which credential the upload will use, decided before anything is minted or uploaded: OIDC where the CI offers an
 * ID token (GitLab: PYPI_ID_TOKEN; GitHub: `id-token: write`), else a token from PYPI_API_TOKEN or TWINE_PASSWORD
 * (`--oidc auto` and `off`). Throws the finding that stops the upload.
 */
export function chooseCredential(mode: OidcMode, env: NodeJS.ProcessEnv): CredentialSource {
  const ci = detectCi(env);
  const apiToken = apiTokenOf(env);
  if (mode === "off") {
    if (apiToken) return apiToken;
    throw new PypiUploadError(
      "pypi-no-credentials",
      "--oidc off, and neither PYPI_API_TOKEN nor TWINE_PASSWORD is set",
      {
        setting: "--oidc",
        fix: "set PYPI_API_TOKEN from a masked CI secret, or drop --oidc off to use trusted publishing",
      },
    );
  }
  if (ci.provider === "gitlab" && env.PYPI_ID_TOKEN)
    return { kind: "gitlab-oidc", idToken: env.PYPI_ID_TOKEN };
  if (
    ci.provider === "github-actions" &&
    env.ACTIONS_ID_TOKEN_REQUEST_URL &&
    env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
  ) {
    return { kind: "github-oidc" };
  }
  if (mode === "auto" && apiToken) return apiToken;
  const where =
    ci.provider === "gitlab"
      ? {
          what: "the GitLab job has no PYPI_ID_TOKEN variable (no `id_tokens:` entry for it)",
          fix: GITLAB_ID_TOKENS_FIX,
        }
      : ci.provider === "github-actions"
        ? {
            what: "the job has no `id-token: write` permission: GitHub gives it no ID token",
            fix: GITHUB_PERMISSION_FIX,
          }
        : {
            what: "not running in a CI with OIDC (GitHub Actions or GitLab CI)",
            fix: "run pypi-upload in the CI job PyPI trusts",
          };
  const id = mode === "require" ? "pypi-id-token-missing" : "pypi-no-credentials";
  const tail =
    mode === "require" ? " (--oidc require)" : ", and neither PYPI_API_TOKEN nor TWINE_PASSWORD is set";
  throw new PypiUploadError(id, `no credential for the upload: ${where.what}${tail}`, {
    setting:
      ci.provider === "gitlab" ? "id_tokens" : ci.provider === "github-actions" ? "permissions" : "--oidc",
    fix:
      mode === "require"
        ? where.fix
        : `${where.fix} (trusted publishing), or set PYPI_API_TOKEN from a masked secret`,
  });
}

function apiTokenOf(env: NodeJS.ProcessEnv): CredentialSource | undefined {
  if (env.PYPI_API_TOKEN) return { kind: "api-token", variable: "PYPI_API_TOKEN", token: env.PYPI_API_TOKEN };
  if (env.TWINE_PASSWORD) return { kind: "api-token", variable: "TWINE_PASSWORD", token: env.TWINE_PASSWORD };
  return undefined;
}

/**
 * Checks a GitLab ID token before it is spent: decodable, not expired, and for the audience the index announces.
 * Returns its claims (for explaining a refusal later).
 */
export function checkGitlabIdToken(idToken: string, audience: string, index: string): JWTPayload {
  const decoded = decodeIdToken(idToken);
  if (!decoded.ok) {
    throw new PypiUploadError("id-token-malformed", `PYPI_ID_TOKEN is ${decoded.reason}`, {
      setting: "id_tokens",
      fix: `${GITLAB_ID_TOKENS_FIX}; do not set PYPI_ID_TOKEN yourself`,
    });
  }
  const { claims } = decoded;
  if (!audiences(claims).includes(audience)) {
    throw new PypiUploadError(
      "id-token-audience",
      `PYPI_ID_TOKEN has the claim aud ${claimText(claims, "aud")}, but ${redactUrl(index)} mints only for the audience "${audience}"`,
      { setting: "id_tokens", fix: `set \`aud: ${audience}\` on PYPI_ID_TOKEN in the job's \`id_tokens:\`` },
    );
  }
  if (isExpired(claims)) {
    throw new PypiUploadError("id-token-expired", "PYPI_ID_TOKEN has expired (claim exp is in the past)", {
      setting: "id_tokens",
      fix: "re-run the job: GitLab issues a fresh ID token per job (it lives as long as the job's timeout allows)",
    });
  }
  return claims;
}

/**
 * An ID token is a bearer credential for minting: it goes only to an https index (plain http only on this machine,
 * for local test indexes), never in clear text over a network.
 */
export function requireSecureIndex(urls: PypiIndexUrls): void {
  const url = new URL(urls.mintToken);
  if (url.protocol === "https:" || (url.protocol === "http:" && !isCleartextRemote(url))) return;
  throw new PypiUploadError(
    "pypi-index-insecure",
    `${redactUrl(urls.index)} is not https: the job's ID token would travel in clear text to mint an upload token`,
    { setting: "--index", fix: "use the index's https URL (https://pypi.org, https://test.pypi.org)" },
  );
}

/** The audience `<index>/_/oidc/audience` announces (PyPI: `pypi`). */
export async function fetchAudience(urls: PypiIndexUrls): Promise<string> {
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(urls.audience, {
      headers: { accept: "application/json" },
      maxBytes: 64 * 1024,
    });
  } catch (error) {
    throw mintFailure(urls, `GET /_/oidc/audience got no answer (${describeFetchError(error)})`);
  }
  if (answer.status === 404 || answer.status === 403) {
    throw new PypiUploadError(
      "pypi-oidc-unsupported",
      `${redactUrl(urls.index)} ${answer.status === 404 ? "does not support trusted publishing (no /_/oidc/audience)" : "has trusted publishing disabled (403 on /_/oidc/audience)"}`,
      {
        setting: "--index",
        fix: "check --index; for an index without trusted publishing, set PYPI_API_TOKEN and pass --oidc off",
      },
    );
  }
  const parsed = parseJsonAnswer(answer);
  const audience = parsed.ok && isObject(parsed.value) ? parsed.value.audience : undefined;
  if (answer.status !== 200 || typeof audience !== "string" || !isTokenShaped(audience)) {
    throw mintFailure(urls, `GET /_/oidc/audience answered HTTP ${answer.status} without an audience`);
  }
  return audience;
}

/** The short-lived upload token: minted from the job's ID token, or the API token; masked on GitHub Actions. */
export async function obtainCredential(
  source: CredentialSource,
  urls: PypiIndexUrls,
  projects: readonly string[],
  env: NodeJS.ProcessEnv,
  stderr: NodeJS.WritableStream,
): Promise<Credential> {
  const write = (text: string) => writeCommand(stderr, text);
  if (source.kind === "api-token") return { token: source.token, via: source.variable, minted: false };
  requireSecureIndex(urls);
  const audience = await fetchAudience(urls);
  let idToken: string;
  let claims: JWTPayload;
  if (source.kind === "gitlab-oidc") {
    idToken = source.idToken;
    claims = checkGitlabIdToken(idToken, audience, urls.index);
  } else {
    let reason = "";
    const fetched = await requestActionsIdToken(env, audience, write, (why) => {
      reason = why;
    });
    if (!fetched) {
      throw new PypiUploadError(
        "pypi-id-token-failed",
        `GitHub refused an ID token for the audience "${audience}"${reason ? ` (${reason})` : ""}`,
        {
          setting: "permissions",
          fix: `re-run the job; if it persists, ${GITHUB_PERMISSION_FIX}`,
          exitCode: 1,
        },
      );
    }
    idToken = fetched;
    const decoded = decodeIdToken(idToken);
    claims = decoded.ok ? decoded.claims : {};
  }
  const token = await mint(urls, idToken, claims, projects);
  mask(token, env, write);
  const via = source.kind === "gitlab-oidc" ? "GitLab CI, PYPI_ID_TOKEN" : "GitHub Actions";
  return { token, via: `trusted publishing (${via})`, minted: true };
}

async function mint(
  urls: PypiIndexUrls,
  idToken: string,
  claims: JWTPayload,
  projects: readonly string[],
): Promise<string> {
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(urls.mintToken, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ token: idToken }),
      maxBytes: 1024 * 1024,
    });
  } catch (error) {
    throw mintFailure(urls, `POST /_/oidc/mint-token got no answer (${describeFetchError(error)})`);
  }
  const parsed = parseJsonAnswer(answer);
  const body = parsed.ok && isObject(parsed.value) ? parsed.value : undefined;
  if (answer.status === 200 && typeof body?.token === "string" && isTokenShaped(body.token))
    return body.token;
  const errors = Array.isArray(body?.errors) ? body.errors.filter(isMintError) : [];
  if (answer.status === 422 && errors.length > 0)
    throw explainMintRefusal(errors, claims, projects, urls.index);
  throw mintFailure(
    urls,
    `POST /_/oidc/mint-token answered HTTP ${answer.status}${parsed.ok ? " without a token" : ` (${parsed.reason})`}`,
  );
}

function isMintError(value: unknown): value is MintError {
  return isObject(value) && typeof value.code === "string" && typeof value.description === "string";
}

function mintFailure(urls: PypiIndexUrls, what: string): PypiUploadError {
  return new PypiUploadError("pypi-mint-failed", `${redactUrl(urls.index)}: ${what}`, {
    setting: "--index",
    fix: "check the index's status and --index, then re-run the job (nothing was uploaded)",
    exitCode: 1,
  });
}
