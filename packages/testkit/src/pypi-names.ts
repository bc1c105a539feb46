import { clean, compare, eq, explain } from "@renovatebot/pep440";

/** PEP 503 normalization, as `packaging.utils.canonicalize_name`. */
export function normalizeProjectName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

/** Warehouse's project name rule (`projects_valid_name`). */
export function isValidProjectName(name: string): boolean {
  return /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i.test(name);
}

/** The normalized PEP 440 spelling (`1.2.0-rc.1` -> `1.2.0rc1`), or undefined when `version` is not PEP 440. */
export function normalizeVersion(version: string): string | undefined {
  return clean(version) ?? undefined;
}

export function isLocalVersion(version: string): boolean {
  return Boolean(explain(version)?.local);
}

export function isPrerelease(version: string): boolean {
  return explain(version)?.is_prerelease ?? false;
}

/**
 * Warehouse compares `canonicalize_version()` forms, which also drop trailing `.0` release segments, so
 * `1.2` and `1.2.0` are the same release. PEP 440 equality gives the same answer; invalid strings never match.
 */
export function sameVersion(a: string, b: string): boolean {
  if (!normalizeVersion(a) || !normalizeVersion(b)) return false;
  return eq(a, b);
}

export function compareVersions(a: string, b: string): number {
  return compare(a, b);
}

export interface DistFilename {
  /** The project part as written in the file name. */
  project: string;
  version: string;
  kind: "sdist" | "bdist_wheel";
}

/**
 * Splits `name-1.0.tar.gz` / `name-1.0-py3-none-any.whl` into project and version. Wheel names escape `-` in
 * the project as `_` (PEP 427), so the first `-` ends the project; sdists (PEP 625) do the same.
 */
export function parseDistFilename(filename: string): DistFilename | undefined {
  if (filename.endsWith(".whl")) {
    const parts = filename.slice(0, -".whl".length).split("-");
    if (parts.length !== 5 && parts.length !== 6) return undefined;
    const [project, version] = parts;
    return project && version ? { project, version, kind: "bdist_wheel" } : undefined;
  }
  if (filename.endsWith(".tar.gz")) {
    const stem = filename.slice(0, -".tar.gz".length);
    const dash = stem.lastIndexOf("-");
    if (dash <= 0) return undefined;
    return { project: stem.slice(0, dash), version: stem.slice(dash + 1), kind: "sdist" };
  }
  return undefined;
}
