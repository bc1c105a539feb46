import { clean, eq, valid } from "@renovatebot/pep440";
import type { TomlTable } from "smol-toml";
import {
  editTomlDocument,
  parseTomlDocument,
  type TomlDocument,
  type TomlEdit,
  tomlValueAt,
} from "../../edit/toml.js";
import type { EditOptions, EditResult, FieldEdit } from "../../edit/types.js";
import { PolyglotError } from "../../errors.js";
import { shownVersion } from "../../version-text.js";
import { planDependencyEdits } from "./python-deps.js";

/** Which tool computes a `dynamic = ["version"]` project's version. */
export type PyprojectVersionSourceKind =
  | "poetry"
  | "hatch"
  | "hatch-vcs"
  | "pdm"
  | "pdm-scm"
  | "setuptools"
  | "setuptools-scm"
  | "flit"
  | "maturin"
  | "unknown";

/** Where a dynamic version lives, so the caller can write it there or explain why it cannot. */
export interface PyprojectVersionSource {
  kind: PyprojectVersionSourceKind;
  /** Candidate files relative to the pyproject.toml folder, most likely first; empty when no file holds it. */
  paths: string[];
  /** `assignment`: a `<variable> = "..."` line; `plain`: the file is the version; `cargo`: a Cargo.toml. */
  format?: "assignment" | "plain" | "cargo";
  /** The assigned name for `assignment` files (`__version__` unless setuptools `attr` names another). */
  variable?: string;
  /** The pyproject setting that chose this source, e.g. `tool.hatch.version.path`. */
  setting: string;
  /** False for sources no file edit can move (version control tags, code expressions). */
  writable: boolean;
}

export interface PyprojectDynamicVersion {
  dynamic: true;
  source?: PyprojectVersionSource;
}

export interface PyprojectInfo {
  /** `[project].name`, else `[tool.poetry].name`. */
  name: string | undefined;
  /** Which of the two `name` came from. */
  nameSetting?: "project.name" | "tool.poetry.name";
  version?: string;
  poetryVersion?: string;
  /** `"version"` is listed in `[project].dynamic`. */
  dynamic: boolean;
  dynamicSource?: PyprojectVersionSource;
  dependencies: string[];
  optionalDependencies: Record<string, string[]>;
  /** Both `[project].version` and `[tool.poetry].version` exist and differ (as PEP 440 versions). */
  versionConflict?: { project: string; poetry: string };
}

export interface PyprojectVersionResult extends EditResult {
  /** Set when `[project].dynamic` lists `version` and `[project]` has no static version. */
  dynamic?: PyprojectDynamicVersion;
  versionConflict?: { project: string; poetry: string };
}

const PROJECT_VERSION = ["project", "version"] as const;
const POETRY_VERSION = ["tool", "poetry", "version"] as const;

/** Reads what the sync needs from a pyproject.toml; invalid TOML is a PolyglotError with file and line. */
export function readPyprojectInfo(text: string, options: EditOptions = {}): PyprojectInfo {
  return infoOf(parseTomlDocument(text, options.file));
}

/**
 * Sets `[project].version` and `[tool.poetry].version`, each that exists as a string (never adds one), to
 * `version`, which must be canonical PEP 440. A project whose version is dynamic gets no edit of
 * `[project]` and a `dynamic` report naming where the version comes from; two static versions that disagree
 * are reported as `versionConflict` (both are still set, the caller decides).
 */
export function updatePyprojectVersion(
  text: string,
  version: string,
  options: EditOptions = {},
): PyprojectVersionResult {
  return updatePyproject(text, { version }, options);
}

/** What updatePyproject changes: the project's own version, and/or its dependencies on synced packages. */
export interface PyprojectUpdate {
  version?: string;
  /** PEP 503 name -> canonical PEP 440 version, as for updatePythonDependencies. */
  dependencies?: ReadonlyMap<string, string>;
}

/**
 * updatePyprojectVersion and updatePythonDependencies in one pass: one parse and one scan before, one parse
 * to verify after, however many values change. The result is the same as running both one after the other.
 */
export function updatePyproject(
  text: string,
  update: PyprojectUpdate,
  options: EditOptions = {},
): PyprojectVersionResult {
  if (update.version !== undefined) assertCanonicalPep440(update.version, options);
  const doc = parseTomlDocument(text, options.file);
  const info = infoOf(doc);
  const own = update.version === undefined ? { edits: [], changes: [] } : versionEdits(info, update.version);
  const dependencies = planDependencyEdits(doc, update.dependencies ?? new Map());
  const result: PyprojectVersionResult = {
    text: editTomlDocument(doc, [...own.edits, ...dependencies.edits]),
    edits: [...own.changes, ...dependencies.changes],
  };
  if (info.dynamic && info.version === undefined) {
    result.dynamic = info.dynamicSource ? { dynamic: true, source: info.dynamicSource } : { dynamic: true };
  }
  if (info.versionConflict) result.versionConflict = info.versionConflict;
  return result;
}

function versionEdits(info: PyprojectInfo, version: string): { edits: TomlEdit[]; changes: FieldEdit[] } {
  const edits: TomlEdit[] = [];
  const changes: FieldEdit[] = [];
  for (const [field, path, current] of [
    ["project.version", PROJECT_VERSION, info.version],
    ["tool.poetry.version", POETRY_VERSION, info.poetryVersion],
  ] as const) {
    if (current === undefined || current === version) continue;
    edits.push({ path, value: version });
    changes.push({ field, from: current, to: version });
  }
  return { edits, changes };
}

function infoOf(doc: TomlDocument): PyprojectInfo {
  const data = doc.data;
  const version = versionString(doc, PROJECT_VERSION);
  const poetryVersion = versionString(doc, POETRY_VERSION);
  const dynamicList = tomlValueAt(data, ["project", "dynamic"]);
  const dynamic = Array.isArray(dynamicList) && dynamicList.includes("version");
  const projectName = stringAt(data, ["project", "name"]);
  const name = projectName ?? stringAt(data, ["tool", "poetry", "name"]);
  const info: PyprojectInfo = {
    name,
    ...(name === undefined
      ? {}
      : { nameSetting: projectName === undefined ? "tool.poetry.name" : "project.name" }),
    dynamic,
    dependencies: stringsAt(data, ["project", "dependencies"]),
    optionalDependencies: optionalDependenciesOf(data),
  };
  if (version !== undefined) info.version = version;
  if (poetryVersion !== undefined) info.poetryVersion = poetryVersion;
  if (dynamic && version === undefined)
    info.dynamicSource = dynamicVersionSource(data, info.name, poetryVersion);
  if (version !== undefined && poetryVersion !== undefined && !samePep440(version, poetryVersion)) {
    info.versionConflict = { project: version, poetry: poetryVersion };
  }
  return info;
}

function dynamicVersionSource(
  data: TomlTable,
  name: string | undefined,
  poetryVersion: string | undefined,
): PyprojectVersionSource {
  const backend = stringAt(data, ["build-system", "build-backend"]) ?? "";
  if (backend.startsWith("maturin")) {
    const manifest = stringAt(data, ["tool", "maturin", "manifest-path"]) ?? "Cargo.toml";
    return {
      kind: "maturin",
      paths: [manifest],
      format: "cargo",
      setting: "build-system.build-backend",
      writable: true,
    };
  }
  if (poetryVersion !== undefined) {
    return { kind: "poetry", paths: ["pyproject.toml"], setting: "tool.poetry.version", writable: true };
  }
  return (
    hatchSource(data) ??
    pdmSource(data) ??
    setuptoolsSource(data) ??
    scmSource(data) ??
    flitSource(data, backend, name) ??
    unknownSource()
  );
}

function unknownSource(): PyprojectVersionSource {
  return { kind: "unknown", paths: [], setting: "project.dynamic", writable: false };
}

function hatchSource(data: TomlTable): PyprojectVersionSource | undefined {
  const hatch = tomlValueAt(data, ["tool", "hatch", "version"]);
  if (!isTable(hatch)) return undefined;
  const source = typeof hatch.source === "string" ? hatch.source : "regex";
  const path = typeof hatch.path === "string" ? hatch.path : undefined;
  if (source === "regex" && path) {
    return assignment("hatch", path, "__version__", "tool.hatch.version.path");
  }
  const kind = source === "vcs" ? "hatch-vcs" : "hatch";
  return { kind, paths: path ? [path] : [], setting: "tool.hatch.version.source", writable: false };
}

function pdmSource(data: TomlTable): PyprojectVersionSource | undefined {
  const pdm = tomlValueAt(data, ["tool", "pdm", "version"]);
  if (!isTable(pdm)) return undefined;
  if (pdm.source === "file" && typeof pdm.path === "string") {
    return assignment("pdm", pdm.path, "__version__", "tool.pdm.version.path");
  }
  return { kind: "pdm-scm", paths: [], setting: "tool.pdm.version.source", writable: false };
}

function setuptoolsSource(data: TomlTable): PyprojectVersionSource | undefined {
  const version = tomlValueAt(data, ["tool", "setuptools", "dynamic", "version"]);
  if (!isTable(version)) return undefined;
  const setting = "tool.setuptools.dynamic.version";
  if (typeof version.attr === "string") {
    const parts = version.attr.split(".");
    const variable = parts.pop()!;
    const paths = moduleFiles(parts.join("."), packageRoots(data));
    return {
      kind: "setuptools",
      paths,
      format: "assignment",
      variable,
      setting: `${setting}.attr`,
      writable: true,
    };
  }
  const files =
    typeof version.file === "string" ? [version.file] : Array.isArray(version.file) ? version.file : [];
  const paths = files.filter((file): file is string => typeof file === "string");
  return {
    kind: "setuptools",
    paths,
    format: "plain",
    setting: `${setting}.file`,
    writable: paths.length === 1,
  };
}

function scmSource(data: TomlTable): PyprojectVersionSource | undefined {
  const requires = tomlValueAt(data, ["build-system", "requires"]);
  const needsScm =
    Array.isArray(requires) && requires.some((entry) => /^setuptools[-_]scm\b/i.test(String(entry)));
  if (!needsScm && tomlValueAt(data, ["tool", "setuptools_scm"]) === undefined) return undefined;
  return { kind: "setuptools-scm", paths: [], setting: "tool.setuptools_scm", writable: false };
}

/** flit reads `__version__` from the module named like the project (or `[tool.flit.module].name`). */
function flitSource(
  data: TomlTable,
  backend: string,
  name: string | undefined,
): PyprojectVersionSource | undefined {
  if (!backend.startsWith("flit")) return undefined;
  const module = stringAt(data, ["tool", "flit", "module", "name"]) ?? name?.replace(/[-.]/g, "_");
  if (!module) return undefined;
  const paths = moduleFiles(module, ["", "src/"]);
  return {
    kind: "flit",
    paths,
    format: "assignment",
    variable: "__version__",
    setting: "project.name",
    writable: true,
  };
}

function assignment(
  kind: PyprojectVersionSourceKind,
  path: string,
  variable: string,
  setting: string,
): PyprojectVersionSource {
  return { kind, paths: [path], format: "assignment", variable, setting, writable: true };
}

/** Folders setuptools looks for packages in: `[tool.setuptools.package-dir]` "" first, then the flat and src layouts. */
function packageRoots(data: TomlTable): string[] {
  const mapped = stringAt(data, ["tool", "setuptools", "package-dir", ""]);
  const roots = mapped !== undefined ? [mapped] : [];
  return [
    ...new Set([...roots.map((root) => (root && !root.endsWith("/") ? `${root}/` : root)), "", "src/"]),
  ];
}

/** The files a module can live in under each root folder (`pkg/__init__.py`, `pkg.py`), roots ending in `/`. */
export function moduleFiles(module: string, roots: string[]): string[] {
  if (!module) return [];
  const base = module.split(".").join("/");
  return roots.flatMap((root) => [`${root}${base}/__init__.py`, `${root}${base}.py`]);
}

function optionalDependenciesOf(data: TomlTable): Record<string, string[]> {
  const table = tomlValueAt(data, ["project", "optional-dependencies"]);
  if (!isTable(table)) return {};
  return Object.fromEntries(Object.keys(table).map((extra) => [extra, stringsAt(table, [extra])]));
}

function versionString(doc: TomlDocument, path: readonly string[]): string | undefined {
  const value = tomlValueAt(doc.data, path);
  if (value === undefined || typeof value === "string") return value;
  throw new PolyglotError(`${path.join(".")} must be a string, e.g. "1.2.0"`, {
    code: "manifest-version-invalid",
    ...(doc.file ? { file: doc.file } : {}),
    ...lineOf(doc, path),
    setting: path.join("."),
    fix: `write ${path.at(-1)} = "<version>" under [${path.slice(0, -1).join(".")}]`,
  });
}

function lineOf(doc: TomlDocument, path: readonly string[]): { line?: number } {
  const span = doc.filter((candidate) => path.every((key, index) => candidate.path[index] === key))[0];
  return span ? { line: span.line } : {};
}

/** A version about to be written to a Python file must already be canonical PEP 440 (see toPep440). */
export function assertCanonicalPep440(version: string, options: EditOptions = {}): void {
  if (clean(version) === version) return;
  throw new PolyglotError(`"${shownVersion(version)}" is not a canonical PEP 440 version`, {
    code: "invalid-pep440",
    ...(options.file ? { file: options.file } : {}),
    fix: "convert the version with toPep440 before writing it to a pyproject.toml",
  });
}

function samePep440(left: string, right: string): boolean {
  return valid(left) !== null && valid(right) !== null ? eq(left, right) : left === right;
}

function stringAt(data: unknown, path: readonly string[]): string | undefined {
  const value = tomlValueAt(data, path);
  return typeof value === "string" ? value : undefined;
}

function stringsAt(data: unknown, path: readonly string[]): string[] {
  const value = tomlValueAt(data, path);
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === "string") : [];
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
