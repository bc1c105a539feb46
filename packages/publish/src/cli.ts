import { runCli } from "@polyglot-changesets/core";
import { parseCliArgs, USAGE } from "./args.js";
import { doctorCommand, publishCommand } from "./publish.js";
import { pypiCheckCommand } from "./pypi-check.js";

const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };

await runCli(async () => {
  const args = parseCliArgs(process.argv.slice(2));
  if (args.command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.command === "doctor") return doctorCommand(args, io);
  if (args.command === "pypi-check") return pypiCheckCommand(args, io);
  return publishCommand(args, io);
}, "polyglot-publish");
