// Every HTTP request of polyglot-publish goes through here: registries, indexes and CI endpoints are untrusted,
// so each answer is bounded (a deadline for headers and body together, a size cap), credentials in a URL are sent
// as a header (fetch refuses them in the URL), and every URL printed is redacted.

/** Env knob: the deadline of one attempt (headers and body), in milliseconds. Default 30 s. */
export const HTTP_TIMEOUT_ENV = "POLYGLOT_HTTP_TIMEOUT_MS";
const DEFAULT_TIMEOUT_MS = 30_000;
/** The largest answer read (an npm packument of a package with thousands of versions stays well below). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
const ATTEMPTS = 3;

/** Hosts whose first path segment is a credential: Gemfury's `https://npm.fury.io/<token>/` and siblings. */
const TOKEN_IN_PATH_HOSTS = /(^|\.)fury\.io$/i;
/** Path segments that are tokens by their prefix (npm, GitHub, GitLab, PyPI). */
const TOKEN_SHAPED = /^(npm_|ghp_|ghs_|gho_|ghu_|github_pat_|glpat-|pypi-)[\w-]{8,}$/;
/** Query parameters that carry credentials. */
const SECRET_PARAMETER = /token|key|secret|password|passwd|auth|signature|sig$/i;

const knownSecrets = new Set<string>();

/** Values (tokens of the env and the npmrc files) that `redactUrl` hides wherever they appear in a URL. */
export function rememberSecrets(values: Iterable<string | undefined>): void {
  for (const value of values) if (value && value.length >= 6) knownSecrets.add(value);
}

/**
 * A URL fit to print: userinfo becomes `***`, a path segment that is a known token (or token-shaped, or the
 * first segment on a `*.fury.io` host) becomes `***`, and credential-like query parameters are blanked.
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return redactSecrets(raw.replace(/\/\/[^/@\s]*@/g, "//***@"));
  }
  if (url.username || url.password) {
    url.username = "***";
    url.password = "";
  }
  const tokenInPath = TOKEN_IN_PATH_HOSTS.test(url.hostname);
  url.pathname = url.pathname
    .split("/")
    .map((segment, at) =>
      (tokenInPath && at === 1 && segment) || isSecretSegment(segment) ? "***" : segment,
    )
    .join("/");
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAMETER.test(key)) url.searchParams.set(key, "***");
  }
  return redactSecrets(url.href);
}

function isSecretSegment(segment: string): boolean {
  if (segment === "") return false;
  const decoded = safeDecode(segment);
  return knownSecrets.has(decoded) || TOKEN_SHAPED.test(decoded);
}

/**
 * A plain-http URL to another machine: a credential sent there travels in clear text. Loopback hosts (local test
 * servers) do not count.
 */
export function isCleartextRemote(url: URL): boolean {
  return url.protocol === "http:" && !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

/** Replaces every known secret value in `text` with `***`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of knownSecrets) out = out.split(secret).join("***");
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The per-attempt deadline: `POLYGLOT_HTTP_TIMEOUT_MS` when it is a positive number, else 30 s. */
export function httpTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env[HTTP_TIMEOUT_ENV]);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_TIMEOUT_MS;
}

/** A complete answer: status, content type and the whole body (at most `maxBytes`). */
export interface HttpAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** A request that got no complete answer; `reason` names the cause (`ECONNREFUSED 127.0.0.1:1`, a timeout...). */
export class HttpFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "HttpFailure";
  }
}

class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the answer is larger than ${Math.round(limit / 1024 / 1024)} MiB`);
    this.name = "BodyTooLarge";
  }
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Retry network errors, timeouts and 5xx answers (default: GET only). */
  retry?: boolean;
  maxBytes?: number;
}

/**
 * One HTTP exchange with the whole answer read: at most 3 attempts when `retry`, each bounded by the deadline
 * (headers and body together) and the size cap. Throws HttpFailure naming the cause; never throws anything else.
 */
export async function httpRequest(url: string, options: RequestOptions = {}): Promise<HttpAnswer> {
  const { target, headers } = withCredentialsAsHeader(url, options.headers ?? {});
  const retry = options.retry ?? (options.method ?? "GET") === "GET";
  const attempts = retry ? ATTEMPTS : 1;
  const timeoutMs = httpTimeoutMs();
  let lastFailure = new HttpFailure("no attempt made");
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const answer = await attemptOnce(target, { ...options, headers }, timeoutMs);
      if (answer.status < 500 || attempt === attempts) return answer;
      lastFailure = new HttpFailure(`HTTP ${answer.status}`);
    } catch (error) {
      lastFailure = new HttpFailure(describeFetchError(error, timeoutMs));
      if (error instanceof BodyTooLarge) break;
    }
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
  throw lastFailure;
}

async function attemptOnce(url: string, options: RequestOptions, timeoutMs: number): Promise<HttpAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  const method = (options.method ?? "GET").toUpperCase();
  const response = await fetch(url, {
    method,
    headers: options.headers ?? {},
    ...(options.body !== undefined ? { body: options.body } : {}),
    // A POST carries credentials in its body (an ID token to mint with): a 307/308 would re-send it to wherever the
    // answer points, another host or plain http. Only reads follow redirects; a POST gets the 3xx as its answer.
    redirect: method === "GET" || method === "HEAD" ? "follow" : "manual",
    signal,
  });
  const body = await readCapped(response, options.maxBytes ?? MAX_BODY_BYTES);
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", body };
}

async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new BodyTooLarge(maxBytes);
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/** npm reads `https://user:pass@host/` as Basic credentials; fetch refuses such a URL, so they move to a header. */
export function withCredentialsAsHeader(
  raw: string,
  headers: Record<string, string>,
): { target: string; headers: Record<string, string> } {
  const url = new URL(raw);
  if (!url.username && !url.password) return { target: raw, headers };
  const credentials = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
  url.username = "";
  url.password = "";
  const hasAuthorization = Object.keys(headers).some((key) => key.toLowerCase() === "authorization");
  return {
    target: url.href,
    headers: hasAuthorization
      ? headers
      : { ...headers, authorization: `Basic ${Buffer.from(credentials).toString("base64")}` },
  };
}

interface SystemError {
  code?: string;
  address?: string;
  port?: number;
  hostname?: string;
  message?: string;
  errors?: unknown[];
  cause?: unknown;
}

/** What went wrong, from the error fetch threw and its `cause`: `ECONNREFUSED 127.0.0.1:1`, `DNS: ENOTFOUND host`. */
export function describeFetchError(error: unknown, timeoutMs = httpTimeoutMs()): string {
  if (error instanceof BodyTooLarge) return error.message;
  if (error instanceof HttpFailure) return error.reason;
  const named = error as { name?: string; message?: string; cause?: unknown };
  if (named?.name === "TimeoutError" || named?.name === "AbortError") {
    return `no complete answer within ${formatSeconds(timeoutMs)} (${HTTP_TIMEOUT_ENV} sets the deadline)`;
  }
  const cause = innermostCause(named?.cause);
  if (cause?.code) return redactSecrets(describeSystemError(cause));
  if (cause?.message) return redactSecrets(cause.message);
  return redactSecrets(named?.message ?? String(error));
}

function innermostCause(cause: unknown): SystemError | undefined {
  let current = cause as SystemError | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current.code) return current;
    const next = current.errors?.[0] ?? current.cause;
    if (!next) return current;
    current = next as SystemError;
  }
  return current;
}

const TLS_CODE = /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

function describeSystemError(cause: SystemError): string {
  const code = cause.code ?? "";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `DNS: ${code} ${cause.hostname ?? ""}`.trim();
  if (TLS_CODE.test(code)) return `TLS: ${code}${cause.message ? ` (${cause.message})` : ""}`;
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return `timed out (${code})`;
  const where = cause.address ? ` ${cause.address}${cause.port ? `:${cause.port}` : ""}` : "";
  if (where) return `${code}${where}`;
  return cause.message && !cause.message.includes(code)
    ? `${code} (${cause.message})`
    : cause.message || code;
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}

/** True for JSON media types: `application/json`, `application/vnd.npm.install-v1+json`, with parameters. */
export function isJsonContentType(contentType: string): boolean {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** The body as JSON, or a reason it is not: wrong content type, not parseable. */
export function parseJsonAnswer(
  answer: HttpAnswer,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (!isJsonContentType(answer.contentType)) {
    const type = answer.contentType.split(";")[0]?.trim() || "no content type";
    return { ok: false, reason: `answered ${type} instead of JSON` };
  }
  try {
    return { ok: true, value: JSON.parse(answer.body.toString("utf8")) };
  } catch {
    return { ok: false, reason: `answered invalid JSON (${answer.body.byteLength} bytes)` };
  }
}

/** A plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
