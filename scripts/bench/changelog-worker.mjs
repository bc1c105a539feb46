// Child process of the changelog benchmark (a fresh process per run, so no lookup cache survives between runs).
// Usage: node changelog-worker.mjs <module path> <count> <owner/repo>
// Calls the generator as `changeset version` does (apply-release-plan): for every released package, all its
// changesets' getReleaseLine at once, plus getDependencyReleaseLine; every package at once.
// Prints one JSON line: { ms, lines }.
import { changelogChangesets } from "./generate.mjs";

const [modulePath, countArg, repo] = process.argv.slice(2);
const mod = await import(modulePath);
const fns = mod.default?.getReleaseLine ? mod.default : mod;
const options = { repo };
const changesets = changelogChangesets({ count: Number(countArg) });
const byPackage = new Map();
for (const cs of changesets) {
  for (const release of cs.releases) {
    if (!byPackage.has(release.name)) byPackage.set(release.name, []);
    byPackage.get(release.name).push([cs, release.type]);
  }
}
const start = performance.now();
const entries = await Promise.all(
  [...byPackage.entries()].map(async ([name, list]) => {
    const lines = await Promise.all(list.map(([cs, type]) => fns.getReleaseLine(cs, type, options)));
    const dependents = await fns.getDependencyReleaseLine(
      list.slice(0, 2).map(([cs]) => cs),
      [
        {
          name: `${name}-dep`,
          type: "patch",
          oldVersion: "1.0.0",
          newVersion: "1.0.1",
          changesets: [],
          packageJson: {},
          dir: "/",
        },
      ],
      options,
    );
    return [...lines, dependents];
  }),
);
const ms = performance.now() - start;
process.stdout.write(`${JSON.stringify({ ms, lines: entries.flat() })}\n`);
