import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Packages } from "@manypkg/get-packages";
import type { Io } from "@polyglot-changesets/core";
import {
  applyWrites,
  CommandSafeStream,
  checkChangelogInputs,
  FileCache,
  findPackages,
  findStrayBridgeFolders,
  formatStrayBridgeFolder,
  loadWorkspace,
  type PlannedFile,
  PolyglotError,
  planChangelogs,
  planSync,
  type RepoFiles,
  recoverInterruptedSync,
  type SyncPlan,
  type Workspace,
  writeError,
} from "@polyglot-changesets/core";
import { parseVersionArgs, USAGE, type VersionArgs } from "./args.js";
import { formatCheck, formatJson, formatPendingVersions, formatSummary } from "./report.js";

export interface MainOptions extends Partial<Io> {
  /** Directory to run in (overridden by --cwd); default process.cwd(). */
  cwd?: string;
  /** Environment of the `changeset version` child; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Everything a run needs, resolved once. */
interface Run {
  args: VersionArgs;
  io: Io;
  env: NodeJS.ProcessEnv | undefined;
  /** Plan warnings already printed: the plan made before `changeset version` and the sync after repeat them. */
  warned: Set<string>;
}

const NO_CHANGESETS_HINT =
  "polyglot-version: no changesets to version: add one with `changeset add`, or run `polyglot-version --sync-only` to only sync targets.\n";

/**
 * Runs polyglot-version with `argv` (without node and the script) and returns the exit code: 0 done,
 * 1 `--check` found targets out of step or a write failed, 2 usage or configuration, or the exit code of a
 * failing `changeset version`. User-facing errors are printed to stderr with their fix.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const io: Io = {
    stdout: options.stdout ?? new CommandSafeStream(process.stdout),
    stderr: options.stderr ?? new CommandSafeStream(process.stderr),
  };
  let args: VersionArgs;
  try {
    args = parseVersionArgs(argv, options.cwd ?? process.cwd());
  } catch (error) {
    if (!(error instanceof PolyglotError)) throw error;
    writeError(io.stderr, "polyglot-version", error);
    io.stderr.write(`\n${USAGE}\n`);
    return error.exitCode;
  }
  try {
    if (args.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (args.version) {
      const manifest = new URL("../package.json", import.meta.url);
      io.stdout.write(`${(JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version}\n`);
      return 0;
    }
    return await dispatch({ args, io, env: options.env, warned: new Set() });
  } catch (error) {
    if (!(error instanceof PolyglotError)) throw error;
    writeError(io.stderr, "polyglot-version", error);
    return error.exitCode;
  }
}

async function dispatch(run: Run): Promise<number> {
  const packages = await findPackages(path.resolve(run.args.cwd));
  const files = new FileCache(packages.rootDir);
  // Every run, --check and --dry-run included, first repairs what a killed sync left: reporting on (or
  // planning from) half-written files would be wrong.
  const recovered = recoverInterruptedSync(files.repo);
  if (recovered) run.io.stderr.write(`polyglot-version: ${recovered}\n`);
  const workspace = await loadWorkspace(packages.rootDir, { files, packages });
  // The scan for stray bridge folders is a hint for people (--check, the version run); --sync-only is the
  // machine step after `changeset version` and stays lean.
  if (!run.args.syncOnly) await noteStrayBridgeFolders(workspace, files, run.io);
  if (run.args.check) return check(workspace, files, run);
  if (run.args.syncOnly) return sync(workspace, files, run);
  return versionAndSync(workspace, files, packages, run);
}

/** A bridge-shaped folder outside the workspace globs is synced by nothing: one note each. */
async function noteStrayBridgeFolders(workspace: Workspace, files: FileCache, io: Io): Promise<void> {
  for (const stray of await findStrayBridgeFolders(workspace, files))
    io.stderr.write(`polyglot-version: note: ${formatStrayBridgeFolder(stray)}\n`);
}

function currentVersions(workspace: Workspace): Map<string, string> {
  return new Map(workspace.packages.map((pkg) => [pkg.name, pkg.version]));
}

async function check(workspace: Workspace, files: FileCache, run: Run): Promise<number> {
  const { args, io } = run;
  const plan = await planSync(workspace, currentVersions(workspace), { files });
  printWarnings(plan, run);
  io.stdout.write(args.json ? formatJson(plan.files) : formatCheck(workspace, plan));
  return plan.files.length > 0 ? 1 : 0;
}

/**
 * Plans once against the predicted versions (validating everything while nothing is written), runs
 * `changeset version`, checks that it wrote the predicted versions, then applies the plan.
 */
async function versionAndSync(
  workspace: Workspace,
  files: FileCache,
  packages: Packages,
  run: Run,
): Promise<number> {
  const { args, io } = run;
  // Loaded only here: the changesets libraries and execa are most of the start-up time of --sync-only.
  const { prepareVersionStep } = await import("./in-process/step.js");
  assertChangesetFilesInside(files.repo);
  const versionStep = await prepareVersionStep(packages, args, io, run.env);
  const predicted = versionStep.predicted;
  io.stderr.write(
    configWarnings(workspace, { ...predicted, commits: predicted.commits && args.changesetCli }),
  );
  if (predicted.nothingToVersion && args.dryRun) return sync(workspace, files, run);
  const versions = new Map([...currentVersions(workspace), ...predicted.versions]);
  const plan = await planSync(workspace, versions, { files });
  printWarnings(plan, run);
  if (args.dryRun) {
    io.stderr.write(formatPendingVersions(workspace, predicted.versions));
    return await report(plan.files, run);
  }
  await checkChangelogInputs(workspace, { files });
  assertSyncWritable(workspace, files.repo, plan.files, predicted.versions);
  const step = await versionStep.run(() => cliFailureReport(workspace));
  const exitCode = step.exitCode;
  if (exitCode !== 0) {
    // In-process, a failure put back every file it wrote (or said which it could not): no explanation to give.
    const explained = step.explanation ?? (await import("./version-failure.js")).failedUnchanged(exitCode);
    io.stderr.write(predicted.nothingToVersion ? NO_CHANGESETS_HINT : explained);
    return exitCode;
  }
  // The plan made above is applied as it is: `changeset version` writes only package.json and CHANGELOG.md
  // files, and applyWrites refuses a planned file that changed since it was read.
  const fresh = new FileCache(workspace.root);
  const written = withWrittenVersions(workspace, fresh.repo);
  const applied = step.applied;
  if (!applied) return syncWritten(workspace, written, plan, fresh, predicted.versions, run);
  // In-process, the npm files and the targets are one all-or-nothing set: a failed check or sync puts back
  // what `changeset version` wrote, and its commit (`commit` on) comes last, with the synced files in it.
  try {
    return await syncWritten(workspace, written, plan, fresh, predicted.versions, run, (files) =>
      applied.commit(files),
    );
  } catch (error) {
    const unrestored = applied.rollback();
    io.stderr.write(
      unrestored.length === 0
        ? "polyglot-version: the sync failed, so the files changeset version wrote were restored\n"
        : `polyglot-version: the sync failed; could not restore ${unrestored.join(", ")}\n`,
    );
    throw error;
  }
}

/** The package.json and CHANGELOG.md files as they are before the CLI runs, compared after a failure. */
async function cliFailureReport(workspace: Workspace): Promise<(exitCode: number) => Promise<string>> {
  const { explainFailedVersion, snapshotVersionFiles } = await import("./version-failure.js");
  const before = await snapshotVersionFiles(workspace);
  return async (exitCode) =>
    explainFailedVersion(workspace.root, before, await snapshotVersionFiles(workspace), exitCode);
}

/** After `changeset version`: the written versions checked against the prediction, then the plan applied. */
function syncWritten(
  before: Workspace,
  written: Workspace,
  plan: SyncPlan,
  fresh: FileCache,
  predicted: ReadonlyMap<string, string>,
  run: Run,
  afterWrite?: (files: string[]) => Promise<void>,
): Promise<number> {
  // A snapshot version holds the time `changeset version` ran ({datetime}, {timestamp}), which no prediction
  // can know: a snapshot syncs to the versions written (the plan above validated the run).
  if (run.args.changeset.snapshot) return sync(written, fresh, run, afterWrite);
  assertPredictedVersions(before, written, predicted);
  return applyPlan(written, plan, fresh, run, afterWrite);
}

/**
 * The versions `changeset version` wrote must be the ones the plan was made for: a difference (a changeset
 * added meanwhile, another Changesets version in the repo) stops the run before any target is written.
 */
function assertPredictedVersions(
  before: Workspace,
  written: Workspace,
  predicted: ReadonlyMap<string, string>,
): void {
  for (const [index, pkg] of before.packages.entries()) {
    const expected = predicted.get(pkg.name) ?? pkg.version;
    const actual = written.packages[index]!.version;
    if (actual === expected) continue;
    const file = pkg.relativeDir === "." ? "package.json" : `${pkg.relativeDir}/package.json`;
    throw new PolyglotError(
      `${pkg.name}: changeset version wrote ${actual} to ${file}, but the release plan predicted ${expected}; no target was synced`,
      {
        code: "version-mismatch",
        file,
        setting: "version",
        fix: "check the version changeset version wrote, then run polyglot-version --sync-only to sync the targets to it",
        exitCode: 1,
      },
    );
  }
}

/**
 * Before `changeset version` runs: every file the sync will write (the planned ones, every target's manifest
 * and version files, the mirrored changelogs) and every package.json it will bump resolves inside the repo and
 * can be written, so a read-only or escaping file stops the run while nothing has changed.
 */
function assertSyncWritable(
  workspace: Workspace,
  repo: RepoFiles,
  planned: readonly PlannedFile[],
  bumped: ReadonlyMap<string, string>,
): void {
  const files = new Set<string>(planned.map((file) => file.file));
  for (const target of workspace.targets) {
    files.add(target.manifest);
    for (const file of target.versionFiles) files.add(file);
    if (target.changelog) files.add(path.join(target.dir, "CHANGELOG.md"));
  }
  for (const pkg of workspace.packages) {
    if (!bumped.has(pkg.name) || bumped.get(pkg.name) === pkg.version) continue;
    files.add(path.join(pkg.dir, "package.json"));
    files.add(path.join(pkg.dir, "CHANGELOG.md"));
  }
  for (const file of files) repo.assertWritable(file);
}

/**
 * `changeset version` reads every file of .changeset/ (config, pre state, changesets) and copies changeset
 * text into changelogs: each must be a regular file inside the repo, not a symlink leading out of it or a FIFO.
 */
function assertChangesetFilesInside(repo: RepoFiles): void {
  const folder = path.join(repo.root, ".changeset");
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === "config.json" || name === "pre.json" || name.endsWith(".md"))
      repo.resolve(path.join(folder, name));
  }
}

/**
 * Settings of .changeset/config.json that keep the sync from doing what a user expects, one line each. (`commit`
 * only matters with --changeset-cli: in-process, the commit is made after the sync and holds the synced files.)
 */
function configWarnings(
  workspace: Workspace,
  predicted: { commits: boolean; versionsPrivatePackages: boolean },
): string {
  const warnings: string[] = [];
  // Every target, bridge or follow: a bridge listed in polyglot.json (to add versionFiles) is a follow target.
  const privateSources = [...new Set(workspace.targets.map((target) => target.source))]
    .map((source) => workspace.packages.find((pkg) => pkg.name === source)!)
    .filter((pkg) => pkg.private);
  if (!predicted.versionsPrivatePackages && privateSources.length > 0) {
    const names = privateSources.map((pkg) => pkg.name).join(", ");
    warnings.push(
      `polyglot-version: warning: ${names} ${privateSources.length > 1 ? "are" : "is"} private and .changeset/config.json does not set privatePackages.version to true (the default is false), so changeset version will not version ${privateSources.length > 1 ? "them" : "it"} (fix: set "privatePackages": { "version": true, "tag": true })\n`,
    );
  }
  if (predicted.commits) {
    warnings.push(
      'polyglot-version: warning: .changeset/config.json has "commit" on: changeset version commits its files before the sync, so the synced files stay uncommitted (fix: set "commit": false and let your CI commit, or commit them after this run)\n',
    );
  }
  return warnings.join("");
}

/**
 * The workspace with the versions `changeset version` wrote, re-read from each package.json (the source of
 * truth). It writes only package.json and CHANGELOG.md files, so the targets found before still stand.
 */
function withWrittenVersions(workspace: Workspace, repo: RepoFiles): Workspace {
  const packages = workspace.packages.map((pkg) => {
    const file = path.join(pkg.dir, "package.json");
    const packageJson = JSON.parse(repo.read(file) ?? "{}") as Record<string, unknown>;
    return { ...pkg, version: String(packageJson.version), packageJson };
  });
  return { ...workspace, packages };
}

/** Syncs every target to the current package.json version of its source. */
async function sync(
  workspace: Workspace,
  files: FileCache,
  run: Run,
  afterWrite?: (written: string[]) => Promise<void>,
): Promise<number> {
  const plan = await planSync(workspace, currentVersions(workspace), { files });
  printWarnings(plan, run);
  return applyPlan(workspace, plan, files, run, afterWrite);
}

/**
 * Adds the mirrored changelog sections to the plan, then writes it all (or nothing) unless --dry-run;
 * `afterWrite` gets the files written (the in-process version step commits them).
 */
async function applyPlan(
  workspace: Workspace,
  plan: SyncPlan,
  files: FileCache,
  run: Run,
  afterWrite?: (written: string[]) => Promise<void>,
): Promise<number> {
  const changelogs = await planChangelogs(workspace, plan, { files });
  const planned = [...plan.files, ...changelogs];
  if (!run.args.dryRun) await applyWrites(planned, { repo: files.repo });
  await afterWrite?.(planned.map((file) => file.file));
  return report(planned, run);
}

function printWarnings(plan: SyncPlan, { io, warned }: Run): void {
  for (const warning of plan.warnings) {
    if (warned.has(warning)) continue;
    warned.add(warning);
    io.stderr.write(`polyglot-version: warning: ${warning}\n`);
  }
}

async function report(planned: PlannedFile[], { args, io }: Run): Promise<number> {
  if (args.json) io.stdout.write(formatJson(planned));
  else if (args.dryRun) io.stdout.write((await import("./report-diff.js")).formatDiff(planned));
  io.stderr.write(formatSummary(planned, args.dryRun ? "would change" : "synced"));
  return 0;
}
