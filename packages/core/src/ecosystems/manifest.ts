import path from "node:path";
import { POLYGLOT_CONFIG_FILE } from "../config.js";
import { PolyglotError } from "../errors.js";
import type { PathOrigin } from "../repo-files.js";
import { toRelative } from "../repo-paths.js";
import type { Target } from "../workspace.js";
import type { DiscoveryFolder } from "./adapter.js";

/** What reading a manifest of `folder` is blamed on when it leads out of the repo: its config entry's path. */
export function folderOrigin(folder: DiscoveryFolder): PathOrigin | undefined {
  return folder.setting ? { setting: `${folder.setting}.path`, file: POLYGLOT_CONFIG_FILE } : undefined;
}

/**
 * A manifest with no table and no key (empty, or only comments) is refused rather than skipped: it is what a
 * write cut short leaves, and skipping it would silently drop a target.
 */
export function requireContent(root: string, manifest: string, text: string | undefined, kind: string): void {
  if (text === undefined || !holdsNoTomlContent(text)) return;
  const file = toRelative(root, manifest);
  throw new PolyglotError(`${path.basename(manifest)} is empty (no table, no key)`, {
    code: "empty-manifest",
    file,
    fix: `restore ${file} (e.g. git checkout -- ${file}), or delete it if this folder is not a ${kind}`,
  });
}

function holdsNoTomlContent(text: string): boolean {
  return text
    .replace(/^\uFEFF/, "")
    .split("\n")
    .every((line) => {
      const trimmed = line.trim();
      return trimmed === "" || trimmed.startsWith("#");
    });
}

/** The fields every target of `folder` shares, whatever its ecosystem. */
export function baseTarget(
  root: string,
  folder: DiscoveryFolder,
  manifest: string,
): Omit<Target, "ecosystem" | "name"> {
  return {
    mode: folder.mode,
    dir: folder.dir,
    relativeDir: toRelative(root, folder.dir),
    manifest,
    source: folder.source,
    versionFiles: [],
    changelog: folder.changelog,
    ...(folder.setting ? { setting: folder.setting } : {}),
  };
}
