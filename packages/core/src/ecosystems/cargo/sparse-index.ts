// Cargo's sparse registry index (the cargo book, "Registry Index"): one file per crate at a path made from its
// lower-cased name, one JSON object per line and version. Pure: the caller does the HTTP.

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
