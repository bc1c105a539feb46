import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { getPackages, type Packages } from "@manypkg/get-packages";
import {
  POLYGLOT_CONFIG_FILE,
  type PolyglotConfig,
  readPolyglotConfig,
  type TargetConfig,
} from "./config.js";
import type { DiscoveryContext, DiscoveryFolder } from "./ecosystems/adapter.js";
import { ecosystemAdapters } from "./ecosystems/adapters.js";
import { PolyglotError } from "./errors.js";
import { requireSemver, requireValidName } from "./names.js";
import { toRelative } from "./repo-paths.js";
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
  /** The `ecosystem` of the adapter that found it (`pypi`, `cargo`). */
  ecosystem: string;
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

type Folder = DiscoveryFolder;

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

/**
 * The targets of one folder: every ecosystem adapter looks for its manifests (concurrently; the first failure
 * in adapter order is reported). A follow folder where none finds one is a configuration error.
 */
async function targetsIn(root: string, folder: Folder, files: FileCache): Promise<Target[]> {
  const context: DiscoveryContext = { root, files, relative: (file) => toRelative(root, file) };
  const settled = await Promise.allSettled(
    ecosystemAdapters.map((adapter) => adapter.discover(folder, context)),
  );
  const failed = settled.find((outcome) => outcome.status === "rejected");
  if (failed) throw failed.reason;
  const targets = settled.flatMap((outcome) => (outcome.status === "fulfilled" ? outcome.value : []));
  if (targets.length === 0 && folder.mode === "follow") {
    const manifests = ecosystemAdapters.flatMap((adapter) => adapter.manifestNames);
    throw new PolyglotError(
      `${folder.setting}.path "${toRelative(root, folder.dir)}" holds no ${listed(manifests, "or")}`,
      {
        code: "target-without-manifest",
        file: POLYGLOT_CONFIG_FILE,
        setting: `${folder.setting}.path`,
        fix: `point path at the folder holding ${listed(manifests, "or")}`,
      },
    );
  }
  return targets;
}

/** `a, b, c or d`. */
function listed(names: readonly string[], conjunction: string): string {
  return names.length < 2
    ? (names[0] ?? "")
    : `${names.slice(0, -1).join(", ")} ${conjunction} ${names.at(-1)}`;
}

function sortTargets(targets: Target[]): Target[] {
  const seen = new Set<string>();
  return targets
    .filter((target) => !seen.has(target.manifest) && seen.add(target.manifest))
    .sort((a, b) => a.relativeDir.localeCompare(b.relativeDir) || a.ecosystem.localeCompare(b.ecosystem));
}
