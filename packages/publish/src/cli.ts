import { readFileSync } from "node:fs";
import { runCli } from "@polyglot-changesets/core";
import { type CliArgs, helpText, parseCliArgs } from "./args.js";
import { doctorCommand, type Io, publishCommand } from "./publish.js";
import { pypiCheckCommand } from "./pypi-check.js";
import { errorJson } from "./report.js";
import { rollbackCommand } from "./rollback/command.js";

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
  if (args.command === "rollback") return rollbackCommand(args, io);
  return publishCommand(args, io);
}
