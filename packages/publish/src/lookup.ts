import { PolyglotError } from "@polyglot-changesets/core";

/** What a registry knows of a package: `exists: false` when it answered 404. */
export interface PackageVersions {
  exists: boolean;
  versions: Set<string>;
  distTags: Record<string, string>;
}

export const LOOKUP_CONCURRENCY = 16;
const TIMEOUT_MS = 30_000;
const ATTEMPTS = 3;

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

/**
 * GETs a URL, retrying network errors and 5xx answers (a registry hiccup must not end a release);
 * other statuses are returned as they are.
 */
export async function fetchWithRetry(url: string, init: RequestInit = {}): Promise<Response> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (response.status < 500 || attempt === ATTEMPTS) return response;
      await response.body?.cancel();
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
  throw lastError;
}

/** The versions of `name` on `registry`, from its abbreviated packument. */
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
  let response: Response;
  try {
    response = await fetchWithRetry(url, { headers });
  } catch (error) {
    throw lookupError(name, registry, `no answer (${(error as Error).message})`);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return { exists: false, versions: new Set(), distTags: {} };
  }
  if (!response.ok) {
    await response.body?.cancel();
    const hint =
      response.status === 401 || response.status === 403
        ? "the registry wants credentials for reads: configure a read token for it in .npmrc"
        : "check that the registry is up and the URL is right";
    throw lookupError(name, registry, `HTTP ${response.status}`, hint);
  }
  const packument = (await response.json()) as {
    versions?: Record<string, unknown>;
    "dist-tags"?: Record<string, string>;
  };
  return {
    exists: true,
    versions: new Set(Object.keys(packument.versions ?? {})),
    distTags: packument["dist-tags"] ?? {},
  };
}

function lookupError(name: string, registry: string, what: string, fix?: string): PolyglotError {
  return new PolyglotError(`cannot look up ${name} on ${registry}: ${what}`, {
    fix: fix ?? "check the network and the registry URL (publishConfig.registry or .npmrc), then re-run",
    exitCode: 1,
  });
}

export type PypiVersionState = "present" | "missing";

/** Whether `<index>/pypi/<name>/<version>/json` exists (PEP 503 name, canonical PEP 440 version). */
export async function fetchPypiVersion(
  index: string,
  name: string,
  version: string,
): Promise<PypiVersionState> {
  const url = `${index.replace(/\/+$/, "")}/pypi/${encodeURIComponent(name)}/${encodeURIComponent(version)}/json`;
  let response: Response;
  try {
    response = await fetchWithRetry(url, { headers: { accept: "application/json" } });
  } catch (error) {
    throw new PolyglotError(`cannot look up ${name} ${version} on ${index}: ${(error as Error).message}`, {
      setting: "pypi.index",
      fix: "check the network and `pypi.index` in .changeset/polyglot.json (or --index), then re-run",
      exitCode: 1,
    });
  }
  await response.body?.cancel();
  if (response.status === 200) return "present";
  if (response.status === 404) return "missing";
  throw new PolyglotError(`cannot look up ${name} ${version} on ${index}: HTTP ${response.status}`, {
    setting: "pypi.index",
    fix: "check `pypi.index` in .changeset/polyglot.json (or --index): it must serve /pypi/<name>/<version>/json",
    exitCode: 1,
  });
}
