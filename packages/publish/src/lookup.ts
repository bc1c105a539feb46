import { adapterFor, PolyglotError, type RegistryHttp, type VersionState } from "@polyglot-changesets/core";
import {
  describeFetchError,
  type HttpAnswer,
  httpRequest,
  isObject,
  parseJsonAnswer,
  redactUrl,
} from "./http.js";

/** What a registry knows of a package: `exists: false` when it answered 404. */
export interface PackageVersions {
  exists: boolean;
  versions: Set<string>;
  distTags: Record<string, string>;
}

export const LOOKUP_CONCURRENCY = 16;

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** `@scope/name` as the registry path segment `@scope%2fname`. */
export function escapePackageName(name: string): string {
  return name.replace("/", "%2f");
}

/** The versions of `name` on `registry`, from its abbreviated packument (validated: JSON, an object, this name). */
export async function fetchPackageVersions(
  name: string,
  registry: string,
  authorization?: string,
): Promise<PackageVersions> {
  const url = `${registry}${escapePackageName(name)}`;
  const headers: Record<string, string> = {
    accept: "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8",
  };
  if (authorization) headers.authorization = authorization;
  let answer: HttpAnswer;
  try {
    answer = await httpRequest(url, { headers });
  } catch (error) {
    throw lookupError(name, registry, `no answer (${describeFetchError(error)})`);
  }
  if (answer.status === 404) return { exists: false, versions: new Set(), distTags: {} };
  if (answer.status < 200 || answer.status > 299) {
    const hint =
      answer.status === 401 || answer.status === 403
        ? "the registry wants credentials for reads: configure a read token for it in .npmrc"
        : "check that the registry is up and the URL is right";
    throw lookupError(name, registry, `HTTP ${answer.status}`, hint);
  }
  return packumentVersions(name, registry, answer);
}

function packumentVersions(name: string, registry: string, answer: HttpAnswer): PackageVersions {
  const parsed = parseJsonAnswer(answer);
  if (!parsed.ok) throw lookupError(name, registry, parsed.reason, BAD_ANSWER_FIX);
  const packument = parsed.value;
  if (!isObject(packument)) {
    throw lookupError(
      name,
      registry,
      `answered ${describeJson(packument)} instead of a package document`,
      BAD_ANSWER_FIX,
    );
  }
  if (packument.name !== name) {
    throw lookupError(
      name,
      registry,
      `answered the document of ${quoted(packument.name)} instead of ${name}`,
      BAD_ANSWER_FIX,
    );
  }
  const versions = packument.versions ?? {};
  const distTags = packument["dist-tags"] ?? {};
  if (!isObject(versions) || !isObject(distTags)) {
    throw lookupError(name, registry, "answered a package document without a versions map", BAD_ANSWER_FIX);
  }
  const tags = Object.entries(distTags).filter(
    (entry): entry is [string, string] => typeof entry[1] === "string",
  );
  return { exists: true, versions: new Set(Object.keys(versions)), distTags: Object.fromEntries(tags) };
}

const BAD_ANSWER_FIX =
  "check the registry URL (publishConfig.registry, .npmrc or npm_config_registry): it must be an npm registry; nothing was published";

/** A value from an untrusted answer, quoted and shortened so it cannot break a line or flood the log. */
export function quoted(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function lookupError(name: string, registry: string, what: string, fix?: string): PolyglotError {
  return new PolyglotError(`cannot look up ${name} on ${redactUrl(registry)}: ${what}`, {
    code: "registry-lookup-failed",
    fix: fix ?? "check the network and the registry URL (publishConfig.registry or .npmrc), then re-run",
    exitCode: 1,
  });
}

export type PypiVersionState = VersionState;

/** The registry adapters' HTTP: publish's bounded, timed requests, with credentials redacted from URLs. */
export const registryHttp: RegistryHttp = {
  async get(url, headers) {
    let answer: HttpAnswer;
    try {
      answer = await httpRequest(url, { headers });
    } catch (error) {
      throw new Error(describeFetchError(error));
    }
    return { status: answer.status, json: () => parseJsonAnswer(answer) };
  },
  redact: redactUrl,
};

/**
 * Whether `<index>/pypi/<name>/<version>/json` exists (PEP 503 name, canonical PEP 440 version), asked through
 * the PyPI adapter. A 200 counts only when it is the JSON API's answer for this name and version.
 */
export function fetchPypiVersion(index: string, name: string, version: string): Promise<PypiVersionState> {
  return adapterFor("pypi").registry.versionState({ index, name, version }, registryHttp);
}
