// publish benchmark: `polyglot-publish` vs bare `changeset publish`, token auth, the same testkit Verdaccio.
// Per run and per tool, a fresh repo of `count` packages under its own scope goes through three scenarios:
// all new (first publish of every package), nothing to publish (the same again), 3 changed (3 patch bumps).
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publishRepo } from "./generate.mjs";
import {
  benchEnv,
  CLI,
  createRepo,
  fmt,
  fmtRss,
  git,
  importBuilt,
  median,
  pad,
  ROOT,
  ratio,
  removeDir,
  timed,
} from "./lib.mjs";

export const FULL = { count: 30, changed: 3, reps: 3 };
/** The scale row (issue 15): 200 packages, one pass per tool. */
export const SCALE = { count: 200, changed: 3, reps: 1 };

export const TOOLS = {
  bare: { label: "changeset publish", cli: "changeset", args: ["publish"] },
  poly: {
    label: "polyglot-publish",
    cli: "polyglotPublish",
    // The same token auth as the baseline: no OIDC, and no provenance (Sigstore is unreachable offline).
    args: ["--oidc", "off", "--no-provenance"],
  },
  // The same with the reproducibility check (each npm package packed twice and compared): its cost decides
  // its default (issue 13: on by default only if it costs at most 20% of the publish).
  polyRepro: {
    label: "polyglot-publish --reproducible",
    cli: "polyglotPublish",
    args: ["--oidc", "off", "--no-provenance", "--reproducible"],
  },
  polyOidc: {
    label: "polyglot-publish (OIDC)",
    cli: "polyglotPublish",
    args: ["--oidc", "require", "--no-provenance"],
  },
};

const OIDC_REPOSITORY = "bench-owner/bench-repo";
const OIDC_WORKFLOW = "release.yml";

/** The testkit Verdaccio, a user token, and (for the OIDC row) the ID-token endpoint the registry trusts. */
export async function startBenchRegistry() {
  let testkit = await importBuilt("testkit");
  if (testkit && !testkit.startRegistry)
    testkit = {
      ...testkit,
      ...(await import(join(ROOT, "packages/testkit/dist/registry.js")).catch(() => ({}))),
    };
  if (!testkit?.startRegistry)
    throw new Error("packages/testkit is not built or has no startRegistry: run `pnpm build`");
  const idToken = testkit.startIdTokenServer ? await testkit.startIdTokenServer() : undefined;
  const registry = await testkit.startRegistry(
    idToken
      ? {
          oidc: { issuer: idToken.issuer, jwks: idToken.jwks },
          trustedPublishers: [{ package: "**", repository: OIDC_REPOSITORY, workflow: OIDC_WORKFLOW }],
        }
      : {},
  );
  const token = await registry.createUser(`bench${Date.now().toString(36)}`);
  const close = registry.close.bind(registry);
  registry.close = async () => {
    await close();
    await idToken?.close();
  };
  return { registry, token, idToken };
}

/**
 * polyglot-publish through OIDC (as in GitHub Actions with `id-token: write`), 3 of 30 changed: the 30 packages
 * go out first with the token (trusted publishing cannot create a package), then 3 bumped ones through OIDC.
 */
export async function publishOidcChanged({ registry, token, idToken, count, changed, scope }) {
  const files = publishRepo({ count, scope, registry: registry.url, token });
  const repo = await createRepo(files, { prefix: "pc-bench-publish-oidc-" });
  try {
    const all = await publishOnce("bare", repo);
    if (all.code !== 0) throw new Error(`set-up publish failed\n${all.stdout}\n${all.stderr}`);
    const bumped = await bumpSome(repo, count, changed);
    const env = idToken.githubEnv({ repository: OIDC_REPOSITORY, workflowFile: OIDC_WORKFLOW });
    const some = await publishOnce("polyOidc", repo, env);
    expectTags(`${changed} changed (OIDC)`, "polyOidc", some, bumped);
    return some.ms;
  } finally {
    await removeDir(repo);
  }
}

/** The versions of `name` on the registry (empty when it does not exist). */
export async function registryVersions(url, name) {
  const res = await fetch(new URL(name.replace("/", "%2f"), url), {
    headers: { accept: "application/json" },
  });
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`GET ${name}: ${res.status}`);
  const doc = await res.json();
  return Object.keys(doc.versions ?? {});
}

/** Publishes with one tool; returns time, exit code and the CHANGESETS_OUTPUT lines. */
export async function publishOnce(tool, repo, extraEnv = {}) {
  const [cmd, base] = CLI[TOOLS[tool].cli]();
  // Outside the repo, as changesets/action keeps it: a file in the working tree fails the clean-tree gate.
  const output = join(
    await mkdtemp(join(tmpdir(), "pc-bench-output-")),
    `changesets-output-${Date.now()}-${Math.random().toString(36).slice(2)}.ndjson`,
  );
  const result = await timed(cmd, [...base, ...TOOLS[tool].args], {
    cwd: repo,
    env: benchEnv({ CHANGESETS_OUTPUT: output, ...extraEnv }),
    cpu: true,
  });
  let tags = [];
  try {
    tags = (await readFile(output, "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === "git-tag")
      .map((e) => e.tag);
  } catch {}
  return { ...result, tags };
}

/** Patch-bumps `changed` packages spread over the repo (as a Version Packages PR would), and commits. */
export async function bumpSome(repo, count, changed) {
  const step = Math.max(1, Math.floor(count / changed));
  const bumped = [];
  for (let k = 0; k < changed; k++) {
    const file = join(repo, `packages/pkg-${pad(k * step, 2)}/package.json`);
    const pkg = JSON.parse(await readFile(file, "utf8"));
    pkg.version = "1.0.1";
    await writeFile(file, `${JSON.stringify(pkg, null, 2)}\n`);
    bumped.push(`${pkg.name}@1.0.1`);
  }
  await git(repo, "commit", "-qam", "Version Packages", "--no-verify");
  return bumped;
}

function expectTags(scenario, tool, result, expected) {
  const got = [...result.tags].sort();
  const want = [...expected].sort();
  if (result.code !== 0 || JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(
      `${TOOLS[tool].label} (${scenario}) exit ${result.code}, published ${got.length} (${got.slice(0, 5).join(", ")}), ` +
        `expected ${want.length}\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`,
    );
  }
}

/** One pass of the three scenarios for one tool on its own scope. */
export async function publishScenarios({ tool, registry, token, count, changed, scope, keep = false }) {
  const files = publishRepo({ count, scope, registry: registry.url, token });
  const repo = await createRepo(files, { prefix: `pc-bench-publish-${tool}-` });
  const names = Array.from({ length: count }, (_, i) => `@${scope}/pkg-${pad(i, 2)}`);
  try {
    const all = await publishOnce(tool, repo);
    expectTags(
      "all new",
      tool,
      all,
      names.map((n) => `${n}@1.0.0`),
    );
    const nothing = await publishOnce(tool, repo);
    expectTags("nothing to publish", tool, nothing, []);
    const bumped = await bumpSome(repo, count, changed);
    const some = await publishOnce(tool, repo);
    expectTags(`${changed} changed`, tool, some, bumped);
    return {
      all: all.ms,
      nothing: nothing.ms,
      some: some.ms,
      rssKb: Math.max(all.rssKb ?? 0, nothing.rssKb ?? 0, some.rssKb ?? 0) || undefined,
      cpu: { all: all.cpuMs, nothing: nothing.cpuMs, some: some.cpuMs },
      repo,
      names,
    };
  } finally {
    if (!keep) await removeDir(repo);
  }
}

/** Both tools through the three scenarios, `reps` times, alternating which goes first. */
async function runScenarios({ registry, token, count, changed, reps, tools = ["bare", "poly"] }) {
  const times = Object.fromEntries(
    tools.map((tool) => [tool, { all: [], nothing: [], some: [], rss: [], cpu: { all: [], some: [] } }]),
  );
  for (let r = 0; r < reps; r++) {
    const order = r % 2 ? [...tools].reverse() : tools;
    for (const tool of order) {
      const scope = `b${count}r${r}${tool}${Date.now().toString(36)}`;
      const t = await publishScenarios({ tool, registry, token, count, changed, scope });
      for (const k of ["all", "nothing", "some"]) times[tool][k].push(t[k]);
      times[tool].rss.push(t.rssKb);
      if (t.cpu.some !== undefined) for (const k of ["all", "some"]) times[tool].cpu[k].push(t.cpu[k]);
    }
  }
  return times;
}

function printScenarios(times, { count, changed, reps }, say) {
  const m = (tool, k) => median(times[tool][k]);
  const rss = (tool) => (times[tool].rss.includes(undefined) ? undefined : Math.max(...times[tool].rss));
  const row = (label, k) =>
    `  ${label.padEnd(22)} ${fmt(m("bare", k)).padStart(9)} ${fmt(m("poly", k)).padStart(9)}   ${ratio(m("poly", k), m("bare", k))}x`;
  say(`publish: ${count} packages, token auth, testkit Verdaccio, ${reps} run(s) (median)`);
  say(`  ${"scenario".padEnd(22)} ${"bare".padStart(9)} ${"polyglot".padStart(9)}   ratio`);
  say(row("nothing to publish", "nothing"));
  say(row(`${changed} of ${count} changed`, "some"));
  say(row(`all ${count} new`, "all"));
  say(`  peak RSS of a run      ${fmtRss(rss("bare")).padStart(9)} ${fmtRss(rss("poly")).padStart(9)}`);
  return {
    someRatio: ratio(m("poly", "some"), m("bare", "some")),
    allRatio: ratio(m("poly", "all"), m("bare", "all")),
    nothingMs: m("poly", "nothing"),
  };
}

export async function main({ full = false, scale = full, say = console.log } = {}) {
  const size = full ? FULL : { count: 6, changed: 2, reps: 1 };
  const largeSize = full ? SCALE : { count: 12, changed: 2, reps: 1 };
  const { registry, token, idToken } = await startBenchRegistry();
  const oidc = [];
  let times;
  let large;
  try {
    times = await runScenarios({ registry, token, ...size, tools: ["bare", "poly", "polyRepro"] });
    if (idToken) {
      const scope = `boidc${Date.now().toString(36)}`;
      oidc.push(await publishOidcChanged({ registry, token, idToken, ...size, scope }));
    }
    if (scale) large = await runScenarios({ registry, token, ...largeSize });
  } finally {
    await registry.close();
  }
  const m = (tool, k) => median(times[tool][k]);
  const small = printScenarios(times, size, say);
  if (oidc.length) {
    const o = median(oidc);
    say(
      `  ${`${size.changed} of ${size.count}, OIDC`.padEnd(22)} ${"".padStart(9)} ${fmt(o).padStart(9)}   ${ratio(o, median(times.bare.some))}x (polyglot-publish --oidc require vs token baseline)`,
    );
  }
  // The reproducibility check's share of the publish (issue 13: on by default only if it costs at most 20%).
  // Measured in CPU time of the process tree when GNU time is there (the wall clock of a shared runner is noise),
  // else in wall time.
  const cost = (tool, k) => (times[tool].cpu[k].length > 0 ? median(times[tool].cpu[k]) : m(tool, k));
  const unit = times.poly.cpu.some.length > 0 ? "CPU" : "wall";
  // What the check adds, as a share of the publish without it.
  const reproShare = (k) => (cost("polyRepro", k) - cost("poly", k)) / cost("poly", k);
  for (const [label, k] of [
    [`${size.changed} of ${size.count} changed`, "some"],
    [`all ${size.count} new`, "all"],
  ]) {
    say(
      `  --reproducible, ${label.padEnd(18)} ${fmt(cost("poly", k)).padStart(9)} -> ${fmt(cost("polyRepro", k)).padStart(9)} ${unit}   +${(reproShare(k) * 100).toFixed(0)}% of the publish`,
    );
  }
  const goals = [
    ["nothing to publish under 1 s", small.nothingMs < 1000],
    [`${size.changed} of ${size.count} at most 0.25x bare`, small.someRatio <= 0.25],
    [`all ${size.count} new at most 0.8x bare`, small.allRatio <= 0.8],
    [`reproducible check at most 20% of the publish (${size.changed} changed)`, reproShare("some") <= 0.2],
  ];
  for (const [goal, met] of goals) say(`  goal: ${goal}: ${met ? "met" : "NOT met"}`);
  let largeRatios;
  if (large) {
    largeRatios = printScenarios(large, largeSize, say);
    for (const tool of ["bare", "poly"]) {
      const timeFactor = median(large[tool].all) / median(times[tool].all);
      const sizeFactor = largeSize.count / size.count;
      say(
        `  growth ${tool === "bare" ? "changeset publish" : "polyglot-publish"} (all new, ${size.count} -> ${largeSize.count}): ${sizeFactor.toFixed(1)}x the packages -> ${timeFactor.toFixed(2)}x the time (${timeFactor <= sizeFactor ? "no faster than linear" : "FASTER than linear"})`,
      );
    }
  }
  say(`publish ratio: ${small.someRatio}`);
  return {
    times,
    large,
    oidc,
    ratio: small.someRatio,
    firstRatio: small.allRatio,
    largeRatios,
    reproducibleShare: { unit, some: reproShare("some"), all: reproShare("all") },
  };
}
