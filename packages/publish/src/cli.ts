import { runCli } from "@polyglot-changesets/core";
import { helpText, parseCliArgs } from "./args.js";
import { doctorCommand, publishCommand } from "./publish.js";
import { pypiCheckCommand } from "./pypi-check.js";

await runCli(async (streams) => {
  const io = { ...streams, env: process.env };
  const args = parseCliArgs(process.argv.slice(2));
  if (args.command === "help") {
    io.stdout.write(`${helpText(args.topic)}\n`);
    return 0;
  }
  if (args.command === "doctor") return doctorCommand(args, io);
  if (args.command === "pypi-check") return pypiCheckCommand(args, io);
  return publishCommand(args, io);
}, "polyglot-publish");
