import {
  editTomlDocument,
  formatTomlPath,
  parseTomlDocument,
  type TomlEdit,
  type TomlPath,
  tomlValueAt,
} from "../../edit/toml.js";
import type { EditOptions, EditResult, FieldEdit, LockEdit } from "../../edit/types.js";
import { PolyglotError } from "../../errors.js";
import { normalizePythonName } from "../../pep440.js";
import { moveSpecifierSet } from "./python-deps.js";
import { UnsatisfiableClause } from "./specifier.js";

/**
 * Sources under which uv.lock records a package built from this repository: workspace members and editable
 * path dependencies (`editable`), the virtual workspace root (`virtual`) and non-editable local directories
 * (`directory`). Packages from an index (`registry`), `git`, `url` or an archive `path` are never touched.
 */
const LOCAL_SOURCES = ["editable", "virtual", "directory"] as const;

/**
 * Sets the `version` of each `[[package]]` entry of uv.lock whose PEP 503 name is in `members` and whose
 * `source` is local (see LOCAL_SOURCES); entries without a `version` (dynamic versions) stay as they are.
 * The `specifier` of those members' own `[package.metadata].requires-dist` / `requires-dev` entries on another
 * member moves by the same rules as their pyproject.toml dependencies, so `uv lock --check` stays green.
 * `members` maps PEP 503 normalized names (normalizePythonName) to canonical PEP 440 versions.
 */
export function updateUvLock(
  text: string,
  members: ReadonlyMap<string, string>,
  options: EditOptions = {},
): EditResult {
  return editUvLock(text, members, options).result;
}

/** updateUvLock, also naming (PEP 503) the members whose entries changed. */
export function editUvLock(
  text: string,
  members: ReadonlyMap<string, string>,
  options: EditOptions = {},
): LockEdit {
  const changed = new Set<string>();
  if (members.size === 0) return { result: { text, edits: [] }, packages: changed };
  const versions = members;
  const doc = parseTomlDocument(text, options.file);
  const packages = tomlValueAt(doc.data, ["package"]);
  if (!Array.isArray(packages)) return { result: { text, edits: [] }, packages: changed };
  const edits: TomlEdit[] = [];
  const changes: FieldEdit[] = [];
  const edit = (owner: string, path: TomlPath, from: string, to: string, label: string) => {
    if (from === to) return;
    edits.push({ path, value: to });
    changes.push({ field: label, from, to });
    changed.add(owner);
  };
  packages.forEach((entry: unknown, index) => {
    const rawName = tomlValueAt(entry, ["name"]);
    const name = typeof rawName === "string" ? normalizePythonName(rawName) : undefined;
    if (name === undefined || !versions.has(name) || !isLocal(entry)) return;
    const version = tomlValueAt(entry, ["version"]);
    if (typeof version === "string")
      edit(name, ["package", index, "version"], version, versions.get(name)!, `package[${name}].version`);
    for (const path of requirementPaths(entry)) {
      const requirement = tomlValueAt(entry, path) as Record<string, unknown>;
      const target =
        typeof requirement.name === "string"
          ? versions.get(normalizePythonName(requirement.name))
          : undefined;
      if (target === undefined || typeof requirement.specifier !== "string") continue;
      const full: TomlPath = ["package", index, ...path, "specifier"];
      const moved = moveOrExplain(requirement.specifier, target, full, doc.file);
      edit(
        name,
        full,
        requirement.specifier,
        moved,
        `package[${name}].${formatTomlPath([...path, "specifier"])}`,
      );
    }
  });
  return { result: { text: editTomlDocument(doc, edits), edits: changes }, packages: changed };
}

function isLocal(entry: unknown): boolean {
  const source = tomlValueAt(entry, ["source"]);
  return LOCAL_SOURCES.some((kind) => tomlValueAt(source, [kind]) !== undefined);
}

/** Paths (inside one package entry) of `metadata.requires-dist[i]` and `metadata.requires-dev.<group>[i]`. */
function requirementPaths(entry: unknown): TomlPath[] {
  const paths: TomlPath[] = [];
  const dist = tomlValueAt(entry, ["metadata", "requires-dist"]);
  if (Array.isArray(dist)) for (const index of dist.keys()) paths.push(["metadata", "requires-dist", index]);
  const dev = tomlValueAt(entry, ["metadata", "requires-dev"]);
  if (typeof dev === "object" && dev !== null) {
    for (const [group, list] of Object.entries(dev)) {
      if (Array.isArray(list))
        for (const index of list.keys()) paths.push(["metadata", "requires-dev", group, index]);
    }
  }
  return paths.filter((path) => typeof tomlValueAt(entry, path) === "object");
}

function moveOrExplain(specifier: string, version: string, path: TomlPath, file: string | undefined): string {
  try {
    return moveSpecifierSet(specifier, version);
  } catch (error) {
    if (!(error instanceof UnsatisfiableClause)) throw error;
    throw new PolyglotError(
      `${formatTomlPath(path)} "${specifier}": ${error.clause} excludes the new version`,
      {
        code: "dependency-specifier-excluded",
        ...(file ? { file } : {}),
        fix: "change the dependency in pyproject.toml by hand, then run uv lock",
      },
    );
  }
}
