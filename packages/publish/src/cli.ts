import { runCli } from "@polyglot-changesets/core";
import { type CliArgs, parseCliArgs, USAGE } from "./args.js";
import { doctorCommand, publishCommand } from "./publish.js";
import { pypiCheckCommand } from "./pypi-check.js";
import { errorJson } from "./report.js";

const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };

await runCli(async () => {
  const args = parseCliArgs(process.argv.slice(2));
  if (args.command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    return await run(args);
  } catch (error) {
    // --json: stdout carries the error as JSON too (the human-readable error still goes to stderr).
    if (args.json) process.stdout.write(errorJson(error));
    throw error;
  }
}, "polyglot-publish");

function run(args: Exclude<CliArgs, { command: "help" }>): Promise<number> {
  if (args.command === "doctor") return doctorCommand(args, io);
  if (args.command === "pypi-check") return pypiCheckCommand(args, io);
  return publishCommand(args, io);
}
