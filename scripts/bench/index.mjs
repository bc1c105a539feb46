#!/usr/bin/env node
// `pnpm bench`: the benchmarks against bare Changesets. Each prints its details, then `<name> ratio: <number>`
// as its last line (lower is better).
//   node scripts/bench/index.mjs [version] [publish] [changelog] [--small] [--json FILE]
// --small runs tiny sizes (seconds, for development); the default is the full sizes of docs/benchmarks.md.
import { writeFile } from "node:fs/promises";
import { arch, cpus, loadavg, totalmem } from "node:os";

const args = process.argv.slice(2);
const small = args.includes("--small");
const jsonIndex = args.indexOf("--json");
const jsonFile = jsonIndex >= 0 ? args[jsonIndex + 1] : undefined;
const known = ["version", "publish", "changelog"];
const picked = args.filter((a) => known.includes(a));
const which = picked.length ? picked : known;

console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? "?"} (${arch()}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
const results = {};
let failed = false;
for (const name of which) {
  console.log("");
  try {
    const mod = await import(`./${name}.mjs`);
    results[name] = await mod.main({ full: !small });
  } catch (error) {
    failed = true;
    console.error(`${name} benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
if (jsonFile)
  await writeFile(jsonFile, `${JSON.stringify(results, (_k, v) => (v instanceof Set ? [...v] : v), 2)}\n`);
process.exit(failed ? 1 : 0);
