import { compare as comparePep440, explain as explainPep440, type Pep440Version } from "@renovatebot/pep440";

/** A clause the new version cannot satisfy without changing its operator (`!=`, `>`); the caller reports it. */
export class UnsatisfiableClause extends Error {
  constructor(readonly clause: string) {
    super(`${clause} excludes the new version`);
    this.name = "UnsatisfiableClause";
  }
}

/**
 * The version of one specifier clause moved for the new version `target`, or undefined when it stays.
 * The operator never changes. Rules (X is the written version):
 * - `==X`, `>=X`: become the new version (a lower bound moves up with the release, as Changesets does for
 *   internal npm ranges), written with X's precision when only zeros are dropped (`>=1.2` -> `>=1.3`).
 * - `===X`: becomes the new version string exactly.
 * - `~=X`: keeps X's number of release parts (`~=1.2` -> `~=1.3`, `~=1.2.0` -> `~=1.3.0`), plus the new
 *   pre/dev suffix, so the compatible window keeps its size.
 * - `==X.*`: stays when it still matches, else moves to the new version's prefix of the same length.
 * - `<=X`: moves to the new version only when the new version is above it.
 * - `<X`: only when it would exclude the new version (also a pre-release of X): its last part is raised
 *   past the new version, keeping X's precision (`<2` -> `<3`, `<1.3.0` -> `<1.3.1`).
 * - `!=X`, `>X`: stay; if they exclude the new version UnsatisfiableClause is thrown.
 */
export function moveClauseVersion(operator: string, written: string, target: string): string | undefined {
  const next = explainOrThrow(target);
  if (operator === "===") return written === target ? undefined : target;
  if (written.endsWith(".*")) return movePrefix(operator, written, next);
  const current = explain(written);
  if (!current) return undefined;
  switch (operator) {
    case "==":
    case ">=":
      return compare(written, target) === 0 ? undefined : formatWithPrecision(next, current.release.length);
    case "~=":
      return unchanged(written, compatibleRelease(next, current.release.length));
    case "<=":
      return compare(target, written) > 0 ? formatWithPrecision(next, current.release.length) : undefined;
    case "<":
      return excludedByUpperBound(current, next, written, target)
        ? raiseUpperBound(current, next)
        : undefined;
    case "!=":
      if (compare(written, target) === 0) throw new UnsatisfiableClause(`${operator}${written}`);
      return undefined;
    case ">":
      if (compare(target, written) <= 0) throw new UnsatisfiableClause(`${operator}${written}`);
      return undefined;
    default:
      return undefined;
  }
}

function movePrefix(operator: string, written: string, next: Pep440Version): string | undefined {
  const prefix = written.slice(0, -2).split(".").map(Number);
  const matches = prefix.every((part, index) => (next.release[index] ?? 0) === part);
  if (operator === "!=") {
    if (matches) throw new UnsatisfiableClause(`${operator}${written}`);
    return undefined;
  }
  if (operator !== "==" || matches) return undefined;
  return `${padRelease(next.release, prefix.length).join(".")}.*`;
}

function excludedByUpperBound(
  current: Pep440Version,
  next: Pep440Version,
  written: string,
  target: string,
): boolean {
  if (compare(target, written) >= 0) return true;
  // `<X` never admits a pre-release of X itself unless X is one.
  return !current.is_prerelease && next.is_prerelease && compare(next.base_version, written) === 0;
}

function raiseUpperBound(current: Pep440Version, next: Pep440Version): string {
  const size = current.release.length;
  const release = padRelease(next.release, size);
  release[size - 1]! += 1;
  return epochPrefix(next) + release.join(".");
}

function compatibleRelease(next: Pep440Version, size: number): string {
  return epochPrefix(next) + padRelease(next.release, Math.max(size, 2)).join(".") + suffixOf(next);
}

/** The version with trailing zero parts dropped down to `size` parts: equal under PEP 440's zero padding. */
function formatWithPrecision(next: Pep440Version, size: number): string {
  const release = [...next.release];
  while (release.length > Math.max(size, 1) && release[release.length - 1] === 0) release.pop();
  return epochPrefix(next) + release.join(".") + suffixOf(next);
}

function padRelease(release: readonly number[], size: number): number[] {
  return Array.from({ length: size }, (_, index) => release[index] ?? 0);
}

function suffixOf(version: Pep440Version): string {
  const pre = version.pre ? `${version.pre[0]}${version.pre[1]}` : "";
  const post = numberOf(version.post);
  const dev = numberOf(version.dev);
  return pre + (post === undefined ? "" : `.post${post}`) + (dev === undefined ? "" : `.dev${dev}`);
}

/** `post` and `dev` are numbers at run time although the library's types declare arrays. */
function numberOf(part: unknown): string | undefined {
  const value = Array.isArray(part) ? part[part.length - 1] : part;
  return value === null || value === undefined ? undefined : String(value);
}

function epochPrefix(version: Pep440Version): string {
  return version.epoch ? `${version.epoch}!` : "";
}

function unchanged(written: string, moved: string): string | undefined {
  return moved === written ? undefined : moved;
}

function explainOrThrow(version: string): Pep440Version {
  const parsed = explain(version);
  if (!parsed) throw new Error(`"${version}" is not a PEP 440 version`);
  return parsed;
}

// The same few versions are compared for every dependency of every target: parse each once.
const explained = new Map<string, Pep440Version | null>();

function explain(version: string): Pep440Version | null {
  let parsed = explained.get(version);
  if (parsed === undefined) {
    if (explained.size > 10_000) explained.clear();
    parsed = explainPep440(version);
    explained.set(version, parsed);
  }
  return parsed;
}

function compare(left: string, right: string): number {
  if (left === right) return 0;
  const a = explain(left);
  const b = explain(right);
  return a && b ? compareExplained(a, b, left, right) : comparePep440(left, right);
}

/** Release versions without epochs (the common case) compare part by part; anything else asks the library. */
function compareExplained(a: Pep440Version, b: Pep440Version, left: string, right: string): number {
  if (
    a.epoch !== b.epoch ||
    a.is_prerelease ||
    b.is_prerelease ||
    a.is_postrelease ||
    b.is_postrelease ||
    a.local ||
    b.local
  ) {
    return comparePep440(left, right);
  }
  const size = Math.max(a.release.length, b.release.length);
  for (let index = 0; index < size; index++) {
    const difference = (a.release[index] ?? 0) - (b.release[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}
