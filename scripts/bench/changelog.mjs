// changelog benchmark: GraphQL requests and time for N changesets against the testkit GitHub API,
// `@polyglot-changesets/changelog` vs `@changesets/changelog-github`.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { changelogChangesets } from "./generate.mjs";
import { benchEnv, fmt, importBuilt, median, modulePath, NODE, prng, ratio, run } from "./lib.mjs";

export const FULL = { count: 500, reps: 5 };
export const REPO = "bench-owner/bench-repo";
const WORKER = fileURLToPath(new URL("./changelog-worker.mjs", import.meta.url));

export const GENERATORS = {
  bare: {
    label: "@changesets/changelog-github",
    module: () => join(modulePath("@changesets/changelog-github"), "dist/index.mjs"),
  },
  poly: {
    label: "@polyglot-changesets/changelog",
    module: () => join(modulePath("@polyglot-changesets/changelog"), "dist/index.js"),
  },
};

/** Starts the testkit GitHub API and seeds it with the commits and PRs of the generated changesets. */
export async function startBenchGithub({ count = FULL.count } = {}) {
  const testkit = await importBuilt("testkit");
  if (!testkit?.startGithubApi)
    throw new Error("packages/testkit is not built or has no startGithubApi: run `pnpm build`");
  const api = await testkit.startGithubApi();
  seedGithub(api, count);
  return api;
}

/** Every changeset's commit belongs to a merged PR by one of 50 users (as in a busy repo). */
export function seedGithub(api, count) {
  const rand = prng(11);
  for (const [i, cs] of changelogChangesets({ count }).entries()) {
    const author = `user${rand.int(50)}`;
    const pr = 1000 + i;
    api.addPullRequest?.({ repo: REPO, number: pr, author, mergeCommitSha: cs.commit });
    api.addCommit?.({ repo: REPO, sha: cs.commit, author, pr });
  }
}

/** The environment of a changesets run in GitHub Actions talking to the stand-in. */
export function githubEnv(api) {
  const base = api.url.replace(/\/$/, "");
  const fromKit = typeof api.env === "function" ? api.env() : {};
  return benchEnv({
    GITHUB_TOKEN: "bench-github-token",
    GITHUB_GRAPHQL_URL: `${base}/graphql`,
    GITHUB_API_URL: base,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_REPOSITORY: REPO,
    ...fromKit,
  });
}

const graphqlRequests = (api) =>
  api.requests.filter((r) => r.method === "POST" && /graphql/.test(r.path)).length;

/** Runs one generator once in a fresh process; returns its time, request count and lines. */
export async function changelogOnce(api, which, count) {
  const before = graphqlRequests(api);
  const start = performance.now();
  const { stdout } = await run(NODE, [WORKER, GENERATORS[which].module(), String(count), REPO], {
    env: githubEnv(api),
  });
  const processMs = performance.now() - start;
  const out = JSON.parse(stdout.trim().split("\n").at(-1));
  return { ms: out.ms, processMs, requests: graphqlRequests(api) - before, lines: out.lines };
}

export async function main({ full = false, say = console.log } = {}) {
  const size = full ? FULL : { count: 60, reps: 2 };
  const api = await startBenchGithub({ count: size.count });
  const res = { bare: [], poly: [] };
  let sameLines = 0;
  let total = 0;
  try {
    for (let r = 0; r < size.reps; r++) {
      const order = r % 2 ? ["poly", "bare"] : ["bare", "poly"];
      const got = {};
      for (const which of order) {
        got[which] = await changelogOnce(api, which, size.count);
        res[which].push(got[which]);
      }
      if (r === 0) {
        total = got.bare.lines.length;
        sameLines = got.bare.lines.filter((line, i) => line === got.poly.lines[i]).length;
      }
    }
  } finally {
    await api.close();
  }
  const t = (which) => median(res[which].map((x) => x.ms));
  const p = (which) => median(res[which].map((x) => x.processMs));
  const q = (which) => Math.max(...res[which].map((x) => x.requests));
  say(`changelog: ${size.count} changesets, testkit GitHub API, ${size.reps} runs each (median)`);
  say(`  ${"generator".padEnd(32)} ${"requests".padStart(8)} ${"time".padStart(9)} ${"process".padStart(9)}`);
  for (const which of ["bare", "poly"]) {
    say(
      `  ${GENERATORS[which].label.padEnd(32)} ${String(q(which)).padStart(8)} ${fmt(t(which)).padStart(9)} ${fmt(p(which)).padStart(9)}`,
    );
  }
  say(`  identical release lines: ${sameLines} of ${total}`);
  const timeRatio = ratio(t("poly"), t("bare"));
  say(
    `  goal: no more requests: ${q("poly") <= q("bare") ? "met" : "NOT met"} (${q("poly")} vs ${q("bare")})`,
  );
  say(`  goal: no slower: ${timeRatio <= 1 ? "met" : "NOT met"} (${timeRatio}x)`);
  say(`changelog ratio: ${timeRatio}`);
  return { res, ratio: timeRatio, requests: { bare: q("bare"), poly: q("poly") } };
}
