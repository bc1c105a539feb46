import { mask } from "@polyglot-changesets/core";
import { escapePackageName, fetchWithRetry } from "./lookup.js";

/** An ID token from the CI for `audience` (npm's: `npm:<registry host>`), as npm itself fetches it; masked. */
export async function fetchIdToken(
  env: NodeJS.ProcessEnv,
  audience: string,
  write: (text: string) => void = (text) => process.stderr.write(text),
): Promise<string | undefined> {
  if (env.NPM_ID_TOKEN) return env.NPM_ID_TOKEN;
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) return undefined;
  const url = new URL(requestUrl);
  url.searchParams.append("audience", audience);
  try {
    const response = await fetchWithRetry(url.href, {
      headers: { accept: "application/json", authorization: `Bearer ${requestToken}` },
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { value?: string };
    if (body.value) mask(body.value, env, write);
    return body.value || undefined;
  } catch {
    return undefined;
  }
}

export type ExchangeResult =
  | { status: "ok" }
  | { status: "no-trusted-publisher" }
  | { status: "error"; detail: string };

/**
 * Asks `registry` to exchange `idToken` for a publish token of `name`, as npm will: proves the trusted publisher
 * matches before anything is published. The minted token is masked and dropped.
 */
export async function checkExchange(
  registry: string,
  name: string,
  idToken: string,
  env: NodeJS.ProcessEnv,
  write: (text: string) => void = (text) => process.stderr.write(text),
): Promise<ExchangeResult> {
  const url = new URL(`/-/npm/v1/oidc/token/exchange/package/${escapePackageName(name)}`, registry);
  let response: Response;
  try {
    response = await fetchWithRetry(url.href, {
      method: "POST",
      headers: { accept: "application/json", authorization: `Bearer ${idToken}` },
    });
  } catch (error) {
    return { status: "error", detail: (error as Error).message };
  }
  const body = (await response.json().catch(() => ({}))) as { token?: string; message?: string };
  if (body.token) mask(body.token, env, write);
  if (response.ok && body.token) return { status: "ok" };
  if (response.status === 404) return { status: "no-trusted-publisher" };
  return { status: "error", detail: `HTTP ${response.status}${body.message ? `: ${body.message}` : ""}` };
}

/** npm's ID-token audience for a registry. */
export function npmAudience(registry: string): string {
  return `npm:${new URL(registry).hostname}`;
}
