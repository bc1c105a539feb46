// What `polyglot-publish init` finds in an existing repo: the workspace tool, npm packages, Python and Cargo
// projects and the npm package each should follow, regex sync scripts and token-based release workflows.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import {
  type DiscoveryContext,
  type DiscoveryFolder,
  type EcosystemAdapter,
  ecosystemAdapters,
  FileCache,
  findPackages,
  type NpmPackage,
  type PolyglotConfig,
  PolyglotError,
  RepoFiles,
  readPolyglotConfig,
  requireValidName,
  type Target,
} from "@polyglot-changesets/core";
import type { Finding } from "../preflight.js";
import { repositoryOf } from "../preflight.js";
import { checkCiFiles, readCiFiles, workflowContext, type YamlFile } from "../workflows/index.js";

export type PackageManager = "pnpm" | "npm" | "yarn";

/** A Python or Cargo project found in the repo. */
export interface Project {
  /** The core adapter's ecosystem, e.g. `pypi` or `cargo`. */
  ecosystem: string;
  /** Folder relative to the repo root (`.` for the root). */
  dir: string;
  manifest: string;
  name: string;
  /** Files under `dir` (relative to it) holding a `__version__ = "..."` line. */
  versionFiles: string[];
}

/** How a project's version gets its source, and why init thinks so. */
export type Follow =
  | { kind: "bridge"; source: string }
  | { kind: "configured"; source: string }
  | { kind: "follow"; source: string; reason: string }
  | { kind: "question"; choices: string[] };

export interface SyncScript {
  /** The package.json script that runs it (e.g. `sync-versions`), if any. */
  scriptName?: string;
  file: string;
  /** The project folder it writes and the package.json folder it reads, when the script names them. */
  writes?: string;
  reads?: string;
}

export interface Detection {
  root: string;
  packageManager: PackageManager;
  packages: NpmPackage[];
  rootPackageJson: Record<string, unknown>;
  config: PolyglotConfig;
  projects: { project: Project; follow: Follow }[];
  syncScripts: SyncScript[];
  ciFiles: YamlFile[];
  /** Findings of the existing CI files that init's workflow fixes (tokens, registry-url, id-token...). */
  ciFindings: Finding[];
  /** Manifests the adapters refused (a broken pyproject.toml...), each with the reason. */
  skipped: string[];
  /** `owner/repo`, from the packages' repository.url or the origin remote. */
  repository?: string;
}

const MAX_SCRIPT_BYTES = 256 * 1024;
const IGNORED_DIRS = /(^|\/)(node_modules|\.git|dist|build|target|\.venv|venv|\.tox|__pycache__)\//;

export async function detect(cwd: string): Promise<Detection> {
  const found = await findPackages(cwd);
  const root = found.rootDir;
  const repo = new RepoFiles(root);
  const config = await readPolyglotConfig(root);
  const packages = found.packages
    .filter((pkg) => pkg.dir !== root || found.tool.type === "root")
    .map((pkg) => toPackage(root, pkg.dir, pkg.packageJson as unknown as Record<string, unknown>));
  const rootPackageJson = found.rootPackage?.packageJson
    ? (found.rootPackage.packageJson as unknown as Record<string, unknown>)
    : (JSON.parse(repo.read("package.json") ?? "{}") as Record<string, unknown>);
  const files = listFiles(root);
  const syncScripts = findSyncScripts(repo, rootPackageJson, files);
  const skipped: string[] = [];
  const projects = (await findProjects(root, repo, files, skipped)).map((project) => ({
    project,
    follow: chooseSource(project, packages, config, syncScripts),
  }));
  const ciFiles = readCiFiles(root);
  const ciFindings = checkCiFiles(ciFiles, workflowContext(config, rootPackageJson));
  const repository = repositoryFrom(packages, root);
  return {
    root,
    packageManager: packageManagerOf(found.tool.type, rootPackageJson),
    packages,
    rootPackageJson,
    config,
    projects,
    syncScripts,
    skipped,
    ciFiles,
    ciFindings,
    ...(repository ? { repository } : {}),
  };
}

function toPackage(root: string, dir: string, json: Record<string, unknown>): NpmPackage {
  const relativeDir = path.relative(root, dir).split(path.sep).join("/") || ".";
  const file = relativeDir === "." ? "package.json" : `${relativeDir}/package.json`;
  return {
    name: requireValidName("npm", String(json.name), { file, setting: "name" }),
    version: String(json.version ?? "0.0.0"),
    dir,
    relativeDir,
    private: json.private === true,
    packageJson: json,
  };
}

function packageManagerOf(tool: string, rootPackageJson: Record<string, unknown>): PackageManager {
  const declared = String(rootPackageJson.packageManager ?? "").split("@")[0];
  if (declared === "pnpm" || declared === "yarn" || declared === "npm") return declared;
  return tool === "pnpm" || tool === "yarn" ? tool : "npm";
}

/** The repo's files (tracked and untracked, minus ignored) when it is a git repo, else a bounded walk. */
function listFiles(root: string): string[] {
  try {
    const out = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      stdio: ["ignore", "pipe", "ignore"],
    });
    return out.split("\0").filter((file) => file !== "" && !IGNORED_DIRS.test(file));
  } catch {
    return walk(root);
  }
}

function walk(root: string): string[] {
  const files: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (depth > 6 || files.length > 20_000) return;
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const relative = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory() && !IGNORED_DIRS.test(`${relative}/`)) visit(relative, depth + 1);
      else if (entry.isFile()) files.push(relative);
    }
  };
  visit("", 0);
  return files;
}

/**
 * The non-npm projects of the repo, found by the core ecosystem adapters (the same discovery polyglot-version
 * runs): each folder holding a manifest one of them knows, discovered as if it followed an npm package.
 */
async function findProjects(
  root: string,
  repo: RepoFiles,
  files: readonly string[],
  skipped: string[],
): Promise<Project[]> {
  const manifestNames = new Set(ecosystemAdapters.flatMap((adapter) => adapter.manifestNames));
  const folders = [
    ...new Set(files.filter((file) => manifestNames.has(path.posix.basename(file))).map(path.posix.dirname)),
  ];
  const cache = new FileCache(root);
  const context: DiscoveryContext = {
    root,
    files: cache,
    relative: (file) => path.relative(root, file).split(path.sep).join("/"),
  };
  const found = await Promise.all(
    folders.sort().map(async (dir) => {
      const folder = {
        dir: path.join(root, dir),
        source: "(init)",
        mode: "follow" as const,
        versionFiles: [],
        changelog: false,
      };
      const targets = await Promise.all(
        ecosystemAdapters.map((adapter) => discoverOrDynamic(adapter, folder, context, skipped)),
      );
      return targets.flat().map(
        (target): Project => ({
          ecosystem: target.ecosystem,
          dir,
          manifest: context.relative(target.manifest),
          name: target.name,
          // a version the manifest names itself (or reads from a file core finds) needs no versionFiles
          versionFiles:
            target.ecosystem === "pypi" && (target.dynamicWithoutFiles || target.versionFiles.length === 0)
              ? versionFilesIn(repo, files, dir)
              : [],
        }),
      );
    }),
  );
  return found.flat();
}

type Discovered = Target & { dynamicWithoutFiles?: boolean };

/** A dynamic version without a file core can find is what versionFiles are for: discover again with the candidates. */
async function discoverOrDynamic(
  adapter: EcosystemAdapter,
  folder: DiscoveryFolder,
  context: DiscoveryContext,
  skipped: string[],
): Promise<Discovered[]> {
  try {
    return await adapter.discover(folder, context);
  } catch (error) {
    if (!(error instanceof PolyglotError)) throw error;
    if (error.code !== "dynamic-version-without-version-files") {
      const where = error.file ? `${error.file}${error.line ? `:${error.line}` : ""}: ` : "";
      skipped.push(
        `${context.relative(folder.dir)} skipped: ${where}${error.message}${error.fix ? ` (${error.fix})` : ""}`,
      );
      return [];
    }
    const name = adapter.registry.nameInFolder(folder.dir, (file) =>
      context.files.repo.read(context.relative(file)),
    );
    const manifest = adapter.manifestNames.map((file) => path.join(folder.dir, file))[0] ?? folder.dir;
    return name
      ? [
          {
            ecosystem: adapter.ecosystem,
            mode: "follow",
            dir: folder.dir,
            relativeDir: context.relative(folder.dir),
            manifest,
            name,
            source: folder.source,
            versionFiles: [],
            changelog: false,
            dynamicWithoutFiles: true,
          } as Discovered,
        ]
      : [];
  }
}

/** `__init__.py` / `_version.py` / `__about__.py` under `dir` with a literal `__version__ = "..."`. */
function versionFilesIn(repo: RepoFiles, files: readonly string[], dir: string): string[] {
  const prefix = dir === "." ? "" : `${dir}/`;
  return files
    .filter((file) => file.startsWith(prefix) && /(^|\/)(__init__|_version|__about__)\.py$/.test(file))
    .filter((file) => !/(^|\/)tests?\//.test(file.slice(prefix.length)))
    .filter((file) =>
      /^__version__\s*=\s*["'][^"']*["']/m.test(repo.read(file, undefined, MAX_SCRIPT_BYTES) ?? ""),
    )
    .map((file) => file.slice(prefix.length))
    .sort();
}

/**
 * Scripts that sync a version by hand: a file run from a package.json script (or under scripts/) that rewrites
 * a `version` in a pyproject.toml or Cargo.toml. The paths it names tell which project follows which package.
 */
function findSyncScripts(
  repo: RepoFiles,
  rootPackageJson: Record<string, unknown>,
  files: readonly string[],
): SyncScript[] {
  const scripts = (rootPackageJson.scripts ?? {}) as Record<string, unknown>;
  const referenced = new Map<string, string>();
  for (const [name, command] of Object.entries(scripts)) {
    for (const match of String(command).matchAll(
      /\b(?:node|python3?|tsx|bun|sh|bash)\s+(\S+\.(?:c?m?js|ts|py|sh))/g,
    )) {
      referenced.set(path.posix.normalize(match[1] ?? ""), name);
    }
  }
  const candidates = new Set([
    ...referenced.keys(),
    ...files.filter((file) => /^scripts\/[^/]*sync[^/]*$/i.test(file)),
  ]);
  return [...candidates].flatMap((file): SyncScript[] => {
    const text = repo.read(file, undefined, MAX_SCRIPT_BYTES);
    if (text === undefined || !/(pyproject|Cargo)\.toml/.test(text) || !/version/.test(text)) return [];
    if (!/\.replace\(|re\.sub\(|sed\s/.test(text)) return [];
    const scriptDir = path.posix.dirname(file);
    const named = (pattern: RegExp) => {
      const literal = pattern.exec(text)?.[1];
      if (literal === undefined) return undefined;
      const resolved = path.posix.normalize(path.posix.join(scriptDir, literal));
      const inRepo = resolved.startsWith("../") ? path.posix.normalize(literal) : resolved;
      return path.posix.dirname(inRepo.replace(/^\.\//, ""));
    };
    const writes = named(/["'`]([^"'`]*(?:pyproject|Cargo)\.toml)["'`]/);
    const reads = named(/["'`]([^"'`]*package\.json)["'`]/);
    const scriptName = referenced.get(file);
    return [
      {
        file,
        ...(scriptName ? { scriptName } : {}),
        ...(writes ? { writes } : {}),
        ...(reads ? { reads } : {}),
      },
    ];
  });
}

/** PEP 503-style comparison key: lowercase, runs of `-_.` as one `-`. */
const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

function chooseSource(
  project: Project,
  packages: readonly NpmPackage[],
  config: PolyglotConfig,
  syncScripts: readonly SyncScript[],
): Follow {
  const bridge = packages.find((pkg) => pkg.relativeDir === project.dir);
  if (bridge) return { kind: "bridge", source: bridge.name };
  const configured = config.targets.find((target) => path.posix.normalize(target.path) === project.dir);
  if (configured) return { kind: "configured", source: configured.versionFrom };
  const script = syncScripts.find((entry) => entry.writes === project.dir && entry.reads);
  const read = script && packages.find((pkg) => pkg.relativeDir === script.reads);
  if (script && read)
    return { kind: "follow", source: read.name, reason: `the version ${script.file} copies` };
  const wanted = normalize(project.name);
  const sameNamed = packages.filter((pkg) => {
    const [scope, bare] = pkg.name.startsWith("@") ? pkg.name.slice(1).split("/") : [undefined, pkg.name];
    return [bare, scope && `${scope}-${bare}`].some((name) => name && normalize(name) === wanted);
  });
  if (sameNamed.length === 1 && sameNamed[0])
    return { kind: "follow", source: sameNamed[0].name, reason: "the npm package of the same name" };
  return {
    kind: "question",
    choices: packages
      .filter((pkg) => !pkg.private)
      .map((pkg) => pkg.name)
      .sort(),
  };
}

function repositoryFrom(packages: readonly NpmPackage[], root: string): string | undefined {
  for (const pkg of packages) {
    const repository = repositoryOf(pkg.packageJson);
    if (repository && /^[\w.-]+\/[\w.-]+$/.test(repository)) return repository;
  }
  try {
    const url = execFileSync("git", ["remote", "get-url", "origin"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const repository = repositoryOf({ repository: url });
    return repository && /^[\w.-]+\/[\w.-]+$/.test(repository) ? repository : undefined;
  } catch {
    return undefined;
  }
}
