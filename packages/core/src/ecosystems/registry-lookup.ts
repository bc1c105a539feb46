import { PolyglotError } from "../errors.js";
import type { RegistryAnswer, RegistryHttp, VersionQuery, VersionState } from "./adapter.js";

/** How one registry's JSON API says whether a version exists. */
export interface JsonVersionApi {
  /** `index` without trailing slashes. */
  url(index: string, query: VersionQuery): string;
  /** Why a 200 answer is not this API's answer for this name and version; undefined when it is. */
  problemOf(value: unknown, query: VersionQuery): string | undefined;
  /** The setting naming the index, for errors (`pypi.index`). */
  setting: string;
  networkFix: string;
  shapeFix: string;
}

/**
 * Asks a registry's JSON API for one version: 404 is `missing`, a 200 counts only when it is the API's answer
 * for this name and version; anything else is an error, never `present`.
 */
export async function lookUpVersion(
  api: JsonVersionApi,
  query: VersionQuery,
  http: RegistryHttp,
): Promise<VersionState> {
  const url = api.url(query.index.replace(/\/+$/, ""), query);
  let answer: RegistryAnswer;
  try {
    answer = await http.get(url, { accept: "application/json" });
  } catch (error) {
    throw lookupError(api, query, http, (error as Error).message, api.networkFix);
  }
  if (answer.status === 404) return "missing";
  if (answer.status !== 200) throw lookupError(api, query, http, `HTTP ${answer.status}`, api.shapeFix);
  const parsed = answer.json();
  const problem = parsed.ok ? api.problemOf(parsed.value, query) : parsed.reason;
  if (problem) throw lookupError(api, query, http, problem, api.shapeFix);
  return "present";
}

function lookupError(
  api: JsonVersionApi,
  query: VersionQuery,
  http: RegistryHttp,
  what: string,
  fix: string,
): PolyglotError {
  return new PolyglotError(
    `cannot look up ${query.name} ${query.version} on ${http.redact(query.index)}: ${what}`,
    {
      code: "registry-lookup-failed",
      setting: api.setting,
      fix,
      exitCode: 1,
    },
  );
}

/** A plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value from an untrusted answer, quoted and shortened so it cannot break a line or flood the log. */
export function quotedAnswer(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
