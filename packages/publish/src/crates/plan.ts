import { realpathSync } from "node:fs";
import path from "node:path";
import {
  crateLayers,
  isPublishableTo,
  isValidName,
  PolyglotError,
  parseTomlDocument,
  RepoFiles,
  type Target,
  tomlValueAt,
  type Workspace,
} from "@polyglot-changesets/core";
import { execa } from "execa";
import { redactSecrets } from "../http.js";
import { LOOKUP_CONCURRENCY, mapConcurrent } from "../lookup.js";
import { findOnPath } from "../npm-cli.js";
import { type CrateVersions, fetchCrateVersions } from "./index.js";
import { type CratesRegistry, resolveCratesRegistry } from "./registry.js";

/** A crate whose version the registry's index does not have yet. */
export interface CrateRelease {
  name: string;
  version: string;
  /** Repo-relative folder of its Cargo.toml. */
  path: string;
  /** Absolute folder (cargo runs there). */
  dir: string;
  /** The npm package (bridge or `versionFrom`) whose version it carries. */
  source: string;
  /** The crate has no version at all in the index: trusted publishing cannot create it. */
  firstPublish: boolean;
  /** Crates of this plan it depends on (normal and build dependencies): they must be visible first. */
  needs: string[];
}

/** A Cargo target that is not published to this registry (`publish = false`, or another registry listed). */
export interface UnpublishedCrate {
  name: string;
  version: string;
  path: string;
  source: string;
  /** The source is a published (not private) npm package. */
  sourcePublished: boolean;
}

/** A dependency cargo would refuse to publish with, found before cargo runs. */
export interface DependencyProblem {
  crate: string;
  dependency: string;
  /** Repo-relative Cargo.toml of `crate`. */
  file: string;
  problem: "no-version" | "no-registry";
}

export interface CargoTool {
  /** Absolute path of the cargo on PATH; undefined when there is none. */
  path: string | undefined;
  /** `1.95.0`, from `cargo --version`. */
  version: string | undefined;
}

export interface CratesPlan {
  /** Undefined when the workspace has no Cargo target: nothing is looked up. */
  registry: CratesRegistry | undefined;
  cargo: CargoTool;
  crates: CrateRelease[];
  /** Names, in publish order: each layer needs only crates of earlier layers. */
  layers: string[][];
  /** `name@version` of crates already in the index (yanked versions count). */
  alreadyPublished: string[];
  unpublished: UnpublishedCrate[];
  dependencyProblems: DependencyProblem[];
  /** Manifests cargo could not read (`cargo metadata` failed), with cargo's reason. */
  manifestErrors: Array<{ file: string; message: string }>;
  /** Cargo targets that may be publishable but could not be planned because cargo is missing. */
  unplanned: string[];
}

export interface CratesPlanOptions {
  env: NodeJS.ProcessEnv;
  /** Reads a crate's versions (tests count calls); default: the sparse index over HTTP. */
  lookup?: (index: string, name: string) => Promise<CrateVersions>;
  registry?: CratesRegistry;
}

/** Every Cargo target to publish, looked up concurrently in the sparse index; changes nothing. */
export async function planCrates(workspace: Workspace, options: CratesPlanOptions): Promise<CratesPlan> {
  const targets = workspace.targets.filter((target) => target.ecosystem === "cargo");
  const empty: CratesPlan = {
    registry: undefined,
    cargo: { path: undefined, version: undefined },
    crates: [],
    layers: [],
    alreadyPublished: [],
    unpublished: [],
    dependencyProblems: [],
    manifestErrors: [],
    unplanned: [],
  };
  if (targets.length === 0) return empty;
  const cargo = await findCargo(options.env);
  if (!cargo.path) {
    const unplanned = targets
      .filter((target) => mayPublish(workspace.root, target))
      .map((target) => target.relativeDir);
    return { ...empty, cargo, unplanned };
  }
  const registry =
    options.registry ?? (await resolveCratesRegistry(workspace.root, workspace.config.crates, options.env));
  const { packages, errors } = await readCargoMetadata(cargo.path, workspace.root, targets, options.env);
  const plan: CratesPlan = { ...empty, registry, cargo, manifestErrors: errors };
  const candidates: Array<{ target: Target; pkg: CargoPackage }> = [];
  for (const target of targets) {
    const pkg = packages.get(realPath(target.manifest));
    if (!pkg) continue;
    if (isPublishableTo(pkg.publish, registry.cargoName)) candidates.push({ target, pkg });
    else plan.unpublished.push(unpublishedCrate(pkg, target, workspace));
  }
  const lookup = options.lookup ?? fetchCrateVersions;
  const looked = await mapConcurrent(candidates, LOOKUP_CONCURRENCY, async (candidate) => ({
    ...candidate,
    found: await lookup(registry.index, candidate.pkg.name),
  }));
  const missing = looked.filter(({ pkg, found }) => !found.versions.has(pkg.version));
  plan.alreadyPublished = looked
    .filter((entry) => !missing.includes(entry))
    .map(({ pkg }) => `${pkg.name}@${pkg.version}`);
  const releasing = new Set(missing.map(({ pkg }) => pkg.name));
  for (const { target, pkg, found } of missing) {
    const file = path.posix.join(target.relativeDir, "Cargo.toml");
    plan.dependencyProblems.push(...dependencyProblems(pkg, file, registry));
    plan.crates.push({
      name: pkg.name,
      version: pkg.version,
      path: target.relativeDir,
      dir: target.dir,
      source: target.source,
      firstPublish: !found.exists,
      needs: orderingDependencies(pkg).filter((name) => releasing.has(name) && name !== pkg.name),
    });
  }
  plan.layers = crateLayers(plan.crates);
  return plan;
}

function unpublishedCrate(pkg: CargoPackage, target: Target, workspace: Workspace): UnpublishedCrate {
  const source = workspace.packages.find((candidate) => candidate.name === target.source);
  return {
    name: pkg.name,
    version: pkg.version,
    path: target.relativeDir,
    source: target.source,
    sourcePublished: source !== undefined && !source.private,
  };
}

/** `cargo` on PATH and its version (sparse registries need 1.68+). */
export async function findCargo(env: NodeJS.ProcessEnv): Promise<CargoTool> {
  const cargo = findOnPath("cargo", env);
  if (!cargo) return { path: undefined, version: undefined };
  const result = await execa(cargo, ["--version"], { env, reject: false, timeout: 60_000 });
  return { path: cargo, version: /^cargo (\d+\.\d+\.\d+)/.exec(result.stdout)?.[1] };
}

interface CargoDependency {
  name: string;
  req: string;
  kind: "dev" | "build" | null;
  path?: string;
  registry: string | null;
}

interface CargoPackage {
  name: string;
  version: string;
  manifest_path: string;
  publish: string[] | null;
  dependencies: CargoDependency[];
}

/** `cargo metadata --no-deps` once per Cargo workspace: cargo resolves inheritance, renames and `publish`. */
async function readCargoMetadata(
  cargo: string,
  root: string,
  targets: Target[],
  env: NodeJS.ProcessEnv,
): Promise<{ packages: Map<string, CargoPackage>; errors: Array<{ file: string; message: string }> }> {
  const packages = new Map<string, CargoPackage>();
  const errors: Array<{ file: string; message: string }> = [];
  for (const target of targets) {
    const manifest = realPath(target.manifest);
    if (packages.has(manifest)) continue;
    const result = await execa(
      cargo,
      ["metadata", "--no-deps", "--format-version", "1", "--manifest-path", manifest],
      { cwd: root, env, reject: false, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
    );
    if (result.exitCode !== 0) {
      errors.push({
        file: path.posix.join(target.relativeDir, "Cargo.toml"),
        message: cargoReason(result.stderr),
      });
      continue;
    }
    for (const pkg of parseMetadata(result.stdout)) packages.set(realPath(pkg.manifest_path), pkg);
  }
  return { packages, errors };
}

function parseMetadata(stdout: string): CargoPackage[] {
  const metadata = JSON.parse(stdout) as { packages?: CargoPackage[] };
  return (metadata.packages ?? []).filter(
    (pkg) =>
      typeof pkg.name === "string" && isValidName("crate", pkg.name) && typeof pkg.version === "string",
  );
}

/** The innermost reasons of cargo's error (`Caused by:` chain), on one line, without secrets. */
export function cargoReason(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && line !== "Caused by:")
    .map((line) => line.replace(/^error:\s*/, ""));
  return redactSecrets(lines.slice(-2).join(": ")).slice(0, 400);
}

/** Normal and build dependencies order the publish; dev-dependencies do not (cargo drops path-only ones). */
function orderingDependencies(pkg: CargoPackage): string[] {
  return pkg.dependencies.filter((dep) => dep.kind !== "dev" && dep.path).map((dep) => dep.name);
}

function dependencyProblems(pkg: CargoPackage, file: string, registry: CratesRegistry): DependencyProblem[] {
  return pkg.dependencies
    .filter((dep) => dep.kind !== "dev" && dep.path)
    .flatMap((dep): DependencyProblem[] => {
      if (dep.req === "*") return [{ crate: pkg.name, dependency: dep.name, file, problem: "no-version" }];
      if (!registry.isCratesIo && dep.registry === null) {
        return [{ crate: pkg.name, dependency: dep.name, file, problem: "no-registry" }];
      }
      return [];
    });
}

/** Without cargo: whether a target may be publishable (`publish` is not `false`). */
function mayPublish(root: string, target: Target): boolean {
  const file = path.relative(root, target.manifest);
  const text = new RepoFiles(root).read(file);
  if (text === undefined) return false;
  try {
    return tomlValueAt(parseTomlDocument(text, file).data, ["package", "publish"]) !== false;
  } catch (error) {
    if (error instanceof PolyglotError) return true;
    throw error;
  }
}

function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}
