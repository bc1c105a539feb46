import { access } from "node:fs/promises";
import path from "node:path";
import type { TomlTable } from "smol-toml";
import { PolyglotError } from "../errors.js";
import { parseTomlManifest, stringAt, tableAt } from "../workspace-toml.js";

export const PYPROJECT = "pyproject.toml";

/** Where a `dynamic = ["version"]` project reads its version from. */
export type DynamicVersionSource =
  /** A file holding `__version__ = "..."` (hatch / pdm `path`, setuptools `attr`) or only the version (setuptools `file`). */
  | { kind: "file"; path: string; setting: string }
  /** setuptools `attr = "pkg.__version__"`: a module to find under the project. */
  | { kind: "attr"; module: string; setting: string }
  /** maturin: the version of the Cargo.toml it builds. */
  | { kind: "cargo"; manifestPath: string }
  /** A source no file edit can move (e.g. hatch-vcs). */
  | { kind: "unsupported"; setting: string; detail: string };

/** What discovery and planning need to know about one pyproject.toml. */
export interface PyprojectFacts {
  /** `[project].name`, else `[tool.poetry].name`. */
  name: string | undefined;
  projectVersion: string | undefined;
  poetryVersion: string | undefined;
  /** `"version"` is listed in `[project].dynamic`. */
  dynamicVersion: boolean;
  buildBackend: string | undefined;
  /** Only when `dynamicVersion`; undefined when no tool config says where the version comes from. */
  dynamicVersionSource: DynamicVersionSource | undefined;
}

/** Reads the facts of a pyproject.toml; invalid TOML is an error naming the file and line. */
export function inspectPyproject(text: string, relativeFile: string): PyprojectFacts {
  const toml = parseTomlManifest(text, relativeFile);
  const project = tableAt(toml, "project");
  const poetry = tableAt(toml, "tool", "poetry");
  const dynamic = project?.dynamic;
  const dynamicVersion = Array.isArray(dynamic) && dynamic.includes("version");
  const buildBackend = stringAt(tableAt(toml, "build-system"), "build-backend");
  return {
    name: stringAt(project, "name") ?? stringAt(poetry, "name"),
    projectVersion: stringAt(project, "version"),
    poetryVersion: stringAt(poetry, "version"),
    dynamicVersion,
    buildBackend,
    dynamicVersionSource: dynamicVersion ? findDynamicVersionSource(toml, buildBackend) : undefined,
  };
}

function findDynamicVersionSource(
  toml: TomlTable,
  buildBackend: string | undefined,
): DynamicVersionSource | undefined {
  if (buildBackend?.startsWith("maturin")) {
    const manifestPath = stringAt(tableAt(toml, "tool", "maturin"), "manifest-path") ?? "Cargo.toml";
    return { kind: "cargo", manifestPath };
  }
  return hatchSource(toml) ?? pdmSource(toml) ?? setuptoolsSource(toml);
}

function hatchSource(toml: TomlTable): DynamicVersionSource | undefined {
  const hatch = tableAt(toml, "tool", "hatch", "version");
  if (!hatch) return undefined;
  const file = stringAt(hatch, "path");
  if (file) return { kind: "file", path: file, setting: "tool.hatch.version.path" };
  const source = stringAt(hatch, "source") ?? "regex";
  return {
    kind: "unsupported",
    setting: "tool.hatch.version.source",
    detail: `hatch version source "${source}"`,
  };
}

function pdmSource(toml: TomlTable): DynamicVersionSource | undefined {
  const pdm = tableAt(toml, "tool", "pdm", "version");
  if (!pdm) return undefined;
  const file = stringAt(pdm, "path");
  if (stringAt(pdm, "source") === "file" && file)
    return { kind: "file", path: file, setting: "tool.pdm.version.path" };
  return {
    kind: "unsupported",
    setting: "tool.pdm.version.source",
    detail: `pdm version source "${stringAt(pdm, "source")}"`,
  };
}

function setuptoolsSource(toml: TomlTable): DynamicVersionSource | undefined {
  const dynamic = tableAt(toml, "tool", "setuptools", "dynamic", "version");
  if (!dynamic) return undefined;
  const attr = stringAt(dynamic, "attr");
  if (attr)
    return {
      kind: "attr",
      module: attr.replace(/\.[^.]+$/, ""),
      setting: "tool.setuptools.dynamic.version.attr",
    };
  const file = dynamic.file;
  const first = Array.isArray(file) ? file[0] : file;
  if (typeof first === "string")
    return { kind: "file", path: first, setting: "tool.setuptools.dynamic.version.file" };
  return {
    kind: "unsupported",
    setting: "tool.setuptools.dynamic.version",
    detail: "setuptools dynamic version",
  };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * The file a setuptools `attr` points at: `pkg.sub` is `pkg/sub/__init__.py` or `pkg/sub.py`, in the
 * project folder or under `src/`.
 */
export async function resolveAttrModule(dir: string, module: string): Promise<string | undefined> {
  const parts = module.split(".");
  const candidates = ["", "src"].flatMap((base) => [
    path.join(dir, base, ...parts, "__init__.py"),
    path.join(dir, base, ...parts.slice(0, -1), `${parts.at(-1)}.py`),
  ]);
  for (const candidate of candidates) if (await exists(candidate)) return candidate;
  return undefined;
}

/**
 * The absolute paths of the files a dynamic version is read from (hatch / pdm / setuptools), or the
 * Cargo.toml of a maturin project. Errors name the pyproject setting and what to do.
 */
export async function resolveDynamicVersionSource(
  dir: string,
  facts: PyprojectFacts,
  relativeFile: string,
): Promise<{ versionFiles: string[]; cargoManifest?: string }> {
  const source = facts.dynamicVersionSource;
  if (!source) return { versionFiles: [] };
  switch (source.kind) {
    case "cargo":
      return { versionFiles: [], cargoManifest: path.resolve(dir, source.manifestPath) };
    case "file": {
      const file = path.resolve(dir, source.path);
      if (await exists(file)) return { versionFiles: [file] };
      throw new PolyglotError(`${source.setting} points at "${source.path}", which does not exist`, {
        file: relativeFile,
        setting: source.setting,
        fix: `create ${source.path} with a __version__ = "..." line, or correct ${source.setting}`,
      });
    }
    case "attr": {
      const file = await resolveAttrModule(dir, source.module);
      if (file) return { versionFiles: [file] };
      throw new PolyglotError(`cannot find the module "${source.module}" that ${source.setting} names`, {
        file: relativeFile,
        setting: source.setting,
        fix: `list the file holding __version__ in "versionFiles" of this target in .changeset/polyglot.json`,
      });
    }
    case "unsupported":
      return { versionFiles: [] };
  }
}
