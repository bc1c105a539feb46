import { clean, eq, valid } from "@renovatebot/pep440";
import { PolyglotError } from "./errors.js";

/** PEP 440 pre-release kinds a prerelease tag can map to. */
export type Pep440Kind = "a" | "b" | "rc" | "dev";

/** Prerelease tag -> PEP 440 kind, from `"pep440"` in `.changeset/polyglot.json`, e.g. `{ next: "rc" }`. */
export type Pep440Map = Record<string, Pep440Kind>;

const POLYGLOT_CONFIG = ".changeset/polyglot.json";
const CHANGESET_CONFIG = ".changeset/config.json";
const PEP440_KINDS: readonly string[] = ["a", "b", "rc", "dev"];

/** Tags PEP 440 itself accepts as spellings of a pre-release (packaging normalizes them the same way). */
const BUILTIN_TAGS: Readonly<Record<string, Pep440Kind>> = {
  alpha: "a",
  a: "a",
  beta: "b",
  b: "b",
  rc: "rc",
  c: "rc",
  pre: "rc",
  preview: "rc",
  dev: "dev",
};

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;
/** `<tag>` or `<tag>.<n>`: what `changeset pre enter <tag>` versions look like. */
const TAG_AND_NUMBER = /^([A-Za-z][0-9A-Za-z-]*?)(?:\.(\d+))?$/;
/** Changesets snapshot `{datetime}` (YYYYMMDDHHmmss) and `{timestamp}` (ms since the epoch) placeholders. */
const DATETIME = /^\d{14}$/;
const TIMESTAMP = /^\d{13}$/;
/** Changesets snapshot `{commit}` (full SHA) and `{commit-short}` (7 characters) placeholders. */
const COMMIT = /^(?:[0-9a-f]{7}|[0-9a-f]{40})$/i;

/**
 * Converts a version Changesets produced (semver) to canonical PEP 440.
 *
 * - Releases stay as they are: `1.2.0` -> `1.2.0`.
 * - Prereleases `<tag>.<n>` (or `<tag>` alone, n = 0): alpha|a -> `aN`, beta|b -> `bN`, rc|c|pre|preview -> `rcN`,
 *   dev -> `.devN`. Any other tag (e.g. `pre enter next`) must be mapped in `map` (`{ next: "rc" }`); the map
 *   also overrides the built-in spellings. Tags are looked up as written, then lower-cased.
 * - Snapshots (`0.0.0-<tag>-<datetime>`, `1.2.4-<tag>-<datetime>` with useCalculatedVersion, and custom
 *   prereleaseTemplates): the `{datetime}` (14 digits) or, failing that, `{timestamp}` (13 digits) becomes
 *   the pre-release number, because it is the only part that orders snapshots by time;
 *   the tag maps as above (`canary` needs `{ canary: "dev" }`), a snapshot without a tag is a dev release
 *   (`0.0.0-20261122051500` -> `0.0.0.dev20261122051500`), and a `{commit}` / `{commit-short}` is dropped.
 *   A snapshot without a datetime or timestamp cannot be ordered and is refused.
 * - Build metadata (`+build.5`) is dropped: semver gives it no precedence, and its PEP 440 counterpart, a local
 *   version, is rejected by PyPI uploads.
 *
 * The result is checked and canonicalized with `@renovatebot/pep440`. A tag with no mapping throws a
 * PolyglotError naming the tag and the `pep440.<tag>` setting to add.
 */
export function toPep440(semver: string, map: Pep440Map = {}): string {
  const match = SEMVER.exec(semver.trim());
  if (!match) throw notSemver(semver);
  const [, major, minor, patch, prerelease] = match;
  const release = `${Number(major)}.${Number(minor)}.${Number(patch)}`;
  const suffix = prerelease === undefined ? "" : prereleaseSuffix(prerelease, semver, map);
  return canonical(`${release}${suffix}`, semver);
}

/** PEP 503 normalized project name: runs of `-`, `_`, `.` become one `-`, lower-cased. */
export function normalizePythonName(name: string): string {
  return name
    .trim()
    .replace(/[-_.]+/g, "-")
    .toLowerCase();
}

function prereleaseSuffix(prerelease: string, semver: string, map: Pep440Map): string {
  const identifiers = prerelease.split(/[.-]/);
  if (identifiers.some((part) => DATETIME.test(part) || TIMESTAMP.test(part))) {
    return snapshotSuffix(identifiers, semver, map);
  }
  if (identifiers.some((part) => COMMIT.test(part)) && !isTagKnown(prerelease, map)) {
    throw unorderedSnapshot(semver);
  }
  const tagged = TAG_AND_NUMBER.exec(prerelease);
  if (!tagged) throw unmappable(prerelease, semver);
  return kindSuffix(kindOf(tagged[1]!, semver, map), Number(tagged[2] ?? 0));
}

function isSnapshotPlaceholder(identifier: string): boolean {
  return DATETIME.test(identifier) || TIMESTAMP.test(identifier) || COMMIT.test(identifier);
}

function isTagKnown(prerelease: string, map: Pep440Map): boolean {
  const tag = TAG_AND_NUMBER.exec(prerelease)?.[1];
  if (tag === undefined) return false;
  return [lookup(map, tag), lookup(map, tag.toLowerCase()), lookup(BUILTIN_TAGS, tag.toLowerCase())].some(
    (kind) => kind !== undefined,
  );
}

function snapshotSuffix(identifiers: string[], semver: string, map: Pep440Map): string {
  const number =
    identifiers.find((part) => DATETIME.test(part)) ?? identifiers.find((part) => TIMESTAMP.test(part))!;
  const words = identifiers.filter((part) => !isSnapshotPlaceholder(part));
  if (words.length === 0) return kindSuffix("dev", Number(number));
  return kindSuffix(kindOf(words.join("-"), semver, map), Number(number));
}

/**
 * The PEP 440 letter a prerelease tag becomes, and the `pep440` map entry that decided it (undefined when
 * PEP 440's own spelling did); undefined for a tag nothing maps.
 */
export function pep440KindOf(
  tag: string,
  map: Pep440Map = {},
): { kind: Pep440Kind; entry?: string } | undefined {
  for (const key of [tag, tag.toLowerCase()]) {
    const mapped = lookup(map, key);
    if (mapped !== undefined) return { kind: mapped, entry: key };
  }
  const builtin = lookup(BUILTIN_TAGS, tag.toLowerCase());
  return builtin === undefined ? undefined : { kind: builtin };
}

/** The prerelease tag of a `<tag>.<n>` prerelease (`next` of `1.0.0-next.3`); undefined for a release. */
export function prereleaseTagOf(semver: string): string | undefined {
  const prerelease = SEMVER.exec(semver.trim())?.[4];
  return prerelease === undefined ? undefined : TAG_AND_NUMBER.exec(prerelease)?.[1];
}

function kindOf(tag: string, semver: string, map: Pep440Map): Pep440Kind {
  const resolved = pep440KindOf(tag, map);
  if (resolved === undefined) throw unmappable(tag, semver);
  if (!PEP440_KINDS.includes(resolved.kind)) throw badMapping(tag, resolved.kind);
  return resolved.kind;
}

/** Own properties only: a tag named `constructor` must not find Object.prototype. */
function lookup(table: Readonly<Record<string, Pep440Kind>>, tag: string): Pep440Kind | undefined {
  return Object.hasOwn(table, tag) ? table[tag] : undefined;
}

function kindSuffix(kind: Pep440Kind, number: number): string {
  return kind === "dev" ? `.dev${number}` : `${kind}${number}`;
}

function canonical(candidate: string, semver: string): string {
  const cleaned = valid(candidate) === null ? null : clean(candidate);
  if (cleaned === null || cleaned !== candidate) {
    throw new PolyglotError(`${semver} maps to ${candidate}, which is not a canonical PEP 440 version`, {
      code: "invalid-pep440",
      file: POLYGLOT_CONFIG,
      fix: "use a release or a prerelease of the form <tag>.<number>",
    });
  }
  return cleaned;
}

function notSemver(semver: string): PolyglotError {
  return new PolyglotError(`"${semver}" is not a semver version`, {
    code: "invalid-semver",
    fix: "give the source package.json a semver version such as 1.2.0 or 1.2.0-rc.1",
  });
}

function unmappable(tag: string, semver: string): PolyglotError {
  return new PolyglotError(`prerelease tag "${tag}" of ${semver} has no PEP 440 equivalent`, {
    code: "unmappable-prerelease",
    file: POLYGLOT_CONFIG,
    setting: `pep440.${tag}`,
    fix: `add "pep440": { "${tag}": "a" | "b" | "rc" | "dev" } to ${POLYGLOT_CONFIG}`,
  });
}

function badMapping(tag: string, mapped: string): PolyglotError {
  return new PolyglotError(`"pep440" maps "${tag}" to "${mapped}", which is not a PEP 440 pre-release kind`, {
    code: "unmappable-prerelease",
    file: POLYGLOT_CONFIG,
    setting: `pep440.${tag}`,
    fix: `set "pep440": { "${tag}": "a" | "b" | "rc" | "dev" } in ${POLYGLOT_CONFIG}`,
  });
}

function unorderedSnapshot(semver: string): PolyglotError {
  return new PolyglotError(
    `snapshot version ${semver} has no {datetime} or {timestamp}, so no PEP 440 version can order it`,
    {
      code: "unmappable-prerelease",
      file: CHANGESET_CONFIG,
      setting: "snapshot.prereleaseTemplate",
      fix: 'add {datetime} to "snapshot": { "prereleaseTemplate" } in .changeset/config.json, e.g. "{tag}-{datetime}-{commit-short}"',
    },
  );
}

/** True when `a` and `b` are the same PEP 440 version (`1.0` and `1.0.0`, `1.0RC1` and `1.0rc1`). */
export function samePep440(a: string, b: string): boolean {
  return valid(a) !== null && valid(b) !== null && eq(a, b);
}
