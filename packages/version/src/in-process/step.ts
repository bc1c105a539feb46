import { realpathSync } from "node:fs";
import path from "node:path";
import type { Packages } from "@changesets/types";
import type { Packages as ManypkgPackages } from "@manypkg/get-packages";
import { type Io, preStateNeedsMigration } from "@polyglot-changesets/core";
import type { VersionArgs } from "../args.js";
import { runChangesetVersion } from "../changeset-cli.js";
import type { PredictedRelease } from "../release-plan.js";
import { type ChangesetsRuntime, prepareInProcessVersion } from "./index.js";
import {
  type AppliedVersion,
  applyVersion,
  type InProcessResult,
  type PlannedVersion,
  planVersion,
  refuse,
  versionInProcess,
} from "./version.js";

/** The outcome of the `changeset version` step, in-process (`applied`: its commit and rollback) or as the CLI. */
export interface VersionStep {
  exitCode: number;
  applied?: AppliedVersion;
  /** A failed CLI run: what it left changed, and how to get back (in-process, a failure puts every file back). */
  explanation?: string;
}

/**
 * Called just before the CLI starts (it may leave half-written files behind, so their state is taken first);
 * the function it returns explains a failed run.
 */
export type CliFailureReport = () => Promise<(exitCode: number) => Promise<string>>;

/** The `changeset version` step, chosen and planned: what it will version, and how to run it. */
export interface PreparedVersionStep {
  predicted: PredictedRelease;
  run(cliFailure: CliFailureReport): Promise<VersionStep>;
}

/**
 * Chooses how `changeset version` runs: in this process on the packages already read (see ./version.ts), with
 * one read of the config and changesets and one release plan that is both the prediction the sync is planned
 * for and what is applied; or the repo's CLI as a child when `--changeset-cli` asks for it or the in-process
 * path cannot be proven the same (one line says why), predicted with the suite's copies of its libraries.
 */
export async function prepareVersionStep(
  packages: ManypkgPackages,
  args: VersionArgs,
  io: Io,
  env: NodeJS.ProcessEnv | undefined,
): Promise<PreparedVersionStep> {
  const root = packages.rootDir;
  const prepared = args.changesetCli
    ? undefined
    : (differentProcess(root, env) ?? (await prepareInProcessVersion(root, args.changeset)));
  if (!prepared || "fallback" in prepared) {
    return {
      predicted: await predictWithSuite(packages, args),
      run: async (cliFailure) => {
        if (prepared)
          io.stderr.write(`polyglot-version: running changeset version as a process: ${prepared.fallback}\n`);
        return spawnCli(root, args, io, env, cliFailure);
      },
    };
  }
  const runtime = prepared.runtime;
  // @changesets/types declares its own copy of manypkg's Packages shape.
  const changesetsPackages = packages as unknown as Packages;
  // The repo's libraries read `.changeset/` as the CLI does, and @changesets/pre migrates a Changesets 2 pre.json
  // in place when it reads one: a dry run, or a run whose checks are still to come, must not have that happen yet.
  // Such runs are predicted by the suite (on a scratch copy) and planned in-process only when the step runs.
  if (args.dryRun || preStateNeedsMigration(root)) {
    return {
      predicted: await predictWithSuite(packages, args),
      run: () => stepOf(versionInProcess(changesetsPackages, args.changeset, runtime, io), runtime, args, io),
    };
  }
  const planned = await planVersion(changesetsPackages, args.changeset, runtime);
  if ("refused" in planned) {
    // The CLI refuses the run (exit 1, nothing written): the prediction of the suite explains what the sync saw.
    return { predicted: await predictWithSuite(packages, args), run: async () => refuse(planned, io) };
  }
  return {
    predicted: predictedFrom(planned),
    run: () => stepOf(applyVersion(planned, changesetsPackages, runtime, io), runtime, args, io),
  };
}

/** The in-process step's outcome, with the CLI's success line. */
async function stepOf(
  applying: Promise<InProcessResult>,
  runtime: ChangesetsRuntime,
  args: VersionArgs,
  io: Io,
): Promise<VersionStep> {
  const result = await applying;
  if ("exitCode" in result) return result;
  (args.json ? io.stderr : io.stdout).write(
    `polyglot-version: changeset version (in-process, @changesets/cli ${runtime.cliVersion}): All files have been updated.\n`,
  );
  return { exitCode: 0, applied: result.ok };
}

async function predictWithSuite(packages: ManypkgPackages, args: VersionArgs): Promise<PredictedRelease> {
  const { predictRelease } = await import("../release-plan.js");
  return predictRelease(packages.rootDir, args.changeset, packages);
}

/** What the in-process release plan will version (a refused run never gets here: there is something to do). */
function predictedFrom(planned: PlannedVersion): PredictedRelease {
  return {
    versions: new Map(
      planned.releasePlan.releases
        .filter((release) => release.type !== "none")
        .map((release) => [release.name, release.newVersion]),
    ),
    nothingToVersion: false,
    preState: planned.preState,
    commits: Boolean(planned.releaseConfig.commit),
    versionsPrivatePackages: planned.releaseConfig.privatePackages.version,
  };
}

async function spawnCli(
  root: string,
  args: VersionArgs,
  io: Io,
  env: NodeJS.ProcessEnv | undefined,
  cliFailure: CliFailureReport,
): Promise<VersionStep> {
  const explain = await cliFailure();
  const exitCode = await runChangesetVersion(root, args.changeset.args, io, {
    stdoutToStderr: args.json,
    env,
  });
  return exitCode === 0 ? { exitCode } : { exitCode, explanation: await explain(exitCode) };
}

/**
 * The CLI runs in the repo root with the given environment; changelog generators read both (`process.cwd()` for
 * git and `.env`, `process.env` for tokens), so in-process is the same only when this process has them too.
 */
function differentProcess(
  root: string,
  env: NodeJS.ProcessEnv | undefined,
): { fallback: string } | undefined {
  if (env !== undefined && env !== process.env)
    return { fallback: "an environment of its own was given for changeset version" };
  const here = realpathOrSelf(process.cwd());
  if (here !== realpathOrSelf(root))
    return { fallback: `it runs in ${root}, not in the current directory a changelog generator reads` };
  return undefined;
}

function realpathOrSelf(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}
