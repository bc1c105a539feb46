import path from "node:path";
import { execa } from "execa";
import type { Finding } from "../preflight.js";
import { shownPath } from "./shown.js";

/** A change `git status` reports: a tracked file modified or staged, or an untracked file git does not ignore. */
export interface TreeChange {
  path: string;
  kind: "modified" | "staged" | "untracked";
}

const LISTED = 20;

/**
 * Changes that never reach a package: npm leaves `.npmrc` out of every tarball, and CI steps commonly write the
 * registry credential line into the project's `.npmrc` before publishing.
 */
const NEVER_PACKED = ["**/.npmrc", ".npmrc"];

/**
 * The working tree's changes (after the user's build step): what would make the published packages differ from
 * the commit being released (generated bindings, `dist/` checked in, a lockfile the build rewrote).
 */
export async function treeChanges(root: string): Promise<TreeChange[] | undefined> {
  const result = await execa("git", ["status", "--porcelain=v1", "-z", "--untracked-files=all"], {
    cwd: root,
    reject: false,
  });
  if (result.exitCode !== 0) return undefined;
  return parsePorcelain(result.stdout);
}

/** `git status --porcelain=v1 -z`: `XY path\0`, and a rename's origin as one more NUL-terminated field. */
export function parsePorcelain(text: string): TreeChange[] {
  const fields = text.split("\0");
  const changes: TreeChange[] = [];
  for (let at = 0; at < fields.length; at++) {
    const field = fields[at] ?? "";
    if (field.length < 4) continue;
    const [index, work] = [field[0], field[1]];
    const file = field.slice(3);
    if (index === "R" || index === "C") at++;
    if (index === "?") changes.push({ path: file, kind: "untracked" });
    else if (index === "!") continue;
    else changes.push({ path: file, kind: work !== " " ? "modified" : "staged" });
  }
  return changes;
}

/** Whether `file` (repo-relative, `/`-separated) matches an `--allow-dirty` glob, or lies below a folder given. */
export function isAllowed(file: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    const glob = pattern.replace(/^\.\//, "").replace(/\/+$/, "");
    return path.posix.matchesGlob(file, glob) || path.posix.matchesGlob(file, `${glob}/**`);
  });
}

/**
 * The `tree-clean` gate: an error listing every change not allowed, an info line when clean. `snapshot`
 * (`--no-git-tag`): Changesets' snapshot flow publishes a version bump it never commits, so the changes are a
 * warning.
 */
export async function cleanTreeFindings(
  root: string,
  allowDirty: readonly string[],
  { snapshot = false }: { snapshot?: boolean } = {},
): Promise<Finding[]> {
  const changes = await treeChanges(root);
  if (changes === undefined) {
    return [
      {
        code: "tree-unknown",
        level: "warning",
        message:
          "could not read the working tree's state (`git status` failed): the clean-tree check did not run",
        fix: "publish from a git checkout of the commit being released",
      },
    ];
  }
  const npmrc = changes.filter((change) => isAllowed(change.path, NEVER_PACKED));
  const rest = changes.filter((change) => !isAllowed(change.path, NEVER_PACKED));
  const allowed = rest.filter((change) => isAllowed(change.path, allowDirty));
  const blocking = rest.filter((change) => !isAllowed(change.path, allowDirty));
  if (blocking.length === 0) {
    const notes = [
      allowed.length > 0 ? `${allowed.length} change(s) allowed by --allow-dirty` : "",
      npmrc.length > 0 ? `${npmrc.length} to .npmrc, which npm never packs` : "",
    ].filter(Boolean);
    const note = notes.length > 0 ? ` (${notes.join("; ")})` : "";
    return [{ code: "tree-clean", level: "info", message: `the working tree is clean${note}` }];
  }
  const listed = blocking
    .slice(0, LISTED)
    .map((change) => `${shownPath(change.path)} (${change.kind})`)
    .join(", ");
  const more = blocking.length > LISTED ? ` and ${blocking.length - LISTED} more` : "";
  if (snapshot) {
    return [
      {
        code: "tree-dirty",
        level: "warning",
        message: `snapshot release (--no-git-tag) from an uncommitted tree, as Changesets' snapshot flow does: ${listed}${more}`,
        fix: "nothing to do if these are the snapshot's version bump; anything else would be published as it is",
      },
    ];
  }
  return [
    {
      code: "tree-dirty",
      level: "error",
      message: `the working tree differs from the commit being released: ${listed}${more}; the packages would not match the commit`,
      fix: "commit the change, add the file to .gitignore, or fix the build step that changed it; for files the build is expected to change, pass --allow-dirty PATTERN (e.g. --allow-dirty 'bindings/src/**')",
    },
  ];
}
