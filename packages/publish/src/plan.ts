import { readPreState } from "@changesets/pre";
import type { Config } from "@changesets/types";
import type { Packages } from "@manypkg/get-packages";
import {
  adapterFor,
  findPackages,
  loadWorkspace,
  type NpmPackage,
  PolyglotError,
  readChangesetFolder,
  readChangesetsConfig,
  type Target,
  type Workspace,
} from "@polyglot-changesets/core";
import { execa } from "execa";
import {
  fetchPackageVersions,
  fetchPypiVersion,
  LOOKUP_CONCURRENCY,
  mapConcurrent,
  type PackageVersions,
  type PypiVersionState,
} from "./lookup.js";
import { NpmConfig, type NpmrcFile, readNpmrcFiles } from "./npmrc.js";

/** An npm package whose version is not on its registry yet. */
export interface NpmRelease {
  name: string;
  version: string;
  registry: string;
  access: "public" | "restricted";
  /** npm dist-tag. */
  distTag: string;
  gitTag: string;
  /** The package has no version at all on the registry: its first publish cannot use OIDC. */
  firstPublish: boolean;
  relativeDir: string;
  packageJson: Record<string, unknown>;
}

/** A private package (`privatePackages.tag`) whose git tag does not exist yet: Changesets only tags it. */
export interface TagRelease {
  name: string;
  version: string;
  gitTag: string;
  relativeDir: string;
}

/** A PyPI target whose canonical version is not on the index yet. */
export interface PypiRelease {
  /** PEP 503 name. */
  name: string;
  /** Canonical PEP 440. */
  version: string;
  /** Repo-relative folder of the pyproject.toml. */
  path: string;
  /** The source's git tag. */
  tag: string;
  mode: Target["mode"];
  source: string;
  sourceVersion: string;
  /** The source's release is complete before this run (on the registry, or tagged when private). */
  sourceReleased: boolean;
}

export interface PublishPlan {
  root: string;
  tool: Workspace["tool"];
  npm: NpmRelease[];
  tagOnly: TagRelease[];
  /**
   * Versions already on their registry whose git tag is missing (a killed run, a first publish by hand): the
   * publish creates their tags on HEAD and reports them, as Changesets would have.
   */
  untagged: TagRelease[];
  pypi: PypiRelease[];
  /** `name@version` of npm packages already on their registry. */
  alreadyPublished: string[];
  /** Dependency-ordered chunks of `npm` and `tagOnly` names, for Changesets' publish plan. */
  order: string[][];
  pypiIndex: string;
  /**
   * PyPI lookups that failed: those targets are handed to the PyPI job anyway (its `pypi-check` decides), because
   * an unreachable index must not hold back the npm release.
   */
  pypiLookupErrors: string[];
}

export interface PlanOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The run's npmrc files, read once (default: read here). */
  npmrcFiles?: NpmrcFile[];
  /** The `getPackages` result the workspace was loaded from (default: read here). */
  packages?: Packages;
  /** `--tag`: npm dist-tag for every package. */
  distTag?: string;
  /** Overrides `pypi.index`. */
  pypiIndex?: string;
  /**
   * Read the registries without credentials: under OIDC the long-lived token may be revoked (a 401 even on public
   * reads) and must not reach the registry.
   */
  anonymousReads?: boolean;
  /** `--no-git-tag`: nothing is tagged, so private packages (which only get tags) have nothing to do. */
  gitTags?: boolean;
  /** Reads npm versions (tests may count calls); default: the registry over HTTP. */
  lookup?: (name: string, registry: string, authorization?: string) => Promise<PackageVersions>;
}

/** Everything this run would publish or tag, looked up concurrently over HTTP; changes nothing. */
export async function createPublishPlan(options: PlanOptions): Promise<PublishPlan> {
  const packages = options.packages ?? (await findPackages(options.cwd));
  const workspace = await loadWorkspace(options.cwd, { packages });
  return planWorkspace(workspace, { ...options, packages });
}

export async function planWorkspace(workspace: Workspace, options: PlanOptions): Promise<PublishPlan> {
  const { root } = workspace;
  const config = readChangesetsConfig(root, options.packages ?? (await findPackages(root)));
  const preTag = await readPreTag(root);
  const npmConfig = new NpmConfig(options.npmrcFiles ?? readNpmrcFiles(root, options.env), options.env);
  const ignored = new Set(config.ignore);
  const lookup = options.lookup ?? fetchPackageVersions;
  const gitTagOf = (pkg: { name: string; version: string }) => gitTagName(workspace.tool, pkg);

  const publishable = workspace.packages.filter((pkg) => !pkg.private && !ignored.has(pkg.name));
  const lookups = await mapConcurrent(publishable, LOOKUP_CONCURRENCY, async (pkg) => {
    const registry = npmConfig.registryFor(pkg.name, publishConfigOf(pkg));
    const authorization = options.anonymousReads ? undefined : npmConfig.authorizationFor(registry);
    return { pkg, registry, found: await lookup(pkg.name, registry, authorization) };
  });
  const npm: NpmRelease[] = [];
  const alreadyPublished: string[] = [];
  const published: NpmPackage[] = [];
  for (const { pkg, registry, found } of lookups) {
    if (found.versions.has(pkg.version)) {
      alreadyPublished.push(`${pkg.name}@${pkg.version}`);
      published.push(pkg);
      continue;
    }
    npm.push({
      name: pkg.name,
      version: pkg.version,
      registry,
      access: accessOf(pkg, config),
      distTag: options.distTag ?? releaseTag(found, preTag),
      gitTag: gitTagOf(pkg),
      firstPublish: !found.exists,
      relativeDir: pkg.relativeDir,
      packageJson: pkg.packageJson,
    });
  }

  const tagging = options.gitTags !== false;
  const privateTaggable =
    tagging && config.privatePackages.tag
      ? workspace.packages.filter((pkg) => pkg.private && !ignored.has(pkg.name))
      : [];
  const tagState = await readTagState(root, privateTaggable.length > 0 || (tagging && published.length > 0));
  const existingTags = tagState.tags;
  const toTagRelease = (pkg: NpmPackage): TagRelease => ({
    name: pkg.name,
    version: pkg.version,
    gitTag: gitTagOf(pkg),
    relativeDir: pkg.relativeDir,
  });
  const tagOnly = privateTaggable.filter((pkg) => !existingTags.has(gitTagOf(pkg))).map(toTagRelease);
  // Tags are reconciled only when origin's tags were read (or there is no origin): a shallow checkout whose remote
  // did not answer would otherwise tag every published version again.
  const untagged =
    tagging && tagState.complete
      ? published.filter((pkg) => !existingTags.has(gitTagOf(pkg))).map(toTagRelease)
      : [];

  const pypiIndex = options.pypiIndex ?? workspace.config.pypi.index;
  const pypiStates = await pypiTargetStates(
    workspace,
    pypiIndex,
    (source) => {
      // Without tags (snapshots) a private source is released by being versioned: nothing else marks it.
      if (source.private) return !tagging || existingTags.has(gitTagOf(source));
      return alreadyPublished.includes(`${source.name}@${source.version}`);
    },
    { tolerateLookupErrors: true },
  );
  const pypi = pypiStates.filter((entry) => entry.state !== "present").map((entry) => entry.release);
  const releaseNames = new Set([...npm, ...tagOnly].map((release) => release.name));
  return {
    root,
    tool: workspace.tool,
    npm,
    tagOnly,
    untagged,
    pypi,
    alreadyPublished,
    order: dependencyChunks(workspace.packages, releaseNames),
    pypiIndex,
    pypiLookupErrors: pypiStates.flatMap((entry) => (entry.error ? [entry.error] : [])),
  };
}

/** Every PyPI target with its PEP 503 name, canonical version and whether the index has it, looked up concurrently. */
export async function pypiTargetStates(
  workspace: Workspace,
  index: string,
  isSourceReleased: (source: NpmPackage) => boolean = () => false,
  options: { tolerateLookupErrors?: boolean } = {},
): Promise<Array<{ release: PypiRelease; state: PypiVersionState | "unknown"; error?: string }>> {
  const candidates = workspace.targets
    .filter((target) => target.ecosystem === "pypi")
    .map((target) => {
      const source = workspace.packages.find((pkg) => pkg.name === target.source);
      if (!source) {
        throw new PolyglotError(
          `PyPI target ${target.relativeDir} follows ${target.source}, which is not in the workspace`,
          {
            code: "missing-source-package",
            file: ".changeset/polyglot.json",
            fix: "point versionFrom at a workspace package",
          },
        );
      }
      const registry = adapterFor(target.ecosystem).registry;
      return {
        name: registry.packageName(target),
        version: registry.publishVersion(source.version, workspace.config),
        path: target.relativeDir,
        tag: gitTagName(workspace.tool, source),
        mode: target.mode,
        source: source.name,
        sourceVersion: source.version,
        sourceReleased: isSourceReleased(source),
      } satisfies PypiRelease;
    });
  return mapConcurrent(candidates, LOOKUP_CONCURRENCY, async (release) => {
    try {
      return { release, state: await fetchPypiVersion(index, release.name, release.version) };
    } catch (error) {
      if (!options.tolerateLookupErrors || !(error instanceof PolyglotError)) throw error;
      return { release, state: "unknown" as const, error: error.message };
    }
  });
}

/** Changesets' git tag: `name@version`, or `v<version>` in a single-package repo. */
export function gitTagName(tool: Workspace["tool"], pkg: { name: string; version: string }): string {
  return tool === "root" ? `v${pkg.version}` : `${pkg.name}@${pkg.version}`;
}

/** The pre-release tag while `.changeset/pre.json` is in `pre` mode, read as Changesets reads it. */
async function readPreTag(root: string): Promise<string | undefined> {
  const state = await readChangesetFolder(root, readPreState);
  return state?.mode === "pre" ? state.tag : undefined;
}

/** Changesets' dist-tag rule: the pre tag in pre mode, except `latest` when only that pre tag was ever published. */
function releaseTag(found: PackageVersions, preTag: string | undefined): string {
  if (!preTag) return "latest";
  const onlyPre =
    found.exists &&
    Boolean(found.distTags.latest) &&
    [...found.versions].every((version) => version.split("-")[1]?.split(".")[0] === preTag);
  return onlyPre ? "latest" : preTag;
}

function publishConfigOf(pkg: NpmPackage): Record<string, unknown> {
  const value = pkg.packageJson.publishConfig;
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function accessOf(pkg: NpmPackage, config: Config): "public" | "restricted" {
  const access = publishConfigOf(pkg).access;
  if (access === "public" || access === "restricted") return access;
  return config.access;
}

/** The git tags of the checkout. */
export async function localTags(root: string): Promise<Set<string>> {
  const local = await execa("git", ["tag", "--list"], { cwd: root, reject: false });
  if (local.exitCode !== 0) {
    throw new PolyglotError(`cannot list git tags in ${root}: ${local.stderr.trim()}`, {
      code: "git-tags-unreadable",
      fix: "run polyglot-publish inside the repository's git checkout",
    });
  }
  return new Set(local.stdout.split("\n").filter(Boolean));
}

/**
 * Local tags, plus the `origin` remote's when `withRemote` (as Changesets checks before tagging: a shallow CI
 * checkout has no tags), and whether they are complete: false when an `origin` remote exists but did not answer.
 */
async function readTagState(
  root: string,
  withRemote: boolean,
): Promise<{ tags: Set<string>; complete: boolean }> {
  const tags = await localTags(root);
  if (!withRemote) return { tags, complete: true };
  const remotes = await execa("git", ["remote"], { cwd: root, reject: false });
  if (!remotes.stdout.split("\n").includes("origin")) return { tags, complete: true };
  const remote = await execa("git", ["ls-remote", "--tags", "--refs", "origin"], {
    cwd: root,
    reject: false,
    timeout: 30_000,
    env: { GIT_TERMINAL_PROMPT: "0" },
  });
  if (remote.exitCode !== 0) return { tags, complete: false };
  for (const line of remote.stdout.split("\n")) {
    const ref = line.split("\t")[1];
    if (ref?.startsWith("refs/tags/")) tags.add(ref.slice("refs/tags/".length));
  }
  return { tags, complete: true };
}

/**
 * Layers of `names` such that every package comes after its workspace dependencies (dev dependencies left out,
 * as Changesets does); a cycle is broken by releasing its remaining members together.
 */
export function dependencyChunks(packages: readonly NpmPackage[], names: ReadonlySet<string>): string[][] {
  const dependsOn = new Map<string, Set<string>>();
  for (const pkg of packages) {
    if (!names.has(pkg.name)) continue;
    const deps = new Set<string>();
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
      const map = pkg.packageJson[field];
      if (typeof map !== "object" || map === null) continue;
      for (const dep of Object.keys(map)) if (names.has(dep) && dep !== pkg.name) deps.add(dep);
    }
    dependsOn.set(pkg.name, deps);
  }
  const chunks: string[][] = [];
  const done = new Set<string>();
  while (done.size < dependsOn.size) {
    const remaining = [...dependsOn.keys()].filter((name) => !done.has(name));
    let ready = remaining.filter((name) => [...(dependsOn.get(name) ?? [])].every((dep) => done.has(dep)));
    if (ready.length === 0) ready = remaining;
    ready.sort();
    for (const name of ready) done.add(name);
    chunks.push(ready);
  }
  return chunks;
}
