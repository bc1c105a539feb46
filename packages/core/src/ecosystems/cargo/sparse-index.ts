// Cargo's sparse registry index (the cargo book, "Registry Index"): one file per crate at a path made from its
// lower-cased name, one JSON object per line and version. The caller does the HTTP.
import { PolyglotError } from "../../errors.js";

/** Cargo's path of a crate in an index: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd...` (lower case). */
export function sparseIndexPath(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length <= 2) return `${lower.length}/${lower}`;
  if (lower.length === 3) return `3/${lower[0]}/${lower}`;
  return `${lower.slice(0, 2)}/${lower.slice(2, 4)}/${lower}`;
}

/** `sparse+https://index.crates.io/` -> `https://index.crates.io/` (always with the trailing slash). */
export function sparseIndexBase(index: string): string {
  const base = index.replace(/^sparse\+/, "");
  return base.endsWith("/") ? base : `${base}/`;
}

/** The URL of a crate's index file. */
export function sparseIndexUrl(index: string, name: string): string {
  return `${sparseIndexBase(index)}${sparseIndexPath(name)}`;
}

/** Statuses cargo reads as "no such crate" (404, and 410 / 451 as a removed one). */
export function isMissingCrateStatus(status: number): boolean {
  return status === 404 || status === 410 || status === 451;
}

/**
 * Every version of `name` in its index file, yanked ones included (they exist: a version is never published
 * twice), or why the text is not that file. Untrusted text: each line must be an entry of this crate.
 */
export function parseSparseIndexFile(
  text: string,
  name: string,
): { versions: Set<string> } | { problem: string } {
  const versions = new Set<string>();
  for (const [at, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const entry = parseEntry(line, name);
    if (typeof entry === "string") return { problem: `line ${at + 1} ${entry}` };
    versions.add(entry.vers);
  }
  return { versions };
}

/** The entry's version, or what is wrong with the line. */
function parseEntry(line: string, name: string): { vers: string } | string {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return "is not JSON";
  }
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    return "is not an index entry (a JSON object)";
  }
  const { name: entryName, vers } = entry as { name?: unknown; vers?: unknown };
  if (typeof entryName !== "string" || entryName.toLowerCase() !== name.toLowerCase()) {
    return `names the crate ${quote(entryName)} instead of ${name}`;
  }
  if (typeof vers !== "string" || vers === "") return "has no version (`vers`)";
  return { vers };
}

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** What a sparse index holds of a crate: every version line, yanked ones included (they still exist). */
export interface CrateVersions {
  /** The crate has an index file (any version, yanked or not). */
  exists: boolean;
  versions: Set<string>;
}

/** The HTTP the caller does (bounded, timed, redacting): core makes no network call of its own. */
export interface IndexHttp {
  /** GETs `url`; rejects with an Error whose message says why no answer came. */
  get(url: string, headers: Record<string, string>): Promise<{ status: number; text(): string }>;
  /** `url` as it may be printed (credentials removed). */
  redact(url: string): string;
}

const NETWORK_FIX =
  "check the network and the crates registry (crates in .changeset/polyglot.json), then re-run";
const SHAPE_FIX =
  "check the crates registry's index (crates.index in .changeset/polyglot.json or .cargo/config.toml): it must be a cargo sparse index; nothing was published";

/**
 * The versions of `name` in the sparse index `index`. A 404 (and 410/451, as cargo reads them) is a crate that does
 * not exist there. Every line must be an index entry of this crate: anything else is an error, never "missing".
 */
export async function crateVersionsInIndex(
  index: string,
  name: string,
  http: IndexHttp,
): Promise<CrateVersions> {
  let answer: { status: number; text(): string };
  try {
    // no-cache: a CDN in front of the index may hold the file from before the publish.
    answer = await http.get(sparseIndexUrl(index, name), { "cache-control": "no-cache" });
  } catch (error) {
    throw indexLookupError(index, name, http, `no answer (${(error as Error).message})`, NETWORK_FIX);
  }
  if (isMissingCrateStatus(answer.status)) return { exists: false, versions: new Set() };
  if (answer.status !== 200) {
    const fix =
      answer.status === 401 || answer.status === 403
        ? "the index wants credentials (auth-required registries are not supported yet): use a public index"
        : NETWORK_FIX;
    throw indexLookupError(index, name, http, `HTTP ${answer.status}`, fix);
  }
  const parsed = parseSparseIndexFile(answer.text(), name);
  if ("problem" in parsed) throw indexLookupError(index, name, http, parsed.problem, SHAPE_FIX);
  return { exists: parsed.versions.size > 0, versions: parsed.versions };
}

function indexLookupError(
  index: string,
  name: string,
  http: IndexHttp,
  what: string,
  fix: string,
): PolyglotError {
  return new PolyglotError(
    `cannot look up crate ${name} in ${http.redact(sparseIndexBase(index))}: ${what}`,
    {
      code: "crates-lookup-failed",
      setting: "crates",
      fix,
      exitCode: 1,
    },
  );
}
