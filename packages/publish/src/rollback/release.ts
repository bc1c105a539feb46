import { closestNames, PolyglotError } from "@polyglot-changesets/core";
import { execa } from "execa";
import semver from "semver";

/** One package version of the release being rolled back, from its git tag. */
export interface ReleasedPackage {
  /** npm package name (`v1.2.3` tags: the single package of the repo). */
  name: string;
  version: string;
  tag?: string;
}

/** `@scope/name@1.2.3` -> name and version; `v1.2.3` -> version only. */
export function parseTag(tag: string): { name?: string; version: string } | undefined {
  const at = tag.lastIndexOf("@");
  if (at > 0) {
    const version = tag.slice(at + 1);
    return semver.valid(version) ? { name: tag.slice(0, at), version } : undefined;
  }
  const plain = tag.replace(/^v/, "");
  return semver.valid(plain) ? { version: plain } : undefined;
}

/**
 * The packages of the release `target` names: a git tag (every package tagged on the same commit: one Changesets
 * release), a version (every tag of that version), or `name@version` without a tag. `single`: the repo's one
 * package, for `v1.2.3` tags.
 */
export async function resolveRelease(
  root: string,
  target: string,
  known: (name: string) => boolean,
  single?: string,
): Promise<ReleasedPackage[]> {
  const tags = await gitLines(root, ["tag", "--list"]);
  const toPackage = (tag: string): ReleasedPackage[] => {
    const parsed = parseTag(tag);
    const name = parsed?.name ?? single;
    return parsed && name ? [{ name, version: parsed.version, tag }] : [];
  };
  if (tags.includes(target)) {
    // Changesets tags every package of a release on the release commit.
    const [commit = ""] = await gitLines(root, ["rev-parse", "--verify", `refs/tags/${target}^{commit}`]);
    const sameCommit = await gitLines(root, ["tag", "--points-at", commit]);
    return sameCommit.flatMap(toPackage);
  }
  const plain = target.replace(/^v/, "");
  if (semver.valid(plain)) {
    const release = tags.flatMap(toPackage).filter((entry) => entry.version === plain);
    if (release.length > 0) return release;
  }
  const parsed = parseTag(target);
  if (parsed?.name && known(parsed.name)) return [{ name: parsed.name, version: parsed.version }];
  const [best] = closestNames(target, tags, 1);
  throw new PolyglotError(`no release ${JSON.stringify(target)}: no git tag, and no tag of that version`, {
    code: "rollback-nothing-to-undo",
    setting: "<version-or-tag>",
    fix: `pass a git tag of the release (e.g. ${best ?? "@scope/pkg@1.2.3"}) or its version; \`git fetch --tags\` first in a shallow clone`,
  });
}

async function gitLines(root: string, args: string[]): Promise<string[]> {
  const result = await execa("git", args, { cwd: root, reject: false });
  return result.exitCode === 0 ? result.stdout.split("\n").filter(Boolean) : [];
}
