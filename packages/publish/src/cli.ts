import { runCli } from "@polyglot-changesets/core";
import { main } from "./main.js";

await runCli((streams) => main(process.argv.slice(2), streams, process.env), "polyglot-publish");
