// version benchmark: `polyglot-version` vs bare `changeset version` on the same generated repo, and the
// `--sync-only` step on N targets.
import {
  closeSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syncRepo, versionRepo } from "./generate.mjs";
import {
  benchEnv,
  CLI,
  copyRepo,
  createRepo,
  fmt,
  fmtRss,
  importBuilt,
  median,
  pad,
  ratio,
  removeDir,
  timed,
} from "./lib.mjs";

export const FULL = { npm: 200, python: 100, targets: 1000, reps: 5 };
/** The scale rows (issue 15): 10x the packages of the version row, 3x the targets of the sync row. */
// One version run per tool at 3,000 packages: Changesets' `git log --follow` per changeset makes a run take
// 40-100 s on the 2-core machine of docs/benchmarks.md.
export const SCALE = { npm: 2000, python: 1000, changesets: 300, targets: 3000, reps: 1, syncReps: 3 };

async function runCli(which, repo, args) {
  const [cmd, base] = CLI[which]();
  const result = await timed(cmd, [...base, ...args], { cwd: repo, env: benchEnv() });
  if (result.code !== 0) {
    throw new Error(
      `${which} ${args.join(" ")} exited ${result.code} in ${repo}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** Times `changeset version` and `polyglot-version` on fresh copies of one generated repo, alternating. */
export async function benchVersion({ npm, python, changesets, reps, keep = false, say = console.log }) {
  const { files } = versionRepo({ npm, python, changesets });
  // The changesets in a commit of their own, as PRs add them: Changesets asks git for the commit that added each
  // (`git log --follow` per changeset), which in one commit with every package file costs a full-tree diff each.
  const isChangeset = (file) => /^\.changeset\/bench-\d+\.md$/.test(file);
  const template = await createRepo(
    Object.fromEntries(Object.entries(files).filter(([file]) => !isChangeset(file))),
    {
      prefix: "pc-bench-version-",
      later: Object.fromEntries(Object.entries(files).filter(([file]) => isChangeset(file))),
    },
  );
  const bare = [];
  const poly = [];
  const plan = [];
  const rss = { bare: [], poly: [] };
  const last = {};
  try {
    for (let r = 0; r < reps; r++) {
      const order = r % 2 ? ["poly", "bare"] : ["bare", "poly"];
      for (const which of order) {
        const repo = await copyRepo(template);
        const result =
          which === "bare"
            ? await runCli("changeset", repo, ["version"])
            : await runCli("polyglotVersion", repo, []);
        (which === "bare" ? bare : poly).push(result.ms);
        rss[which].push(result.rssKb);
        if (last[which]) await removeDir(last[which]);
        last[which] = repo;
      }
      // Where polyglot-version's extra time goes: its plan alone (--dry-run writes nothing, so the template will do).
      plan.push((await runCli("polyglotVersion", template, ["--dry-run"])).ms);
    }
    const b = median(bare);
    const p = median(poly);
    const peak = (list) => (list.some((kb) => kb === undefined) ? undefined : Math.max(...list));
    say(
      `version: ${npm} npm packages + ${python} Python bridges, ${changesets ?? "1 per 5 packages:"} changesets, ${reps} runs each (median; peak RSS)`,
    );
    say(`  changeset version        ${fmt(b)}   ${fmtRss(peak(rss.bare))}   [${bare.map(fmt).join(", ")}]`);
    say(`  polyglot-version         ${fmt(p)}   ${fmtRss(peak(rss.poly))}   [${poly.map(fmt).join(", ")}]`);
    say(
      `  of which the plan alone  ${fmt(median(plan))}   (polyglot-version --dry-run, a process of its own)`,
    );
    return {
      bareMs: b,
      polyMs: p,
      bareRssKb: peak(rss.bare),
      polyRssKb: peak(rss.poly),
      planMs: median(plan),
      bare,
      poly,
      plan,
      ratio: ratio(p, b),
      repos: last,
      template,
    };
  } finally {
    if (!keep) {
      await removeDir(template);
      for (const dir of Object.values(last)) await removeDir(dir);
    }
  }
}

/** Times `polyglot-version --sync-only` on `targets` targets (as a process, and in-process when `main` is exported). */
export async function benchSync({ targets, reps, keep = false, say = console.log }) {
  const { files } = syncRepo({ targets });
  const template = await createRepo(files, { prefix: "pc-bench-sync-" });
  const proc = [];
  const procRss = [];
  const inproc = [];
  let lastRepo;
  const mod = await importBuilt("version");
  const main = typeof mod?.main === "function" ? mod.main : undefined;
  try {
    for (let r = 0; r < reps; r++) {
      const repo = await copyRepo(template);
      const result = await runCli("polyglotVersion", repo, ["--sync-only"]);
      proc.push(result.ms);
      procRss.push(result.rssKb);
      if (lastRepo) await removeDir(lastRepo);
      lastRepo = repo;
      if (main) {
        const repo2 = await copyRepo(template);
        const sink = { write: () => true };
        const start = performance.now();
        const code = await main(["--sync-only"], { cwd: repo2, stdout: sink, stderr: sink, env: benchEnv() });
        inproc.push(performance.now() - start);
        if (code && code !== 0) throw new Error(`in-process polyglot-version --sync-only returned ${code}`);
        await removeDir(repo2);
      }
    }
    say(`sync: polyglot-version --sync-only on ${targets} targets, ${reps} runs (median)`);
    const peakRss = procRss.some((kb) => kb === undefined) ? undefined : Math.max(...procRss);
    say(
      `  process (incl. Node start-up)  ${fmt(median(proc))}   ${fmtRss(peakRss)}   [${proc.map(fmt).join(", ")}]`,
    );
    if (inproc.length)
      say(`  in-process main()              ${fmt(median(inproc))}   [${inproc.map(fmt).join(", ")}]`);
    return {
      procMs: median(proc),
      procRssKb: peakRss,
      proc,
      inproc,
      inprocMs: inproc.length ? median(inproc) : undefined,
      repo: lastRepo,
      template,
    };
  } finally {
    if (!keep) {
      await removeDir(template);
      if (lastRepo) await removeDir(lastRepo);
    }
  }
}

/**
 * The crash-safe write strategies of the sync on `files` small files (what packages/core/src/plan/apply.ts
 * chose from): in place (not crash-safe), one fsync'd journal + in place (the choice: a kill is rolled back by
 * the next run), and a temp file + rename per file (mode copied). Median of `reps` runs each, alternating.
 */
export async function benchWriteStrategies({ files = 2000, reps = 3, say = console.log } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "pc-bench-writes-"));
  const text = `[project]\nname = "x"\nversion = "1.0.0"\n${"# padding\n".repeat(40)}`;
  const paths = Array.from({ length: files }, (_, i) => join(dir, `f-${pad(i)}.toml`));
  const inPlace = (body) => {
    for (const file of paths) writeFileSync(file, body);
  };
  const strategies = {
    "in place": (body) => inPlace(body),
    "journal + in place": (body) => {
      const journal = join(dir, "journal.json");
      const fd = openSync(journal, "w");
      writeSync(fd, JSON.stringify(paths.map((file) => ({ file, before: text, after: body }))));
      fsyncSync(fd);
      closeSync(fd);
      inPlace(body);
      rmSync(journal);
    },
    "temp + rename": (body) => {
      for (const file of paths) {
        const temp = `${file}.tmp`;
        writeFileSync(temp, body, { mode: statSync(file).mode });
        renameSync(temp, file);
      }
    },
  };
  const times = Object.fromEntries(Object.keys(strategies).map((name) => [name, []]));
  try {
    inPlace(text);
    for (let r = 0; r < reps; r++) {
      for (const [name, write] of Object.entries(strategies)) {
        const start = performance.now();
        write(`${text}# run ${r}\n`);
        times[name].push(performance.now() - start);
      }
    }
  } finally {
    await removeDir(dir);
  }
  say(`writes: ${files} files, ${reps} runs (median)`);
  for (const [name, list] of Object.entries(times)) say(`  ${name.padEnd(22)} ${fmt(median(list))}`);
  return Object.fromEntries(Object.entries(times).map(([name, list]) => [name, median(list)]));
}

/** Checks a repo after `polyglot-version`: every bridge's pyproject version equals its package.json version. */
export async function checkVersionRepo(repo, python) {
  const problems = [];
  for (let j = 0; j < python; j++) {
    const dir = join(repo, `python/py-${pad(j)}`);
    const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
    const toml = await readFile(join(dir, "pyproject.toml"), "utf8");
    const m = /^version = "([^"]+)"/m.exec(toml);
    if (m?.[1] !== pkg.version) problems.push(`${dir}: pyproject ${m?.[1]} != package.json ${pkg.version}`);
  }
  return problems;
}

/** How time and peak RSS grow from `small` to `large` (sizes in files): linear or better is a ratio <= 1. */
export function growth(label, small, large, say = console.log) {
  const size = large.files / small.files;
  const time = large.ms / small.ms;
  const rss = large.rssKb && small.rssKb ? large.rssKb / small.rssKb : undefined;
  say(
    `  growth ${label}: ${size.toFixed(1)}x the files -> ${time.toFixed(2)}x the time${rss ? `, ${rss.toFixed(2)}x the peak RSS` : ""} (${time / size <= 1 ? "no faster than linear" : "FASTER than linear"})`,
  );
  return { size, time, rss, linear: time / size <= 1 };
}

export async function main({ full = false, scale = full, say = console.log } = {}) {
  const size = full ? FULL : { npm: 20, python: 10, targets: 100, reps: 2 };
  const sync = await benchSync({ targets: size.targets, reps: size.reps, say });
  const syncRatio = ratio(sync.procMs, 500);
  say(
    `  goal: sync under 0.5 s for 1,000 targets as a process (Node start-up included): ${syncRatio < 1 ? "met" : "NOT met"}${full ? "" : " (small size)"}`,
  );
  await benchWriteStrategies({ files: full ? 2000 : 200, reps: size.reps, say });
  const v = await benchVersion({ npm: size.npm, python: size.python, reps: size.reps, say });
  say(`  goal: at most 1.05x bare changeset version: ${v.ratio <= 1.05 ? "met" : "NOT met"}`);
  const result = { sync, version: v, syncRatio, versionRatio: v.ratio };
  if (scale) {
    const big = full ? SCALE : { npm: 60, python: 30, changesets: 18, targets: 300, reps: 1 };
    const largeSync = await benchSync({ targets: big.targets, reps: big.syncReps ?? big.reps, say });
    const largeVersion = await benchVersion({ ...big, say });
    say(
      `  goal: at most 1.05x bare changeset version at ${big.npm + big.python} packages: ${largeVersion.ratio <= 1.05 ? "met" : "NOT met"}`,
    );
    const files = (npm, python) => npm * 2 + python * 3;
    const growthRows = {
      syncProcess: growth(
        `sync (${size.targets} -> ${big.targets} targets, process)`,
        { files: size.targets, ms: sync.procMs, rssKb: sync.procRssKb },
        { files: big.targets, ms: largeSync.procMs, rssKb: largeSync.procRssKb },
        say,
      ),
      versionPoly: growth(
        `polyglot-version (${size.npm + size.python} -> ${big.npm + big.python} packages)`,
        { files: files(size.npm, size.python), ms: v.polyMs, rssKb: v.polyRssKb },
        { files: files(big.npm, big.python), ms: largeVersion.polyMs, rssKb: largeVersion.polyRssKb },
        say,
      ),
      // Changesets' own `git log --follow` per changeset costs (changesets x tree size): both whole runs grow
      // faster than linear; polyglot-version's own work (its plan, a process of its own) is shown apart.
      versionPlan: growth(
        `polyglot-version's own part, the plan alone (${size.npm + size.python} -> ${big.npm + big.python} packages)`,
        { files: files(size.npm, size.python), ms: v.planMs },
        { files: files(big.npm, big.python), ms: largeVersion.planMs },
        say,
      ),
      versionBare: growth(
        `changeset version (${size.npm + size.python} -> ${big.npm + big.python} packages)`,
        { files: files(size.npm, size.python), ms: v.bareMs, rssKb: v.bareRssKb },
        { files: files(big.npm, big.python), ms: largeVersion.bareMs, rssKb: largeVersion.bareRssKb },
        say,
      ),
    };
    Object.assign(result, {
      largeSync,
      largeVersion,
      growth: growthRows,
      versionRatioLarge: largeVersion.ratio,
    });
  }
  say(`version ratio: ${v.ratio}`);
  return result;
}
