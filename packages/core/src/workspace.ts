import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { getPackages, type Packages } from "@manypkg/get-packages";
import {
  POLYGLOT_CONFIG_FILE,
  type PolyglotConfig,
  readPolyglotConfig,
  type TargetConfig,
} from "./config.js";
import { CARGO_TOML, inspectCargoToml } from "./ecosystems/cargo.js";
import { inspectPyproject, PYPROJECT, resolveDynamicVersionSource } from "./ecosystems/pypi.js";
import {
  readSetuptoolsFacts,
  type SetuptoolsFacts,
  setupCfgVersionSource,
  setuptoolsManifest,
  setuptoolsName,
} from "./ecosystems/setuptools.js";
import type { PyprojectInfo } from "./edit/pyproject.js";
import { PolyglotError } from "./errors.js";
import { requireSemver, requireValidName } from "./names.js";
import { FileCache } from "./workspace-files.js";
import { closestNames } from "./workspace-names.js";

/** An npm workspace package (a possible source). */
export interface NpmPackage {
  name: string;
  version: string;
  /** Absolute folder. */
  dir: string;
  /** Folder relative to the repo root, with `/` separators. */
  relativeDir: string;
  private: boolean;
  packageJson: Record<string, unknown>;
}

/** A non-npm manifest whose version follows an npm workspace package, its source. */
export interface Target {
  ecosystem: "pypi" | "cargo";
  mode: "bridge" | "follow";
  /** Absolute folder. */
  dir: string;
  /** Folder relative to the repo root, with `/` separators. */
  relativeDir: string;
  /** Absolute path of pyproject.toml, Cargo.toml, or setup.py / setup.cfg of a project without `[project]`. */
  manifest: string;
  /** `[project].name` / `[tool.poetry].name`, setup.cfg / setup.py's name, or `[package].name`. */
  name: string;
  /** npm package whose version it follows. */
  source: string;
  /** Absolute paths of the files holding `__version__` (configured, or where a dynamic version is read). */
  versionFiles: string[];
  /** Mirror the source's new CHANGELOG section into `<dir>/CHANGELOG.md`. */
  changelog: boolean;
  /** pypi with a maturin dynamic version: the absolute Cargo.toml the version is read from. */
  versionFromCargo?: string;
  /** Follow targets: the config entry, e.g. `targets[1]`. */
  setting?: string;
}

export type WorkspaceTool = "npm" | "pnpm" | "yarn" | "bun" | "root";

export interface Workspace {
  root: string;
  tool: WorkspaceTool;
  packages: NpmPackage[];
  targets: Target[];
  config: PolyglotConfig;
}

export interface LoadWorkspaceOptions {
  /** Shares file reads with a later planning step. */
  files?: FileCache;
  /** `getPackages(cwd)` already done by the caller (it is the slowest part of loading a large workspace). */
  packages?: Packages;
}

/** Finds the monorepo around `cwd`: its npm packages, its config and every bridge and follow target. */
export async function loadWorkspace(cwd: string, options: LoadWorkspaceOptions = {}): Promise<Workspace> {
  const files = options.files ?? new FileCache();
  const found = options.packages ?? (await findPackages(cwd));
  const root = found.rootDir;
  const tool = toolName(found.tool.type);
  files.setRoot(root);
  // manypkg read them already; one leading out of the repo (a symlinked package.json or folder) is refused.
  for (const pkg of found.packages) files.repo.resolve(path.join(pkg.dir, "package.json"));
  const config = await readPolyglotConfig(root);
  const packages = found.packages.map((pkg) => toNpmPackage(root, pkg.dir, pkg.packageJson));
  const followFolders = await Promise.all(
    config.targets.map((target, index) => followFolder(root, target, index, packages, files)),
  );
  const followDirs = new Set(followFolders.map((folder) => folder.dir));
  const bridgeFolders = packages
    .filter((pkg) => !followDirs.has(pkg.dir) && (pkg.dir !== root || tool === "root"))
    .map(
      (pkg): Folder => ({
        dir: pkg.dir,
        source: pkg.name,
        mode: "bridge",
        versionFiles: [],
        changelog: false,
      }),
    );
  const discovered = await Promise.all(
    [...followFolders, ...bridgeFolders].map((folder) => targetsIn(root, folder, files)),
  );
  return { root, tool, packages, targets: sortTargets(discovered.flat()), config };
}

/** `getPackages` of @manypkg/get-packages, with a failure explained. */
export async function findPackages(cwd: string): Promise<Packages> {
  try {
    return await getPackages(path.resolve(cwd));
  } catch (error) {
    // A JSON error quotes the start of the text, which may be anything a symlinked package.json points at.
    const reason =
      error instanceof SyntaxError ? "a package.json is not valid JSON" : (error as Error).message;
    throw new PolyglotError(`cannot read the workspace around ${cwd}: ${reason}`, {
      code: "workspace-unreadable",
      fix: "run in a repo whose root has a package.json (or pass --cwd DIR); every workspace package.json needs a name",
    });
  }
}

function toolName(type: string): WorkspaceTool {
  return (["npm", "pnpm", "yarn", "bun"] as const).find((tool) => tool === type) ?? "root";
}

function toNpmPackage(root: string, dir: string, packageJson: object): NpmPackage {
  const json = packageJson as Record<string, unknown>;
  const relativeDir = toRelative(root, dir);
  const file = relativeDir === "." ? "package.json" : `${relativeDir}/package.json`;
  return {
    name: requireValidName("npm", String(json.name), { file, setting: "name" }),
    version: requireSemver(String(json.version ?? "0.0.0"), { file, setting: "version" }),
    dir,
    relativeDir,
    private: json.private === true,
    packageJson: json,
  };
}

/** `root`-relative path with `/` separators (`.` for the root itself). */
export function toRelative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join("/") || ".";
}

/** A folder that may hold targets, with what its targets share. */
interface Folder {
  dir: string;
  source: string;
  mode: Target["mode"];
  versionFiles: string[];
  changelog: boolean;
  setting?: string;
}

async function followFolder(
  root: string,
  target: TargetConfig,
  index: number,
  packages: NpmPackage[],
  files: FileCache,
): Promise<Folder> {
  const setting = `targets[${index}]`;
  requireSource(target.versionFrom, `${setting}.versionFrom`, packages);
  const dir = path.resolve(root, target.path);
  if (isOutside(root, dir) || isOutside(files.repo.realRoot, await realPath(dir))) {
    throw new PolyglotError(`${setting}.path "${target.path}" is outside the repo`, {
      code: "path-outside-repo",
      file: POLYGLOT_CONFIG_FILE,
      setting: `${setting}.path`,
      fix: "targets live in the repo: use a folder path relative to the repo root, without leading ../",
    });
  }
  if (!(await isDirectory(dir))) {
    throw new PolyglotError(`${setting}.path "${target.path}" is not a folder`, {
      code: "target-not-a-folder",
      file: POLYGLOT_CONFIG_FILE,
      setting: `${setting}.path`,
      fix: "set path to the folder holding pyproject.toml or Cargo.toml, relative to the repo root",
    });
  }
  const versionFiles = (target.versionFiles ?? []).map((file) => path.resolve(dir, file));
  const origin = { setting: `${setting}.versionFiles`, file: POLYGLOT_CONFIG_FILE };
  for (const file of versionFiles) files.repo.resolve(file, origin);
  return {
    dir,
    source: target.versionFrom,
    mode: "follow",
    versionFiles,
    changelog: target.changelog ?? false,
    setting,
  };
}

function requireSource(name: string, setting: string, packages: NpmPackage[]): void {
  if (packages.some((pkg) => pkg.name === name)) return;
  const close = closestNames(
    name,
    packages.map((pkg) => pkg.name),
  );
  const hint = close.length > 0 ? `did you mean ${close.map((c) => `"${c}"`).join(" or ")}? ` : "";
  throw new PolyglotError(`${setting} names "${name}", which is not a package of this workspace`, {
    code: "missing-source-package",
    file: POLYGLOT_CONFIG_FILE,
    setting,
    fix: `${hint}set ${setting} to the name of an npm workspace package`,
  });
}

function isOutside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative.startsWith("..") || path.isAbsolute(relative);
}

async function realPath(dir: string): Promise<string> {
  return realpath(dir).catch(() => dir);
}

async function isDirectory(dir: string): Promise<boolean> {
  return stat(dir).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
}

async function targetsIn(root: string, folder: Folder, files: FileCache): Promise<Target[]> {
  const pyprojectFile = path.join(folder.dir, PYPROJECT);
  const cargoFile = path.join(folder.dir, CARGO_TOML);
  const origin = folder.setting
    ? { setting: `${folder.setting}.path`, file: POLYGLOT_CONFIG_FILE }
    : undefined;
  const [pyprojectText, cargoText] = await Promise.all([
    files.read(pyprojectFile, origin),
    files.read(cargoFile, origin),
  ]);
  requireContent(root, pyprojectFile, pyprojectText);
  // setup.py / setup.cfg are looked for only where pyproject.toml leaves the project to them (most folders of a
  // large repo have a complete pyproject.toml: two probes fewer each).
  const setuptools = leavesProjectToSetuptools(root, pyprojectFile, pyprojectText, files)
    ? await readSetuptoolsFacts(folder.dir, files, (file) => toRelative(root, file))
    : undefined;
  if (pyprojectText === undefined && cargoText === undefined && setuptools === undefined) {
    if (folder.mode === "bridge") return [];
    throw new PolyglotError(
      `${folder.setting}.path "${toRelative(root, folder.dir)}" holds no ${PYPROJECT}, setup.py, setup.cfg or ${CARGO_TOML}`,
      {
        code: "target-without-manifest",
        file: POLYGLOT_CONFIG_FILE,
        setting: `${folder.setting}.path`,
        fix: "point path at the folder holding pyproject.toml, setup.py, setup.cfg or Cargo.toml",
      },
    );
  }
  requireContent(root, cargoFile, cargoText);
  const targets: Target[] = [];
  const cargo = cargoText === undefined ? undefined : cargoTarget(root, folder, cargoFile, cargoText);
  if (cargo) targets.push(cargo);
  const pypi =
    pyprojectText === undefined
      ? undefined
      : pypiTarget(root, folder, pyprojectFile, pyprojectText, files, setuptools);
  if (pypi) {
    targets.push(pypi);
    const companion = await companionCargoTarget(root, folder, pypi, targets, files);
    if (companion) targets.push(companion);
  } else if (setuptools) {
    targets.push(setuptoolsTarget(root, folder, setuptools, files));
  }
  return targets;
}

/**
 * A setuptools project described by setup.py / setup.cfg (its pyproject.toml, if any, has no `[project]`).
 * Its version is written in setup.py / setup.cfg or in the files setup.cfg's `attr:` / `file:` name.
 */
function setuptoolsTarget(root: string, folder: Folder, facts: SetuptoolsFacts, files: FileCache): Target {
  const relative = (file: string) => toRelative(root, file);
  const name = setuptoolsName(facts, relative);
  const source = setupCfgVersionSource(facts);
  const dynamic = resolveDynamicVersionSource(
    folder.dir,
    source,
    relative(facts.setupCfg ?? setuptoolsManifest(facts)),
    folder.versionFiles.length > 0,
    files.repo,
  );
  return {
    ...baseTarget(root, folder, setuptoolsManifest(facts)),
    ecosystem: "pypi",
    name,
    versionFiles: [...new Set([...folder.versionFiles, ...dynamic.versionFiles])],
  };
}

/**
 * A manifest with no table and no key (empty, or only comments) is refused rather than skipped: it is what a
 * write cut short leaves, and skipping it would silently drop a target.
 */
function requireContent(root: string, manifest: string, text: string | undefined): void {
  if (text === undefined || !holdsNoTomlContent(text)) return;
  const file = toRelative(root, manifest);
  const kind = path.basename(manifest) === PYPROJECT ? "Python package" : "crate";
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

function baseTarget(root: string, folder: Folder, manifest: string): Omit<Target, "ecosystem" | "name"> {
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

/**
 * The cargo target of a Cargo.toml; in a bridge folder, a manifest that declares no crate and no shared
 * version (a virtual workspace root) is not one.
 */
function cargoTarget(root: string, folder: Folder, manifest: string, text: string): Target | undefined {
  const relativeFile = toRelative(root, manifest);
  const facts = inspectCargoToml(text, relativeFile);
  const declaresNothing =
    facts.name === undefined &&
    facts.version === undefined &&
    !facts.inheritsWorkspaceVersion &&
    facts.workspaceVersion === undefined;
  if (declaresNothing && folder.mode === "bridge") return undefined;
  const name = facts.name ?? (facts.workspaceVersion !== undefined ? path.basename(folder.dir) : undefined);
  if (!name) {
    throw new PolyglotError("Cargo.toml has no [package].name", {
      code: "manifest-no-name",
      file: relativeFile,
      setting: "package.name",
      fix: 'add name = "..." under [package]',
    });
  }
  const setting =
    facts.name === undefined ? "the folder name (the crate has no [package].name)" : "package.name";
  requireValidName("crate", name, { file: relativeFile, setting });
  return { ...baseTarget(root, folder, manifest), ecosystem: "cargo", name };
}

/** No pyproject.toml, one that declares no project, or a dynamic version it does not locate. */
function leavesProjectToSetuptools(
  root: string,
  manifest: string,
  text: string | undefined,
  files: FileCache,
): boolean {
  if (text === undefined) return true;
  const info = pyprojectInfo(root, manifest, text, files);
  return declaresNoProject(info) || info.dynamicSource?.kind === "unknown";
}

function pyprojectInfo(root: string, manifest: string, text: string, files: FileCache): PyprojectInfo {
  return files.derive(manifest, "pyproject", () => inspectPyproject(text, toRelative(root, manifest)));
}

function declaresNoProject(info: PyprojectInfo): boolean {
  return (
    info.name === undefined && info.version === undefined && info.poetryVersion === undefined && !info.dynamic
  );
}

/**
 * The pypi target of a pyproject.toml; in a bridge folder, one that declares no project (only tool settings,
 * such as ruff's or black's beside a JavaScript package) is not one.
 */
function pypiTarget(
  root: string,
  folder: Folder,
  manifest: string,
  text: string,
  files: FileCache,
  setuptools: SetuptoolsFacts | undefined,
): Target | undefined {
  const relativeFile = toRelative(root, manifest);
  const info = pyprojectInfo(root, manifest, text, files);
  const declaresNothing = declaresNoProject(info);
  // Only [build-system] (or tool settings) beside a setup.py / setup.cfg: setuptools reads the project there.
  if (declaresNothing && (folder.mode === "bridge" || setuptools)) return undefined;
  const name = requirePythonName(info, relativeFile);
  // A dynamic version pyproject.toml says nothing more about: setuptools takes it from setup.cfg / setup.py.
  const unknown = info.dynamicSource?.kind === "unknown";
  const source = (unknown && setuptools && setupCfgVersionSource(setuptools)) || info.dynamicSource;
  const dynamic = resolveDynamicVersionSource(
    folder.dir,
    source,
    source === info.dynamicSource ? relativeFile : toRelative(root, setuptools!.setupCfg!),
    folder.versionFiles.length > 0,
    files.repo,
  );
  const versionFiles = [...new Set([...folder.versionFiles, ...dynamic.versionFiles])];
  return {
    ...baseTarget(root, folder, manifest),
    ecosystem: "pypi",
    name,
    versionFiles,
    ...(dynamic.cargoManifest ? { versionFromCargo: dynamic.cargoManifest } : {}),
  };
}

function requirePythonName(info: PyprojectInfo, relativeFile: string): string {
  if (info.name) {
    const setting = info.nameSetting ?? "project.name";
    return requireValidName("python", info.name, { file: relativeFile, setting });
  }
  throw new PolyglotError("pyproject.toml has no [project].name or [tool.poetry].name", {
    code: "manifest-no-name",
    file: relativeFile,
    setting: "project.name",
    fix: 'add name = "..." under [project]',
  });
}

/** A maturin project whose Cargo.toml lies outside its folder: that Cargo.toml becomes a target too. */
async function companionCargoTarget(
  root: string,
  folder: Folder,
  pypi: Target,
  siblings: Target[],
  files: FileCache,
): Promise<Target | undefined> {
  const manifest = pypi.versionFromCargo;
  if (!manifest || siblings.some((target) => target.manifest === manifest)) return undefined;
  const text = await files.read(manifest, {
    setting: "tool.maturin.manifest-path",
    file: toRelative(root, pypi.manifest),
  });
  if (text === undefined) {
    throw new PolyglotError(
      `the maturin project reads its version from ${toRelative(root, manifest)}, which does not exist`,
      {
        code: "maturin-cargo-missing",
        file: toRelative(root, pypi.manifest),
        setting: "tool.maturin.manifest-path",
        fix: "correct tool.maturin.manifest-path, or give [project] a static version",
      },
    );
  }
  const target = cargoTarget(
    root,
    { ...folder, dir: path.dirname(manifest), changelog: false },
    manifest,
    text,
  );
  return target;
}

function sortTargets(targets: Target[]): Target[] {
  const seen = new Set<string>();
  return targets
    .filter((target) => !seen.has(target.manifest) && seen.add(target.manifest))
    .sort((a, b) => a.relativeDir.localeCompare(b.relativeDir) || a.ecosystem.localeCompare(b.ecosystem));
}
