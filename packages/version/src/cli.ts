import { runCli } from "@polyglot-changesets/core";
import { main } from "./main.js";

await runCli(() => main(process.argv.slice(2)), "polyglot-version");
