import { readFileSync } from "node:fs";
import path from "node:path";
import { DOTENV_OUTPUT, runCli } from "@polyglot-changesets/core";
import { type CliArgs, helpText, parseCliArgs } from "./args.js";
import { doctorCommand, type Io, publishCommand } from "./publish.js";
import { pypiCheckCommand } from "./pypi-check.js";
import { pypiUploadCommand } from "./pypi-upload/command.js";
import { errorJson } from "./report.js";

await runCli(async (streams) => {
  const io = { ...streams, env: process.env };
  const args = parseCliArgs(process.argv.slice(2));
  if (args.command === "help") {
    io.stdout.write(`${helpText(args.topic)}\n`);
    return 0;
  }
  if (args.command === "version") {
    io.stdout.write(`${ownVersion()}\n`);
    return 0;
  }
  // --dotenv: every output also goes to FILE (core setOutput reads the variable).
  if ("dotenv" in args && args.dotenv) io.env = { ...io.env, [DOTENV_OUTPUT]: path.resolve(args.dotenv) };
  try {
    return await run(args, io);
  } catch (error) {
    // --json: stdout carries the error as JSON too (the human-readable error still goes to stderr).
    if (args.json) io.stdout.write(errorJson(error));
    throw error;
  }
}, "polyglot-publish");

function ownVersion(): string {
  const manifest = new URL("../package.json", import.meta.url);
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

function run(args: Exclude<CliArgs, { command: "help" | "version" }>, io: Io): Promise<number> {
  if (args.command === "doctor") return doctorCommand(args, io);
  if (args.command === "pypi-check") return pypiCheckCommand(args, io);
  if (args.command === "pypi-upload") return pypiUploadCommand(args, io);
  return publishCommand(args, io);
}
