import { realpathSync } from "node:fs";
import path from "node:path";
import type { Packages } from "@changesets/types";
import type { Packages as ManypkgPackages } from "@manypkg/get-packages";
import type { Io } from "@polyglot-changesets/core";
import type { VersionArgs } from "../args.js";
import { runChangesetVersion } from "../changeset-cli.js";
import { prepareInProcessVersion } from "./index.js";
import type { AppliedVersion } from "./version.js";
import { versionInProcess } from "./version.js";

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

/**
 * Runs `changeset version` in this process on the packages already read (see ./version.ts), or the repo's CLI as
 * a child when `--changeset-cli` asks for it or the in-process path cannot be proven the same (one line says why).
 */
export async function runVersionStep(
  packages: ManypkgPackages,
  args: VersionArgs,
  io: Io,
  env: NodeJS.ProcessEnv | undefined,
  cliFailure: CliFailureReport,
): Promise<VersionStep> {
  const root = packages.rootDir;
  const spawnCli = async (): Promise<VersionStep> => {
    const explain = await cliFailure();
    const exitCode = await runChangesetVersion(root, args.changeset.args, io, {
      stdoutToStderr: args.json,
      env,
    });
    return exitCode === 0 ? { exitCode } : { exitCode, explanation: await explain(exitCode) };
  };
  if (args.changesetCli) return spawnCli();
  const prepared = differentProcess(root, env) ?? (await prepareInProcessVersion(root, args.changeset));
  if ("fallback" in prepared) {
    io.stderr.write(`polyglot-version: running changeset version as a process: ${prepared.fallback}\n`);
    return spawnCli();
  }
  // @changesets/types declares its own copy of manypkg's Packages shape.
  const result = await versionInProcess(
    packages as unknown as Packages,
    args.changeset,
    prepared.runtime,
    io,
  );
  if ("exitCode" in result) return result;
  (args.json ? io.stderr : io.stdout).write(
    `polyglot-version: changeset version (in-process, @changesets/cli ${prepared.runtime.cliVersion}): All files have been updated.\n`,
  );
  return { exitCode: 0, applied: result.ok };
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
