import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type {
  CommitFunctions,
  Config,
  NewChangeset,
  Packages,
  PreState,
  ReleasePlan,
} from "@changesets/types";

/**
 * The libraries `changeset version` is built from, loaded from the repo's own `@changesets/cli` install (the
 * copies its `dist/version.mjs` imports), so the in-process run is the same code on the same versions as the
 * CLI the repo pinned.
 */
export interface ChangesetsRuntime {
  cliVersion: string;
  /** The CLI's `dist/` folder: what `changeset version` passes as `contextDir` to resolve its own modules. */
  contextDir: string;
  readConfig(
    root: string,
    packages: Packages,
  ): Promise<{ config: Config; warnings: string[]; errors: string[] | undefined }>;
  readChangesets(cwd: string): Promise<NewChangeset[]>;
  readPreState(cwd: string): Promise<PreState | undefined>;
  assembleReleasePlan(
    changesets: NewChangeset[],
    packages: Packages,
    config: Config,
    preState: PreState | undefined,
    snapshot?: { tag?: string | undefined; commit?: string | undefined },
  ): ReleasePlan;
  applyReleasePlan(
    plan: ReleasePlan,
    packages: Packages,
    config: Config,
    snapshot: string | true | undefined,
    contextDir: string,
  ): Promise<string[]>;
  getDependentsGraph(
    packages: Packages,
    options: { ignoreDevDependencies: boolean; bumpVersionsWithWorkspaceProtocolOnly?: boolean | undefined },
  ): Map<string, string[]>;
  shouldSkipPackage(
    pkg: Packages["packages"][number],
    options: { ignore: readonly string[]; allowPrivatePackages: boolean },
  ): boolean;
  git: {
    add(file: string, cwd: string): Promise<boolean>;
    commit(message: string, cwd: string): Promise<boolean>;
    getCurrentCommitId(options: { cwd: string }): Promise<string>;
  };
  /** `import-meta-resolve`'s `resolve`, as the CLI resolves the commit module. */
  resolveModule(specifier: string, parentUrl: string): string;
  importCommitFunctions(url: string): Promise<CommitFunctions | { default: unknown }>;
}

/** The `@changesets/cli` majors whose `version` command the in-process path replicates (proven by the differential test). */
const PROVEN_MAJOR = 3;

/**
 * Loads the repo's changesets runtime, or says in one line why the in-process path cannot stand in for
 * `changeset version` here (the caller then spawns the CLI).
 */
export async function loadChangesetsRuntime(
  root: string,
): Promise<{ runtime: ChangesetsRuntime } | { fallback: string }> {
  let cliManifest: string;
  try {
    cliManifest = createRequire(path.join(root, "package.json")).resolve("@changesets/cli/package.json");
  } catch {
    return { fallback: "@changesets/cli is not installed where Node resolves it from the repo root" };
  }
  const cliVersion = String(
    (JSON.parse(readFileSync(cliManifest, "utf8")) as { version?: unknown }).version ?? "",
  );
  const major = Number.parseInt(cliVersion, 10);
  if (major !== PROVEN_MAJOR) {
    return {
      fallback: `@changesets/cli ${cliVersion} is not a ${PROVEN_MAJOR}.x release, the versions proven equivalent in-process`,
    };
  }
  const fromCli = createRequire(cliManifest);
  const load = async <T>(name: string): Promise<T> =>
    (await import(pathToFileURL(fromCli.resolve(name)).href)) as T;
  try {
    const [apply, assemble, config, read, pre, git, graph, skip, resolver] = await Promise.all([
      load<Pick<ChangesetsRuntime, "applyReleasePlan">>("@changesets/apply-release-plan"),
      load<Pick<ChangesetsRuntime, "assembleReleasePlan">>("@changesets/assemble-release-plan"),
      load<Pick<ChangesetsRuntime, "readConfig">>("@changesets/config"),
      load<Pick<ChangesetsRuntime, "readChangesets">>("@changesets/read"),
      load<Pick<ChangesetsRuntime, "readPreState">>("@changesets/pre"),
      load<ChangesetsRuntime["git"]>("@changesets/git"),
      load<Pick<ChangesetsRuntime, "getDependentsGraph">>("@changesets/get-dependents-graph"),
      load<Pick<ChangesetsRuntime, "shouldSkipPackage">>("@changesets/should-skip-package"),
      load<{ resolve: ChangesetsRuntime["resolveModule"] }>("import-meta-resolve"),
    ]);
    return {
      runtime: {
        cliVersion,
        contextDir: path.join(path.dirname(cliManifest), "dist"),
        readConfig: config.readConfig,
        readChangesets: read.readChangesets,
        readPreState: pre.readPreState,
        assembleReleasePlan: assemble.assembleReleasePlan,
        applyReleasePlan: apply.applyReleasePlan,
        getDependentsGraph: graph.getDependentsGraph,
        shouldSkipPackage: skip.shouldSkipPackage,
        git,
        resolveModule: resolver.resolve,
        importCommitFunctions: (url) => import(url),
      },
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { fallback: `a library of @changesets/cli ${cliVersion} could not be loaded (${reason})` };
  }
}
