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
  importBuilt,
  median,
  pad,
  ratio,
  removeDir,
  timed,
} from "./lib.mjs";

export const FULL = { npm: 200, python: 100, targets: 1000, reps: 5 };

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
export async function benchVersion({ npm, python, reps, keep = false, say = console.log }) {
  const { files } = versionRepo({ npm, python });
  const template = await createRepo(files, { prefix: "pc-bench-version-" });
  const bare = [];
  const poly = [];
  const plan = [];
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
        if (last[which]) await removeDir(last[which]);
        last[which] = repo;
      }
      // Where polyglot-version's extra time goes: its plan alone (--dry-run writes nothing, so the template will do).
      plan.push((await runCli("polyglotVersion", template, ["--dry-run"])).ms);
    }
    const b = median(bare);
    const p = median(poly);
    say(`version: ${npm} npm packages + ${python} Python bridges, ${reps} runs each (median)`);
    say(`  changeset version        ${fmt(b)}   [${bare.map(fmt).join(", ")}]`);
    say(`  polyglot-version         ${fmt(p)}   [${poly.map(fmt).join(", ")}]`);
    say(
      `  of which the plan alone  ${fmt(median(plan))}   (polyglot-version --dry-run, a process of its own)`,
    );
    return {
      bareMs: b,
      polyMs: p,
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
  const inproc = [];
  let lastRepo;
  const mod = await importBuilt("version");
  const main = typeof mod?.main === "function" ? mod.main : undefined;
  try {
    for (let r = 0; r < reps; r++) {
      const repo = await copyRepo(template);
      const result = await runCli("polyglotVersion", repo, ["--sync-only"]);
      proc.push(result.ms);
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
    say(`  process (incl. Node start-up)  ${fmt(median(proc))}   [${proc.map(fmt).join(", ")}]`);
    if (inproc.length)
      say(`  in-process main()              ${fmt(median(inproc))}   [${inproc.map(fmt).join(", ")}]`);
    return {
      procMs: median(proc),
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

export async function main({ full = false, say = console.log } = {}) {
  const size = full ? FULL : { npm: 20, python: 10, targets: 100, reps: 2 };
  const sync = await benchSync({ targets: size.targets, reps: size.reps, say });
  const goalSync = (sync.inprocMs ?? sync.procMs) < 500;
  say(
    `  goal: sync step under 0.5 s for 1,000 targets: ${goalSync ? "met" : "NOT met"}${full ? "" : " (small size)"}`,
  );
  await benchWriteStrategies({ files: full ? 2000 : 200, reps: size.reps, say });
  const v = await benchVersion({ npm: size.npm, python: size.python, reps: size.reps, say });
  say(`  goal: within 10% of bare changeset version: ${v.ratio <= 1.1 ? "met" : "NOT met"}`);
  say(`version ratio: ${v.ratio}`);
  return { sync, version: v };
}
