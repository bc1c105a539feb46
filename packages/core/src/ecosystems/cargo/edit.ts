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
import { shownVersion } from "../../version-text.js";

export interface CargoTomlOptions extends EditOptions {
  /** Synced crates (by crate name) and their new versions: path dependencies on them move. */
  crates?: ReadonlyMap<string, string>;
}

export interface CargoTomlResult extends EditResult {
  /** `[package]` has `version.workspace = true`: its version is `[workspace.package].version` of the workspace root. */
  inherits?: "workspace";
}

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const DEPENDENCY_TABLES = [
  "dependencies",
  "dev-dependencies",
  "build-dependencies",
  "dev_dependencies",
  "build_dependencies",
];
/** A single requirement whose version follows the release: caret (bare or `^`), tilde, exact and lower bound. */
const FOLLOWING_REQUIREMENT = /^(\s*)(\^|~|=|>=)?(\s*)(\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?)(\s*)$/;

/**
 * Sets `[package].version` and `[workspace.package].version` (each that exists as a string) to `version`,
 * semver as is; a crate with `version.workspace = true` gets no edit and reports `inherits: "workspace"`.
 * With `crates`, every path dependency on a synced crate moves too: `[dependencies]`, `[dev-dependencies]`,
 * `[build-dependencies]`, their `[target.<cfg>.*]` forms and `[workspace.dependencies]`, inline
 * (`other = { path = "../other", version = "1.2" }`) or as a table (`[dependencies.other]`), renamed ones by
 * their `package` key. A single requirement keeps its operator (`1.2.0`, `^1.2`, `~1.2`, `=1.2.0`, `>=1.2`)
 * and its precision where only zeros are dropped; ranges with several comparators, `<`, `>` and wildcards
 * are left alone. `version` undefined: only the dependencies move.
 */
export function updateCargoToml(
  text: string,
  version: string | undefined,
  options: CargoTomlOptions = {},
): CargoTomlResult {
  if (version !== undefined) assertSemver(version, options);
  const doc = parseTomlDocument(text, options.file);
  const edits: TomlEdit[] = [];
  const changes: FieldEdit[] = [];
  const edit = (path: TomlPath, from: string, to: string) => {
    if (from === to) return;
    edits.push({ path, value: to });
    changes.push({ field: formatTomlPath(path), from, to });
  };
  const packageVersion = tomlValueAt(doc.data, ["package", "version"]);
  const inherits = tomlValueAt(packageVersion, ["workspace"]) === true;
  if (version !== undefined) {
    if (typeof packageVersion === "string") edit(["package", "version"], packageVersion, version);
    const workspaceVersion = tomlValueAt(doc.data, ["workspace", "package", "version"]);
    if (typeof workspaceVersion === "string")
      edit(["workspace", "package", "version"], workspaceVersion, version);
  }
  for (const { path, requirement, target } of pathDependencies(doc.data, options.crates ?? new Map())) {
    const moved = moveCargoRequirement(requirement, target);
    if (moved !== undefined) edit(path, requirement, moved);
  }
  const result: CargoTomlResult = { text: editTomlDocument(doc, edits), edits: changes };
  if (inherits) result.inherits = "workspace";
  return result;
}

/**
 * Sets the `version` of the Cargo.lock `[[package]]` entries of synced crates that have no `source` (the
 * workspace's own crates; registry and git crates of the same name keep theirs), and the `"name version"`
 * references to those entries in `dependencies` lists (Cargo writes the version only when a name is ambiguous).
 */
export function updateCargoLock(
  text: string,
  crates: ReadonlyMap<string, string>,
  options: EditOptions = {},
): EditResult {
  return editCargoLock(text, crates, options).result;
}

/** updateCargoLock, also naming the crates whose entries changed (an entry whose dependency moved counts). */
export function editCargoLock(
  text: string,
  crates: ReadonlyMap<string, string>,
  options: EditOptions = {},
): LockEdit {
  const packagesChanged = new Set<string>();
  if (crates.size === 0) return { result: { text, edits: [] }, packages: packagesChanged };
  const doc = parseTomlDocument(text, options.file);
  const packages = tomlValueAt(doc.data, ["package"]);
  if (!Array.isArray(packages)) return { result: { text, edits: [] }, packages: packagesChanged };
  const edits: TomlEdit[] = [];
  const changes: FieldEdit[] = [];
  const renamed = new Map<string, string>();
  packages.forEach((entry: unknown, index) => {
    const name = tomlValueAt(entry, ["name"]);
    const current = tomlValueAt(entry, ["version"]);
    if (typeof name !== "string" || typeof current !== "string" || !crates.has(name)) return;
    if (tomlValueAt(entry, ["source"]) !== undefined) return;
    const next = crates.get(name)!;
    if (current === next) return;
    renamed.set(`${name} ${current}`, `${name} ${next}`);
    edits.push({ path: ["package", index, "version"], value: next });
    changes.push({ field: `package[${name}].version`, from: current, to: next });
    packagesChanged.add(name);
  });
  packages.forEach((entry: unknown, index) => {
    const dependencies = tomlValueAt(entry, ["dependencies"]);
    if (!Array.isArray(dependencies)) return;
    dependencies.forEach((reference: unknown, position) => {
      const next = typeof reference === "string" ? renamed.get(reference) : undefined;
      if (next === undefined) return;
      const name = String(tomlValueAt(entry, ["name"]));
      edits.push({ path: ["package", index, "dependencies", position], value: next });
      changes.push({ field: `package[${name}].dependencies`, from: String(reference), to: next });
      packagesChanged.add(name);
    });
  });
  return { result: { text: editTomlDocument(doc, edits), edits: changes }, packages: packagesChanged };
}

/** A Cargo version requirement moved for `version`, or undefined when it stays (see updateCargoToml). */
export function moveCargoRequirement(requirement: string, version: string): string | undefined {
  const match = FOLLOWING_REQUIREMENT.exec(requirement);
  if (!match) return undefined;
  const [, before, operator = "", space, written, after] = match;
  const moved = withPrecision(version, written!);
  return moved === written ? undefined : `${before}${operator}${space}${moved}${after}`;
}

interface DependencyVersion {
  path: TomlPath;
  requirement: string;
  target: string;
}

function pathDependencies(data: unknown, crates: ReadonlyMap<string, string>): DependencyVersion[] {
  if (crates.size === 0) return [];
  const tables: TomlPath[] = [...DEPENDENCY_TABLES.map((table) => [table]), ["workspace", "dependencies"]];
  const targets = tomlValueAt(data, ["target"]);
  if (isTable(targets)) {
    for (const cfg of Object.keys(targets))
      tables.push(...DEPENDENCY_TABLES.map((table) => ["target", cfg, table]));
  }
  return tables.flatMap((table) => {
    const dependencies = tomlValueAt(data, table);
    if (!isTable(dependencies)) return [];
    return Object.entries(dependencies).flatMap(([key, spec]) => {
      if (!isTable(spec) || typeof spec.path !== "string" || typeof spec.version !== "string") return [];
      const crate = typeof spec.package === "string" ? spec.package : key;
      const target = crates.get(crate);
      return target === undefined
        ? []
        : [{ path: [...table, key, "version"], requirement: spec.version, target }];
    });
  });
}

/** `1.3.0` written like `1.2` stays `1.3`; parts that are not zero, or a prerelease, are always written. */
function withPrecision(version: string, written: string): string {
  const [core, ...rest] = version.split(/(?=[-+])/);
  const parts = core!.split(".");
  const size = written.split("-")[0]!.split(".").length;
  const prerelease = rest.filter((part) => part.startsWith("-")).join("");
  if (prerelease) return `${core}${prerelease}`;
  while (parts.length > size && parts[parts.length - 1] === "0") parts.pop();
  return parts.join(".");
}

function assertSemver(version: string, options: EditOptions): void {
  if (SEMVER.test(version)) return;
  throw new PolyglotError(`"${shownVersion(version)}" is not a semver version, which Cargo requires`, {
    code: "invalid-semver",
    ...(options.file ? { file: options.file } : {}),
    fix: "give the source package.json a semver version such as 1.2.0",
  });
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
