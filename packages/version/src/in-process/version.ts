import { execFile } from "node:child_process";
import { existsSync, rmdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type { CommitFunctions, Config, Packages, PreState, ReleasePlan } from "@changesets/types";
import type { Io } from "@polyglot-changesets/core";
import type { ChangesetVersionOptions } from "../args.js";
import type { ChangesetsRuntime } from "./changesets-runtime.js";
import { FileSnapshot } from "./file-snapshot.js";

/** A `changeset version` applied in this process: its files are written, its commit (if any) not yet made. */
export interface AppliedVersion {
  releasePlan: ReleasePlan;
  /** Every file `applyReleasePlan` wrote, created or removed (absolute paths). */
  touchedFiles: string[];
  /** Puts every file it wrote back as it was; returns the files that could not be restored. */
  rollback(): string[];
  /**
   * Commits as `changeset version` does when `commit` is set (nothing otherwise): its touched files plus
   * `alsoAdd` (the synced target files), with the message of the configured commit module.
   */
  commit(alsoAdd: readonly string[]): Promise<void>;
}

export type InProcessResult = { ok: AppliedVersion } | { exitCode: number };

/** The release plan of a `changeset version` run, assembled in-process as the CLI assembles it. */
export interface PlannedVersion {
  releasePlan: ReleasePlan;
  /** The config the CLI applies with: `--ignore`, the snapshot template and `commit` folded in. */
  releaseConfig: Config;
  snapshot: string | true | undefined;
  preState: PreState | undefined;
  /** What the CLI prints before it applies the plan (config warnings, the pre-mode notice), unprinted. */
  notices: string[];
}

/** A run the CLI would refuse before writing anything: its message (the CLI exits 1). */
export interface RefusedVersion {
  refused: string;
  notices: string[];
}

/**
 * `changeset version` of @changesets/cli 3 (its `dist/version.mjs`), step for step, on the packages already
 * read: the config and its checks, the changesets and pre state, the release plan, `applyReleasePlan` with the
 * CLI's own `contextDir` (so the changelog generator resolves as the CLI resolves it). Failures print the
 * CLI's message and give its exit code (1).
 */
export async function versionInProcess(
  packages: Packages,
  options: ChangesetVersionOptions,
  runtime: ChangesetsRuntime,
  io: Io,
): Promise<InProcessResult> {
  const planned = await planVersion(packages, options, runtime);
  return "refused" in planned ? refuse(planned, io) : applyVersion(planned, packages, runtime, io);
}

/** Prints what the CLI prints for a refused run; exit 1 as the CLI. */
export function refuse(refused: RefusedVersion, io: Io): { exitCode: number } {
  writeNotices(refused.notices, io);
  io.stderr.write(`polyglot-version: changeset version: ${refused.refused}\n`);
  return { exitCode: 1 };
}

function writeNotices(notices: readonly string[], io: Io): void {
  for (const notice of notices) io.stderr.write(`polyglot-version: ${notice}\n`);
}

/**
 * The CLI's steps before any write: config and its checks, changesets and pre state, the release plan. An
 * error of its libraries (a bad changeset, a package not in the workspace) refuses the run, as the CLI does.
 */
export async function planVersion(
  packages: Packages,
  options: ChangesetVersionOptions,
  runtime: ChangesetsRuntime,
): Promise<PlannedVersion | RefusedVersion> {
  const notices: string[] = [];
  try {
    return await plan(packages, options, runtime, notices);
  } catch (error) {
    return { refused: error instanceof Error ? error.message : String(error), notices };
  }
}

async function plan(
  packages: Packages,
  options: ChangesetVersionOptions,
  runtime: ChangesetsRuntime,
  notices: string[],
): Promise<PlannedVersion | RefusedVersion> {
  const cwd = packages.rootDir;
  const refused = (message: string): RefusedVersion => ({ refused: message, notices });
  if (!existsSync(path.resolve(cwd, ".changeset")))
    return refused("There is no .changeset folder (run `changeset init` to set Changesets up).");
  const { config, warnings, errors } = await runtime.readConfig(cwd, packages);
  for (const warning of warnings) notices.push(`changeset config: ${warning}`);
  if (errors != null) return refused(`Found issues in your config:\n- ${errors.join("\n- ")}`);
  const ignoreFromCli = cliIgnore(options);
  const messages: string[] = [];
  let ignore: readonly string[] | undefined;
  if (ignoreFromCli !== undefined) {
    if (config.ignore.length > 0)
      messages.push(
        "It looks like you are trying to use the `--ignore` option while ignore is defined in the config file. This is currently not allowed, you can only use one of them at a time.",
      );
    else ignore = ignoreFromCli;
  }
  const releaseConfig: Config = {
    ...config,
    ignore: (ignore ?? config.ignore) as string[],
    snapshot: {
      ...config.snapshot,
      prereleaseTemplate: options.snapshotPrereleaseTemplate ?? config.snapshot.prereleaseTemplate,
    },
    commit: options.snapshot ? false : config.commit,
  };
  validateIgnoredPackageNames(packages, ignoreFromCli, messages);
  validateSkippedDependents(packages, releaseConfig, runtime, messages);
  if (messages.length > 0) return refused(messages.join("\n"));
  const [changesets, preState] = await Promise.all([runtime.readChangesets(cwd), runtime.readPreState(cwd)]);
  if (preState?.mode === "pre") {
    if (options.snapshot !== undefined)
      return refused("Snapshot release is not allowed in pre mode. Exit pre mode with `changeset pre exit`.");
    notices.push(
      "You are in prerelease mode! For a normal release, revert these changes, run `changeset pre exit`, then version again.",
    );
  }
  if (changesets.length === 0 && preState?.mode !== "exit") return refused("No unreleased changesets found.");
  const template = releaseConfig.snapshot.prereleaseTemplate;
  const snapshotTag = options.snapshot === true || options.snapshot === "" ? undefined : options.snapshot;
  const releasePlan = runtime.assembleReleasePlan(
    changesets,
    packages,
    releaseConfig,
    preState,
    options.snapshot !== undefined
      ? {
          tag: snapshotTag,
          commit: ["{commit}", "{commit-short}"].some((placeholder) => template?.includes(placeholder))
            ? await runtime.git.getCurrentCommitId({ cwd })
            : undefined,
        }
      : undefined,
  );
  const snapshot = options.snapshot === undefined ? undefined : (snapshotTag ?? true);
  return { releasePlan, releaseConfig, snapshot, preState, notices };
}

/**
 * Writes the plan with the repo's `applyReleasePlan`; a failure puts back every file it wrote. Returns the
 * applied version (its commit still to make, and its rollback) or the CLI's exit code (1).
 */
export async function applyVersion(
  planned: PlannedVersion,
  packages: Packages,
  runtime: ChangesetsRuntime,
  io: Io,
): Promise<InProcessResult> {
  writeNotices(planned.notices, io);
  try {
    return await apply(planned, packages, runtime, io);
  } catch (error) {
    // What the CLI does with an error of its libraries: print it and exit 1 (nothing was written: the only
    // writes are inside apply's own rollback guard).
    return refuse({ refused: error instanceof Error ? error.message : String(error), notices: [] }, io);
  }
}

async function apply(
  planned: PlannedVersion,
  packages: Packages,
  runtime: ChangesetsRuntime,
  io: Io,
): Promise<InProcessResult> {
  const fail = (message: string): InProcessResult => refuse({ refused: message, notices: [] }, io);
  const { releasePlan, releaseConfig } = planned;
  const cwd = packages.rootDir;
  const before = new FileSnapshot(filesApplyMayWrite(packages, releasePlan));
  const preFolder = path.join(cwd, ".changeset", "pre");
  const hadPreFolder = existsSync(preFolder);
  const rollback = (): string[] => {
    const failed = before.restore();
    if (!hadPreFolder && existsSync(preFolder)) {
      try {
        rmdirSync(preFolder);
      } catch {
        failed.push(preFolder);
      }
    }
    return failed;
  };
  let touchedFiles: string[];
  try {
    touchedFiles = await runtime.applyReleasePlan(
      releasePlan,
      packages,
      releaseConfig,
      planned.snapshot,
      runtime.contextDir,
    );
  } catch (error) {
    const unrestored = rollback();
    const reason = error instanceof Error ? error.message : String(error);
    const outcome =
      unrestored.length === 0
        ? "every file was left as it was"
        : `could not restore ${unrestored.join(", ")}`;
    return fail(`${reason} (${outcome})`);
  }
  return {
    ok: {
      releasePlan,
      touchedFiles,
      rollback,
      commit: (alsoAdd) =>
        commitVersion(releaseConfig, releasePlan, [...touchedFiles, ...alsoAdd], cwd, runtime, io),
    },
  };
}

/** `--ignore` as the CLI's option parser gives it: every value split on commas, or undefined when not passed. */
function cliIgnore(options: ChangesetVersionOptions): string[] | undefined {
  if (options.ignore.length === 0) return undefined;
  return options.ignore.flatMap((value) =>
    value
      .split(",")
      .map((part) => part.trim())
      .filter(Boolean),
  );
}

/** Every file `applyReleasePlan` can write, create or remove for this plan. */
function filesApplyMayWrite(packages: Packages, plan: ReleasePlan): string[] {
  const dirs = new Map(packages.packages.map((pkg) => [pkg.packageJson.name, pkg.dir]));
  const changesetFolder = path.join(packages.rootDir, ".changeset");
  const files = [path.join(changesetFolder, "pre.json")];
  if (packages.rootPackage) files.push(path.join(packages.rootPackage.dir, "package.json"));
  for (const release of plan.releases) {
    const dir = dirs.get(release.name);
    if (dir) files.push(path.join(dir, "package.json"), path.join(dir, "CHANGELOG.md"));
  }
  for (const changeset of plan.changesets) {
    files.push(
      path.join(changesetFolder, `${changeset.id}.md`),
      path.join(changesetFolder, "pre", `${changeset.id}.md`),
    );
  }
  return files;
}

function validateIgnoredPackageNames(
  packages: Packages,
  ignoreFromCli: readonly string[] | undefined,
  messages: string[],
): void {
  if (!ignoreFromCli) return;
  const names = new Set(packages.packages.map((pkg) => pkg.packageJson.name));
  for (const name of ignoreFromCli) {
    if (names.has(name)) continue;
    messages.push(
      `The package ${name} is passed to the \`--ignore\` option but it is not found in the project. You may have misspelled the package name.`,
    );
  }
}

function validateSkippedDependents(
  packages: Packages,
  config: Config,
  runtime: ChangesetsRuntime,
  messages: string[],
): void {
  const byName = new Map(packages.packages.map((pkg) => [pkg.packageJson.name, pkg]));
  const dependents = runtime.getDependentsGraph(packages, {
    ignoreDevDependencies: true,
    bumpVersionsWithWorkspaceProtocolOnly: config.bumpVersionsWithWorkspaceProtocolOnly,
  });
  const skip = { ignore: config.ignore, allowPrivatePackages: config.privatePackages.version };
  for (const pkg of packages.packages) {
    if (!runtime.shouldSkipPackage(pkg, skip)) continue;
    const skipped = pkg.packageJson.name;
    for (const dependent of dependents.get(skipped) ?? []) {
      const dependentPkg = byName.get(dependent)!;
      if (dependentPkg.packageJson.private) continue;
      if (!runtime.shouldSkipPackage(dependentPkg, skip))
        messages.push(
          `The package ${dependent} depends on the skipped package ${skipped} (either by \`ignore\` option or by \`privatePackages.version\`), but ${dependent} is not being skipped. Please pass ${dependent} to the --ignore flag.`,
        );
    }
  }
}

const execFileAsync = promisify(execFile);

async function commitVersion(
  config: Config,
  plan: ReleasePlan,
  files: readonly string[],
  cwd: string,
  runtime: ChangesetsRuntime,
  io: Io,
): Promise<void> {
  const commitFunctions = await loadCommitFunctions(config.commit, cwd, runtime);
  if (!commitFunctions?.functions.getVersionMessage) return;
  const relative = [...new Set(files)].map((file) => path.relative(cwd, file));
  // One `git add` for all (the CLI starts one per file); per file only when the batch fails, as the CLI would.
  const batch = await execFileAsync("git", ["add", "--", ...relative], { cwd }).then(
    () => true,
    () => false,
  );
  if (!batch) for (const file of relative) await runtime.git.add(file, cwd);
  const message = await commitFunctions.functions.getVersionMessage(plan, commitFunctions.options);
  if (!(await runtime.git.commit(message, cwd)))
    io.stderr.write(
      "polyglot-version: changeset version: Changesets ran into trouble committing your files\n",
    );
}

/** The commit module, resolved as the CLI resolves it: from `.changeset/`, else from the CLI's own folder. */
async function loadCommitFunctions(
  commit: Config["commit"],
  cwd: string,
  runtime: ChangesetsRuntime,
): Promise<{ functions: CommitFunctions; options: Record<string, unknown> | null } | undefined> {
  if (!commit) return undefined;
  const fromDir = (dir: string) =>
    runtime.resolveModule(commit[0], pathToFileURL(path.join(dir, "x.mjs")).toString());
  let url: string;
  try {
    url = fromDir(path.join(cwd, ".changeset"));
  } catch {
    url = fromDir(runtime.contextDir);
  }
  let loaded = (await runtime.importCommitFunctions(url)) as Record<string, unknown>;
  if (loaded.default) {
    loaded = loaded.default as Record<string, unknown>;
    if (loaded.default) loaded = loaded.default as Record<string, unknown>;
  }
  if (typeof loaded.getAddMessage !== "function" && typeof loaded.getVersionMessage !== "function")
    throw new Error("Could not resolve commit generation functions");
  return { functions: loaded as CommitFunctions, options: commit[1] ?? null };
}
