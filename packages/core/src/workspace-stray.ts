import type { Dirent } from "node:fs";
import { readdirSync } from "node:fs";
import path from "node:path";
import { POLYGLOT_CONFIG_FILE } from "./config.js";
import { toRelative } from "./repo-paths.js";
import type { Workspace } from "./workspace.js";
import type { FileCache } from "./workspace-files.js";

/** Folders never searched: dependencies, build output, virtual environments, version control. */
const SKIPPED = new Set(["node_modules", "dist", "build", "target", "venv", "__pycache__", "site-packages"]);
const MAX_DEPTH = 3;
/** A bound on folders listed, so a huge repo stays fast (the hint is best effort). */
const MAX_FOLDERS = 2_000;

/** What makes a folder beside a package.json a Python or Rust project. */
const PROJECT_FILES: Record<string, RegExp | undefined> = {
  "pyproject.toml": /^[ \t]*\[(?:project|tool\.poetry)\][ \t]*(?:#.*)?\r?$/m,
  "Cargo.toml": /^[ \t]*\[package\][ \t]*(?:#.*)?\r?$/m,
  "setup.py": undefined,
  "setup.cfg": undefined,
};

/**
 * Bridge-shaped folders (a package.json beside a pyproject.toml declaring a project, a Cargo.toml declaring a
 * crate, or a setup.py / setup.cfg) that are neither a workspace package nor a target, so nothing syncs them.
 * Looks at most MAX_DEPTH folders deep, skipping dot-folders and SKIPPED.
 */
export interface StrayBridgeFolder {
  /** Repo-relative folder. */
  folder: string;
  /** The manifest found beside its package.json, e.g. `pyproject.toml`. */
  manifest: string;
}

export async function findStrayBridgeFolders(
  workspace: Workspace,
  files: FileCache,
): Promise<StrayBridgeFolder[]> {
  const known = new Set([
    workspace.root,
    ...workspace.packages.map((pkg) => pkg.dir),
    ...workspace.targets.map((target) => target.dir),
  ]);
  const stray: StrayBridgeFolder[] = [];
  for (const { dir, entries } of listFolders(workspace.root)) {
    if (known.has(dir) || !entries.some((entry) => entry.name === "package.json" && entry.isFile())) continue;
    const manifest = await projectManifest(dir, entries, files);
    if (manifest) stray.push({ folder: toRelative(workspace.root, dir), manifest });
  }
  return stray.sort((a, b) => a.folder.localeCompare(b.folder));
}

/** One line per stray folder, naming it and both fixes. */
export function formatStrayBridgeFolder({ folder, manifest }: StrayBridgeFolder): string {
  return `${folder} has a package.json and a ${manifest} but is outside the workspace globs, so it is not synced (fix: add it to the workspace globs, or add { "path": "${folder}", "versionFrom": "<npm package>" } to "targets" in ${POLYGLOT_CONFIG_FILE})`;
}

async function projectManifest(
  dir: string,
  entries: Dirent[],
  files: FileCache,
): Promise<string | undefined> {
  for (const entry of entries) {
    if (!entry.isFile() || !Object.hasOwn(PROJECT_FILES, entry.name)) continue;
    const pattern = PROJECT_FILES[entry.name];
    if (!pattern) return entry.name;
    const text = await files.read(path.join(dir, entry.name));
    if (text !== undefined && pattern.test(text)) return entry.name;
  }
  return undefined;
}

function* listFolders(root: string): Generator<{ dir: string; entries: Dirent[] }> {
  const queue: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
  for (let listed = 0; queue.length > 0 && listed < MAX_FOLDERS; listed++) {
    const { dir, depth } = queue.shift()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable folders are not ours to report here
    }
    yield { dir, entries };
    if (depth >= MAX_DEPTH) continue;
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith(".") && !SKIPPED.has(entry.name))
        queue.push({ dir: path.join(dir, entry.name), depth: depth + 1 });
    }
  }
}
