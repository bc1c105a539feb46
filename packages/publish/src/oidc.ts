import { mask, writeCommand } from "@polyglot-changesets/core";
import { describeFetchError, type HttpAnswer, httpRequest, isObject, parseJsonAnswer } from "./http.js";
import { escapePackageName, quoted } from "./lookup.js";

/**
 * An ID token from the CI for `audience` (npm's: `npm:<registry host>`), as npm itself fetches it; masked.
 * Undefined when the CI gives none; `onFailure` hears why (`ECONNREFUSED ...`, `HTTP 500`).
 */
export async function fetchIdToken(
  env: NodeJS.ProcessEnv,
  audience: string,
  write: (text: string) => void = (text) => writeCommand(process.stderr, text),
  onFailure: (reason: string) => void = () => {},
): Promise<string | undefined> {
  if (env.NPM_ID_TOKEN) return env.NPM_ID_TOKEN;
  return requestActionsIdToken(env, audience, write, onFailure);
}

/** An ID token for `audience` from the GitHub Actions endpoint (`id-token: write`); masked. */
export async function requestActionsIdToken(
  env: NodeJS.ProcessEnv,
  audience: string,
  write: (text: string) => void = (text) => writeCommand(process.stderr, text),
  onFailure: (reason: string) => void = () => {},
): Promise<string | undefined> {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) return undefined;
  const url = new URL(requestUrl);
  url.searchParams.append("audience", audience);
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(url.href, {
      headers: { accept: "application/json", authorization: `Bearer ${requestToken}` },
      maxBytes: 1024 * 1024,
    });
  } catch (error) {
    onFailure(describeFetchError(error));
    return undefined;
  }
  if (answer.status < 200 || answer.status > 299) {
    onFailure(`HTTP ${answer.status}`);
    return undefined;
  }
  const parsed = parseJsonAnswer(answer);
  const value = parsed.ok && isObject(parsed.value) ? parsed.value.value : undefined;
  if (typeof value !== "string" || value === "") {
    onFailure(parsed.ok ? "the answer holds no token" : parsed.reason);
    return undefined;
  }
  if (!isTokenShaped(value)) {
    onFailure("the answer's token is not a token (characters outside printable ASCII)");
    return undefined;
  }
  mask(value, env, write);
  return value;
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
  write: (text: string) => void = (text) => writeCommand(process.stderr, text),
): Promise<ExchangeResult> {
  const url = new URL(`/-/npm/v1/oidc/token/exchange/package/${escapePackageName(name)}`, registry);
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(url.href, {
      method: "POST",
      retry: true,
      headers: { accept: "application/json", authorization: `Bearer ${idToken}` },
      maxBytes: 1024 * 1024,
    });
  } catch (error) {
    return { status: "error", detail: describeFetchError(error) };
  }
  const parsed = parseJsonAnswer(answer);
  const body = parsed.ok && isObject(parsed.value) ? parsed.value : {};
  const token = typeof body.token === "string" ? body.token : undefined;
  if (token) mask(token, env, write);
  const ok = answer.status >= 200 && answer.status <= 299;
  if (ok && token && !isTokenShaped(token)) {
    return {
      status: "error",
      detail: "the minted token is not a token (characters outside printable ASCII)",
    };
  }
  if (ok && token) return { status: "ok" };
  if (answer.status === 404) return { status: "no-trusted-publisher" };
  const message = typeof body.message === "string" ? `: ${quoted(body.message)}` : "";
  return { status: "error", detail: `HTTP ${answer.status}${message}` };
}

/** Tokens (JWTs, npm tokens) are printable ASCII without spaces; anything else is a broken or hostile answer. */
export function isTokenShaped(value: string): boolean {
  return /^[\x21-\x7e]+$/.test(value);
}

/** npm's ID-token audience for a registry. */
export function npmAudience(registry: string): string {
  return `npm:${new URL(registry).hostname}`;
}
