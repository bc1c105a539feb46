import { lstatSync, readFileSync } from "node:fs";
import path from "node:path";
import { DOTENV_OUTPUT, type Io, PolyglotError, writeError } from "@polyglot-changesets/core";
import { type CliArgs, helpText, parseCliArgs } from "./args.js";
import { runOnboarding } from "./onboarding.js";
import { doctorCommand, publishCommand } from "./publish.js";
import { pypiCheckCommand } from "./pypi-check.js";
import { pypiUploadCommand } from "./pypi-upload/command.js";
import { errorJson } from "./report.js";
import { rollbackCommand } from "./rollback/command.js";
import { workflowsDoctorCommand } from "./workflows/doctor.js";

/**
 * Runs polyglot-publish with `argv` (without node and the script) and returns the exit code; an error is printed
 * with its fix (under --json, stdout carries it as JSON too). The CLI and the tests run this.
 */
export async function main(argv: readonly string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  let json = false;
  try {
    // init and trust have their own flags (onboarding-args.ts)
    const onboarding = await runOnboarding(argv, { ...io, env });
    if (onboarding !== undefined) return onboarding;
    const args = parseCliArgs([...argv]);
    if (args.command === "help") {
      io.stdout.write(`${helpText(args.topic)}\n`);
      return 0;
    }
    if (args.command === "version") {
      io.stdout.write(`${ownVersion()}\n`);
      return 0;
    }
    json = args.json;
    // --dotenv: every output also goes to FILE (core setOutput reads the variable).
    const outputs =
      "dotenv" in args && args.dotenv
        ? { ...env, [DOTENV_OUTPUT]: plainDotenvFile(path.resolve(args.dotenv)) }
        : env;
    return await run(args, io, outputs);
  } catch (error) {
    if (json) io.stdout.write(errorJson(error));
    if (!(error instanceof PolyglotError)) throw error;
    writeError(io.stderr, "polyglot-publish", error);
    return error.exitCode;
  }
}

/**
 * The dotenv file becomes a CI artifact: a symlink (committed in the repo) there would copy its target's lines into
 * the report and overwrite the target. Refused before anything runs (core's writer refuses it too).
 */
function plainDotenvFile(file: string): string {
  const stats = lstatSync(file, { throwIfNoEntry: false });
  if (!stats || stats.isFile()) return file;
  throw new PolyglotError(
    `--dotenv ${JSON.stringify(file)} is a ${stats.isSymbolicLink() ? "symlink" : "folder or special file"}: the outputs are written only to a regular file`,
    {
      code: "usage",
      setting: "--dotenv",
      fix: "name a new file in the job's folder (e.g. --dotenv publish.env) and delete what is at that path",
      exitCode: 2,
    },
  );
}

function ownVersion(): string {
  const manifest = new URL("../package.json", import.meta.url);
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

function run(
  args: Exclude<CliArgs, { command: "help" | "version" }>,
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  if (args.command === "doctor" && args.workflows) return workflowsDoctorCommand(args, io, env);
  if (args.command === "doctor") return doctorCommand(args, io, env);
  if (args.command === "pypi-check") return pypiCheckCommand(args, io, env);
  if (args.command === "pypi-upload") return pypiUploadCommand(args, io, env);
  if (args.command === "rollback") return rollbackCommand(args, io, env);
  return publishCommand(args, io, env);
}
