// What `polyglot-publish init` finds in an existing repo: the workspace tool, npm packages, Python and Cargo
// projects and the npm package each should follow, regex sync scripts and token-based release workflows.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import {
  findPackages,
  isValidName,
  type NpmPackage,
  type PolyglotConfig,
  RepoFiles,
  readPolyglotConfig,
  requireValidName,
} from "@polyglot-changesets/core";
import { parse as parseToml } from "smol-toml";
import type { Finding } from "../preflight.js";
import { repositoryOf } from "../preflight.js";
import { checkCiFiles, readCiFiles, workflowContext, type YamlFile } from "../workflows/index.js";

export type PackageManager = "pnpm" | "npm" | "yarn";

/** A Python or Cargo project found in the repo. */
export interface Project {
  ecosystem: "pypi" | "cargo";
  /** Folder relative to the repo root (`.` for the root). */
  dir: string;
  manifest: string;
  name: string;
  /** `[project].version` / `[package].version` is written in the manifest (not dynamic or inherited). */
  staticVersion: boolean;
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
  const projects = findProjects(repo, files).map((project) => ({
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

function findProjects(repo: RepoFiles, files: readonly string[]): Project[] {
  const manifests = files.filter((file) => /(^|\/)(pyproject|Cargo)\.toml$/.test(file));
  return manifests.flatMap((manifest): Project[] => {
    const dir = path.posix.dirname(manifest);
    let toml: Record<string, unknown>;
    try {
      toml = parseToml(repo.read(manifest) ?? "") as Record<string, unknown>;
    } catch {
      return [];
    }
    if (manifest.endsWith("Cargo.toml")) {
      const pkg = toml.package as Record<string, unknown> | undefined;
      if (!pkg || typeof pkg.name !== "string" || !isValidName("crate", pkg.name)) return [];
      return [
        {
          ecosystem: "cargo",
          dir,
          manifest,
          name: pkg.name,
          staticVersion: typeof pkg.version === "string",
          versionFiles: [],
        },
      ];
    }
    const project = (toml.project ?? (toml.tool as Record<string, unknown> | undefined)?.poetry) as
      | Record<string, unknown>
      | undefined;
    if (!project || typeof project.name !== "string" || !isValidName("python", project.name)) return [];
    const staticVersion = typeof project.version === "string";
    return [
      {
        ecosystem: "pypi",
        dir,
        manifest,
        name: project.name,
        staticVersion,
        versionFiles: staticVersion ? versionFilesIn(repo, files, dir) : [],
      },
    ];
  });
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
