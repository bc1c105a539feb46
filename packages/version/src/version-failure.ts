import path from "node:path";
import { FileCache, type Workspace } from "@polyglot-changesets/core";

/** The files `changeset version` writes (package.json and CHANGELOG.md of each package), as they are now. */
export type VersionFilesSnapshot = Map<string, string | undefined>;

export async function snapshotVersionFiles(workspace: Workspace): Promise<VersionFilesSnapshot> {
  // A fresh cache: the snapshot after `changeset version` must not see what was read before it.
  const files = new FileCache(workspace.root);
  const paths = workspace.packages.flatMap((pkg) =>
    ["package.json", "CHANGELOG.md"].map((name) => path.join(pkg.dir, name)),
  );
  const texts = await Promise.all(paths.map((file) => files.read(file)));
  return new Map(paths.map((file, index) => [file, texts[index]]));
}

/** `changeset version` failed without changing a package.json or CHANGELOG.md. */
export function failedUnchanged(exitCode: number): string {
  return `polyglot-version: error: changeset version failed (exit ${exitCode}) and changed no package.json or CHANGELOG.md; no target was synced\n  fix: fix the cause shown above, then run polyglot-version again\n`;
}

/**
 * What to tell the user when `changeset version` exits non-zero: which of its files it already changed (a
 * re-run would bump them again), that the changesets and the targets are untouched by the sync, and how to
 * get back to a state a re-run handles.
 */
export function explainFailedVersion(
  root: string,
  before: VersionFilesSnapshot,
  after: VersionFilesSnapshot,
  exitCode: number,
): string {
  const changed = [...before.keys()]
    .filter((file) => before.get(file) !== after.get(file))
    .map((file) => path.relative(root, file).split(path.sep).join("/"));
  if (changed.length === 0) return failedUnchanged(exitCode);
  return [
    `polyglot-version: error: changeset version failed (exit ${exitCode}) after changing ${changed.join(", ")}; the changesets are still in .changeset and no target was synced, so running polyglot-version again now would bump the versions a second time\n`,
    `  fix: undo its changes (git checkout -- ${changed.join(" ")}, or git stash), fix the cause shown above, then run polyglot-version again; or, if the versions it wrote are right, remove the used changesets and run polyglot-version --sync-only\n`,
  ].join("");
}
