import path from "node:path";
import { parseTomlDocument, tomlValueAt } from "../../edit/toml.js";

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

/** Reads the facts of a Cargo.toml; invalid TOML is an error naming the file and line. */
export function inspectCargoToml(text: string, relativeFile: string): CargoFacts {
  const toml = parseTomlDocument(text, relativeFile).data;
  const version = tomlValueAt(toml, ["package", "version"]);
  return {
    name: stringValue(tomlValueAt(toml, ["package", "name"])),
    version: stringValue(version),
    inheritsWorkspaceVersion: tomlValueAt(version, ["workspace"]) === true,
    isWorkspaceRoot: tomlValueAt(toml, ["workspace"]) !== undefined,
    workspaceVersion: stringValue(tomlValueAt(toml, ["workspace", "package", "version"])),
  };
}

function stringValue(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * The Cargo workspace root of a crate: the nearest Cargo.toml above it (up to `root`) with a `[workspace]`
 * table, or the crate itself. `read` is the run's repo-confined reader (FileCache.read).
 */
export async function findCargoWorkspaceRoot(
  crateDir: string,
  root: string,
  read: (file: string) => Promise<string | undefined>,
): Promise<string> {
  let dir = path.dirname(crateDir);
  while (dir.startsWith(root) && dir !== path.dirname(dir)) {
    const manifest = path.join(dir, CARGO_TOML);
    const text = await read(manifest);
    if (text !== undefined && /^\s*\[workspace\]/m.test(text)) return dir;
    if (dir === root) break;
    dir = path.dirname(dir);
  }
  return crateDir;
}
