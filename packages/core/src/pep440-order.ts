import { gte } from "@renovatebot/pep440";
import { lt as semverLt, valid as validSemver } from "semver";
import { POLYGLOT_CONFIG_FILE } from "./config.js";
import { PolyglotError } from "./errors.js";
import { type Pep440Kind, type Pep440Map, pep440KindOf, prereleaseTagOf, toPep440 } from "./pep440.js";

/** Two or more prerelease tags in use that end up as one PEP 440 letter, at least one through the map. */
export interface Pep440Collision {
  kind: Pep440Kind;
  tags: string[];
  /** The map entries involved, e.g. `pep440.next`. */
  settings: string[];
}

/**
 * Different prerelease tags in use that become the same PEP 440 letter: their numbers then interleave on
 * PyPI (`next.3` -> `rc3` sorts after a later `rc.0`). Collisions PEP 440 makes by itself (`alpha` and `a`)
 * are left out: only a `pep440` map entry can be named as the cause.
 */
export function pep440Collisions(tagsInUse: Iterable<string>, map: Pep440Map): Pep440Collision[] {
  const byKind = new Map<Pep440Kind, Map<string, string | undefined>>();
  for (const tag of new Set(tagsInUse)) {
    const resolved = pep440KindOf(tag, map);
    if (!resolved) continue;
    const tags = byKind.get(resolved.kind) ?? new Map<string, string | undefined>();
    tags.set(tag.toLowerCase(), resolved.entry);
    byKind.set(resolved.kind, tags);
  }
  return [...byKind.entries()]
    .map(([kind, tags]) => ({
      kind,
      tags: [...tags.keys()].sort(),
      settings: [...new Set([...tags.values()].filter((entry) => entry !== undefined))]
        .sort()
        .map((entry) => `pep440.${entry}`),
    }))
    .filter((collision) => collision.tags.length > 1 && collision.settings.length > 0);
}

/** One warning line per collision, naming the map entries and the tags. */
export function formatPep440Collision(collision: Pep440Collision): string {
  const tags = collision.tags.map((tag) => `"${tag}"`).join(" and ");
  return `${collision.settings.join(", ")} in ${POLYGLOT_CONFIG_FILE}: the prerelease tags ${tags} in use all become PEP 440 "${collision.kind}", so their numbers interleave on PyPI and pip may pick an older build (fix: map each tag to its own letter, in release order: a < b < rc; dev sorts before all)`;
}

/**
 * Refuses a move from `from` to `to` (semver, `from` < `to`) whose PEP 440 versions go the other way, e.g.
 * `1.0.0-next.3` -> `1.0.0-rc.0` with `{ "next": "rc" }`: `1.0.0rc3` >= `1.0.0rc0`, so PyPI would keep the
 * older build on top. `label` names who moves (a target).
 */
export function assertPep440Order(from: string, to: string, map: Pep440Map, label: string): void {
  if (!validSemver(from) || !validSemver(to) || !semverLt(from, to)) return;
  let before: string;
  let after: string;
  try {
    before = toPep440(from, map);
    after = toPep440(to, map);
  } catch {
    return; // an unmappable version is reported where it is converted
  }
  if (!gte(before, after)) return;
  const fromTag = prereleaseTagOf(from);
  const toTag = prereleaseTagOf(to);
  const entry = [toTag, fromTag]
    .map((tag) => (tag === undefined ? undefined : pep440KindOf(tag, map)?.entry))
    .find((found) => found !== undefined);
  const setting = entry === undefined ? "pep440" : `pep440.${entry}`;
  const order = fromTag && toTag ? `"${fromTag}" before "${toTag}"` : "the release order";
  throw new PolyglotError(
    `${label} would go from ${from} (${before}) to ${to} (${after}): on PyPI ${after} sorts ${before === after ? "equal to" : "before"} ${before}, so pip would keep the older build`,
    {
      code: "pep440-order",
      file: POLYGLOT_CONFIG_FILE,
      setting,
      fix: `change ${entry === undefined ? '"pep440"' : `"${entry}"`} in "pep440" of ${POLYGLOT_CONFIG_FILE} to a letter that keeps ${order} (PEP 440 order: dev < a < b < rc), or use a prerelease tag that sorts after the last one`,
    },
  );
}
