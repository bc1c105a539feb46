import { readFileSync } from "node:fs";
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
      "dotenv" in args && args.dotenv ? { ...env, [DOTENV_OUTPUT]: path.resolve(args.dotenv) } : env;
    return await run(args, io, outputs);
  } catch (error) {
    if (json) io.stdout.write(errorJson(error));
    if (!(error instanceof PolyglotError)) throw error;
    writeError(io.stderr, "polyglot-publish", error);
    return error.exitCode;
  }
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
