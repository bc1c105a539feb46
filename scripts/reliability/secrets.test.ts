// Secrets: with canary values in NPM_TOKEN, NODE_AUTH_TOKEN, .npmrc, ACTIONS_ID_TOKEN_REQUEST_TOKEN and
// GITHUB_TOKEN (and the tokens minted during the run), no canary appears in stdout, stderr, GITHUB_OUTPUT, the
// step summary or --json, on success and on failure. (Every run of faults/concurrent/dry-run checks this too.)
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { runPublish, runVersion } from "./helpers.js";
import {
  actionsEnv,
  bumpAll,
  createReleaseRepo,
  prepublish,
  type ReleaseRepo,
  type Servers,
  useServers,
} from "./publish-fixture.js";
import { CANARY, canaryEnv, expectNoSecrets, secretsOf } from "./secrets.js";

let servers: Servers;
const dirs = useServers((started) => {
  servers = started;
});

/** A repo whose .npmrc token is itself a canary (the ci user's real token: success needs it to work). */
async function tokenRepo(): Promise<ReleaseRepo> {
  const repo = await createReleaseRepo(servers, { npmrcToken: servers.token });
  dirs.push(repo.dir);
  return repo;
}

/** A repo at 1.1.0 whose 1.0.0 is on the registry, so OIDC can publish it. */
async function oidcRepo(): Promise<ReleaseRepo> {
  const repo = await createReleaseRepo(servers);
  dirs.push(repo.dir);
  await prepublish(servers, repo);
  await bumpAll(repo, "1.1.0");
  return repo;
}

async function check(
  repo: ReleaseRepo,
  args: string[],
  env: NodeJS.ProcessEnv,
  expectCode: number | number[],
) {
  const result = await runPublish(repo.dir, args, env);
  const shown = `exit ${result.code}\n--- stderr\n${result.stderr}\n--- stdout\n${result.stdout}`;
  expect([expectCode].flat(), shown).toContain(result.code);
  await expectNoSecrets(secretsOf(servers, env), result, repo, env);
  return result;
}

describe("success paths", () => {
  test("token publish with --json", async () => {
    const repo = await tokenRepo();
    const env = actionsEnv(servers, repo, { extra: canaryEnv() });
    const result = await check(repo, ["--oidc", "off", "--no-provenance", "--json"], env, 0);
    const json = JSON.parse(result.stdout);
    expect(json.published).toBe(true);
  });

  test("OIDC publish (tokens in env and .npmrc kept out), then the PyPI dispatch with GITHUB_TOKEN", async () => {
    const repo = await oidcRepo();
    // A long-lived token in the project .npmrc as setup-node writes it, and canaries in the env.
    await writeFile(
      join(repo.dir, ".npmrc"),
      `registry=${servers.registry.url}\n${servers.registry.url.replace(/^https?:/, "")}:_authToken=\${NODE_AUTH_TOKEN}\n`,
    );
    const env = actionsEnv(servers, repo, { oidc: true, extra: canaryEnv() });
    await check(
      repo,
      [
        "--oidc",
        "require",
        "--no-provenance",
        "--json",
        "--pypi-trigger",
        "dispatch",
        "--pypi-workflow",
        "publish-pypi.yml",
      ],
      env,
      0,
    );
    expect(servers.github.dispatches.length).toBeGreaterThan(0);
  });

  test("doctor reports on every credential without printing one", async () => {
    const repo = await tokenRepo();
    const env = actionsEnv(servers, repo, { oidc: true, extra: canaryEnv() });
    // Exit 2: the packages are not on the registry yet, which OIDC cannot publish (an error finding).
    const result = await check(repo, ["doctor"], env, [0, 1, 2]);
    expect(`${result.stdout}${result.stderr}`).toMatch(/NPM_TOKEN|NODE_AUTH_TOKEN|\.npmrc|token/i);
  });

  test("polyglot-version --json and --dry-run with canaries in the env", async () => {
    const repo = await tokenRepo();
    const env = actionsEnv(servers, repo, { extra: canaryEnv() });
    for (const args of [["--check"], ["--check", "--json"], ["--sync-only", "--dry-run"]]) {
      const result = await runVersion(repo.dir, args, env);
      expect([0, 1]).toContain(result.code);
      await expectNoSecrets(secretsOf(servers, env), result, repo, env);
    }
  });
});

describe("failure paths", () => {
  test("--oidc require without an ID token", async () => {
    const repo = await tokenRepo();
    const env = actionsEnv(servers, repo, { extra: canaryEnv() });
    const result = await check(repo, ["--oidc", "require", "--no-provenance"], env, [1, 2]);
    expect(`${result.stderr}\n${result.stdout}`).toMatch(/id-token|ID token|OIDC/i);
  });

  test("a wrong token in .npmrc (the registry refuses the publish)", async () => {
    const repo = await createReleaseRepo(servers, { npmrcToken: CANARY.NPM_TOKEN });
    dirs.push(repo.dir);
    const env = actionsEnv(servers, repo, { extra: canaryEnv() });
    await check(repo, ["--oidc", "off", "--no-provenance", "--json"], env, 1);
  });

  test("OIDC publish of a package that does not exist yet (trusted publishing cannot create it)", async () => {
    const repo = await tokenRepo();
    const env = actionsEnv(servers, repo, { oidc: true, extra: canaryEnv() });
    await check(repo, ["--oidc", "require", "--no-provenance", "--json"], env, [1, 2]);
  });

  test("the PyPI dispatch is refused (GITHUB_TOKEN not printed in the error)", async () => {
    const repo = await tokenRepo();
    servers.github.faults.add({ path: "/repos/", status: 401, times: 1000 });
    try {
      const env = actionsEnv(servers, repo, { extra: canaryEnv() });
      await check(
        repo,
        [
          "--oidc",
          "off",
          "--no-provenance",
          "--pypi-trigger",
          "dispatch",
          "--pypi-workflow",
          "publish-pypi.yml",
        ],
        env,
        1,
      );
    } finally {
      servers.github.faults.clear();
    }
  });

  test("bad configuration (exit 2) with every credential present", async () => {
    const repo = await tokenRepo();
    await writeFile(join(repo.dir, ".changeset/polyglot.json"), `{ "pypi": { "index": 42 } }\n`);
    const env = actionsEnv(servers, repo, { oidc: true, extra: canaryEnv() });
    await check(repo, ["--json"], env, 2);
  });
});
