#!/usr/bin/env node
// `pnpm bench`: the benchmarks against bare Changesets. Each prints its details, then `<name> ratio: <number>`
// as its last line (lower is better).
//   node scripts/bench/index.mjs [version] [publish] [changelog] [--small] [--no-scale] [--json FILE]
// --small runs tiny sizes (seconds, for development); the default is the full sizes of docs/benchmarks.md, with
// the scale rows (3,000 packages for version and sync, 200 for publish) unless --no-scale.
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
    results[name] = await mod.main({ full: !small, scale: !args.includes("--no-scale") });
  } catch (error) {
    failed = true;
    console.error(`${name} benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
if (jsonFile)
  await writeFile(jsonFile, `${JSON.stringify(results, (_k, v) => (v instanceof Set ? [...v] : v), 2)}\n`);
// The goals of issue 15, one line each, last (ratios in this run; lower is better; each goal is a ratio <= 1 of
// the limit except version, publish and changelog, which are polyglot / bare).
const lines = [
  ["version ratio", results.version?.versionRatio, 1.05],
  ["version ratio at 3,000 packages", results.version?.versionRatioLarge, 1.05],
  ["sync ratio", results.version?.syncRatio, 1],
  ["publish ratio", results.publish?.ratio, 0.25],
  ["publish-first ratio", results.publish?.firstRatio, 0.8],
  ["changelog ratio", results.changelog?.ratio, 1],
];
console.log("");
for (const [name, value, goal] of lines) {
  if (value === undefined) continue;
  console.log(`${name}: ${value} (goal <= ${goal}: ${value <= goal ? "met" : "NOT met"})`);
}
process.exit(failed ? 1 : 0);
