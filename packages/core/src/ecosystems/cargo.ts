import { readFile } from "node:fs/promises";
import path from "node:path";
import type { TomlTable } from "smol-toml";
import { parseTomlManifest, stringAt, tableAt } from "../workspace-toml.js";

export const CARGO_TOML = "Cargo.toml";
export const CARGO_LOCK = "Cargo.lock";

/** What discovery and planning need to know about one Cargo.toml. */
export interface CargoFacts {
  /** `[package].name`. */
  name: string | undefined;
  /** `[package].version` when it is a literal. */
  version: string | undefined;
  /** `version.workspace = true`: the crate takes `[workspace.package].version` of its workspace root. */
  inheritsWorkspaceVersion: boolean;
  /** This manifest has a `[workspace]` table. */
  isWorkspaceRoot: boolean;
  /** `[workspace.package].version` of this manifest. */
  workspaceVersion: string | undefined;
}

export function inspectCargoToml(text: string, relativeFile: string): CargoFacts {
  const toml = parseTomlManifest(text, relativeFile);
  const pkg = tableAt(toml, "package");
  const version = pkg?.version;
  return {
    name: stringAt(pkg, "name"),
    version: typeof version === "string" ? version : undefined,
    inheritsWorkspaceVersion: isInherited(version),
    isWorkspaceRoot: tableAt(toml, "workspace") !== undefined,
    workspaceVersion: stringAt(tableAt(toml, "workspace", "package"), "version"),
  };
}

function isInherited(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as TomlTable).workspace === true;
}

/**
 * The Cargo workspace root of a crate: the nearest Cargo.toml above it (up to `root`) with a `[workspace]`
 * table, or the crate itself.
 */
export async function findCargoWorkspaceRoot(crateDir: string, root: string): Promise<string> {
  let dir = path.dirname(crateDir);
  while (dir.startsWith(root) && dir !== path.dirname(dir)) {
    const manifest = path.join(dir, CARGO_TOML);
    const text = await readFile(manifest, "utf8").catch(() => undefined);
    if (text !== undefined && /^\s*\[workspace\]/m.test(text)) return dir;
    if (dir === root) break;
    dir = path.dirname(dir);
  }
  return crateDir;
}
