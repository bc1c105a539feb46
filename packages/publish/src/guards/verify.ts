import { describeFetchError, httpRequest, isObject, parseJsonAnswer, redactUrl } from "../http.js";
import { escapePackageName, quoted } from "../lookup.js";

/** One version this run published, as the registry must now serve it. */
export interface PublishedNpm {
  name: string;
  version: string;
  registry: string;
  /** npm's integrity of the tarball this run packed (undefined when unknown: then only existence is checked). */
  integrity?: string;
}

/** The read-back of one published version. */
export interface Verification {
  name: string;
  version: string;
  /** The version document's URL on the registry (credentials removed). */
  url: string;
  /** The tarball's URL as the registry names it (credentials removed), when it gave one. */
  tarball?: string;
  problems: string[];
}

/**
 * Reads each published version back (`GET <registry>/<name>/<version>`): it exists, its `dist.integrity` equals the
 * packed tarball's, and it carries `dist.attestations` when provenance was on. Registry answers are untrusted:
 * parsed bounded, and only checked values are reported.
 */
export async function verifyPublished(
  published: readonly PublishedNpm[],
  options: { provenance: boolean; authorizationFor: (registry: string) => string | undefined },
): Promise<Verification[]> {
  return Promise.all(published.map((entry) => verifyOne(entry, options)));
}

async function verifyOne(
  entry: PublishedNpm,
  options: { provenance: boolean; authorizationFor: (registry: string) => string | undefined },
): Promise<Verification> {
  const url = `${entry.registry}${escapePackageName(entry.name)}/${encodeURIComponent(entry.version)}`;
  const base = { name: entry.name, version: entry.version, url: redactUrl(url) };
  const headers: Record<string, string> = { accept: "application/json" };
  const authorization = options.authorizationFor(entry.registry);
  if (authorization) headers.authorization = authorization;
  let document: Record<string, unknown>;
  try {
    const answer = await httpRequest(url, { headers });
    if (answer.status === 404) return { ...base, problems: ["the registry does not serve this version"] };
    if (answer.status !== 200) return { ...base, problems: [`the registry answered HTTP ${answer.status}`] };
    const parsed = parseJsonAnswer(answer);
    if (!parsed.ok || !isObject(parsed.value))
      return { ...base, problems: ["the registry answered no version document"] };
    document = parsed.value;
  } catch (error) {
    return { ...base, problems: [`the registry did not answer (${describeFetchError(error)})`] };
  }
  const problems: string[] = [];
  if (document.name !== entry.name || document.version !== entry.version) {
    problems.push(`the registry answered ${quoted(document.name)}@${quoted(document.version)}`);
  }
  const dist = isObject(document.dist) ? document.dist : {};
  if (entry.integrity && dist.integrity !== entry.integrity) {
    problems.push(
      `its dist.integrity ${quoted(dist.integrity)} is not the packed tarball's ${entry.integrity.slice(0, 20)}...`,
    );
  }
  if (options.provenance && dist.attestations === undefined) {
    problems.push("it carries no dist.attestations although the publish asked for provenance");
  }
  const tarball = httpUrl(dist.tarball);
  return { ...base, ...(tarball ? { tarball: redactUrl(tarball) } : {}), problems };
}

/** A registry-given URL, only when it parses as http(s); normalized (no line breaks survive URL parsing). */
function httpUrl(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}
