// Faults during a release: the registry failing (500, dropped connection, timeout) on the k-th publish, the OIDC
// exchange failing, the ID-token endpoint failing, the PyPI JSON API failing. Each run must end with a clear
// message, the right exit code, outputs that match what actually landed, no secret anywhere, and a re-run
// (faults gone) must complete without publishing anything twice.
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseGithubOutput, remove, runPublish } from "./helpers.js";
import {
  actionsEnv,
  bumpAll,
  createReleaseRepo,
  prepublish,
  type ReleaseRepo,
  readText,
  registryVersions,
  type Servers,
  startServers,
} from "./publish-fixture.js";
import { canaryEnv, expectNoSecrets, secretsOf } from "./secrets.js";

let servers: Servers;
const dirs: string[] = [];

beforeAll(async () => {
  servers = await startServers();
});
afterAll(async () => {
  await servers?.close();
  for (const dir of dirs) await remove(dir);
});

interface PublishedPackage {
  name: string;
  version: string;
}

/** Runs polyglot-publish as the release job would, returning its result and what it reported. */
async function publish(repo: ReleaseRepo, args: string[], env: NodeJS.ProcessEnv) {
  await rm(repo.outputFile, { force: true });
  await rm(repo.summaryFile, { force: true });
  await rm(repo.changesetsOutput, { force: true });
  const result = await runPublish(repo.dir, args, env);
  const outputs = parseGithubOutput(await readText(repo.outputFile));
  const published: PublishedPackage[] = outputs["published-packages"]
    ? JSON.parse(outputs["published-packages"])
    : [];
  await expectNoSecrets(secretsOf(servers, env), result, repo, env);
  const shown = `exit ${result.code}\n--- stderr\n${result.stderr}\n--- stdout\n${result.stdout}`;
  return { result, outputs, published, shown };
}

/** What of `repo` at `version` is on the registry now. */
async function landed(repo: ReleaseRepo, version: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of repo.names)
    if ((await registryVersions(servers, name)).includes(version)) out.push(name);
  return out;
}

const names = (list: PublishedPackage[]) => list.map((p) => p.name).sort();
const npmNames = (repo: ReleaseRepo, list: PublishedPackage[]) =>
  names(list).filter((n) => repo.names.includes(n));
const NO_STACK = /\n\s+at .+:\d+:\d+/;
const TOKEN_ARGS = ["--oidc", "off", "--no-provenance"];
const OIDC_ARGS = ["--oidc", "require", "--no-provenance"];
/** npm gives up on a slow registry after 3 s and does not retry (so a timeout is a timeout). */
const FAST_TIMEOUT = { npm_config_fetch_timeout: "3000", npm_config_fetch_retries: "0" };
/** npm retries a 5xx or a reset twice with 10-60 s back-off: the k-th publish fails for good without retries. */
const NO_RETRY = { npm_config_fetch_retries: "0" };

/** The registry path of the k-th package of the repo (0-based), as npm PUTs it: `/@scope%2fpkg-k`. */
const kth = (repo: ReleaseRepo, k: number) => new RegExp(`^/@${repo.scope}(%2f|/)pkg-${k}$`, "i");

interface NpmFaultCase {
  name: string;
  oidc: boolean;
  fault: (servers: Servers, repo: ReleaseRepo) => void;
  env?: Record<string, string>;
  /** What the message must say. */
  message: RegExp;
  /** Accepted exit codes of the failed run (default [1]). */
  exit?: number[];
}

const npmCases: NpmFaultCase[] = [
  {
    name: "registry answers 500 to the 2nd publish",
    oidc: false,
    fault: (s, r) => s.registry.faults.add({ path: kth(r, 1), method: "PUT", status: 500, times: 1000 }),
    env: NO_RETRY,
    message: /500|Internal Server Error|publish/i,
  },
  {
    name: "registry drops the connection on the 2nd publish",
    oidc: false,
    fault: (s, r) => s.registry.faults.add({ path: kth(r, 1), method: "PUT", drop: true, times: 1000 }),
    env: NO_RETRY,
    message: /ECONNRESET|socket|network|connection|publish/i,
  },
  {
    name: "registry times out on the 2nd publish",
    oidc: false,
    fault: (s, r) => s.registry.faults.add({ path: kth(r, 1), method: "PUT", delayMs: 6000 }),
    env: FAST_TIMEOUT,
    message: /timeout|timed out|ETIMEDOUT|ESOCKETTIMEDOUT|network|publish/i,
  },
  {
    name: "OIDC token exchange answers 500",
    oidc: true,
    fault: (s) => s.registry.faults.add({ path: "/-/npm/v1/oidc/token/exchange", status: 500, times: 1000 }),
    message: /OIDC|trusted publish|exchange|token/i,
  },
  {
    name: "OIDC token exchange drops the connection",
    oidc: true,
    fault: (s) => s.registry.faults.add({ path: "/-/npm/v1/oidc/token/exchange", drop: true, times: 1000 }),
    message: /OIDC|trusted publish|exchange|token/i,
  },
  {
    name: "ID-token endpoint answers 500",
    oidc: true,
    fault: (s) => s.idToken.faults.add({ path: "/", status: 500, times: 1000 }),
    exit: [1, 2],
    message: /ID token|id-token|OIDC|ACTIONS_ID_TOKEN/i,
  },
  {
    // polyglot-publish gives an HTTP request 30 s (3 attempts): a real client timeout would cost 90 s here, so the
    // endpoint hangs 1.5 s and then drops the connection, every time.
    name: "ID-token endpoint hangs, then drops the connection",
    oidc: true,
    fault: (s) => s.idToken.faults.add({ path: "/", delayMs: 1500, drop: true, times: 1000 }),
    exit: [1, 2],
    message: /ID token|id-token|OIDC|ACTIONS_ID_TOKEN|timeout|timed out/i,
  },
];

describe("npm publish faults", () => {
  for (const c of npmCases) {
    test(c.name, async () => {
      let repo: ReleaseRepo;
      let version = "1.0.0";
      if (c.oidc) {
        // Trusted publishing cannot create a package: 1.0.0 goes out with a token first, 1.1.0 through OIDC.
        repo = await createReleaseRepo(servers);
        await prepublish(servers, repo);
        version = "1.1.0";
        await bumpAll(repo, version);
      } else {
        repo = await createReleaseRepo(servers, { npmrcToken: servers.token });
      }
      dirs.push(repo.dir);
      const env = actionsEnv(servers, repo, { oidc: c.oidc, extra: { ...canaryEnv(), ...c.env } });
      const args = c.oidc ? OIDC_ARGS : TOKEN_ARGS;

      c.fault(servers, repo);
      const first = await publish(repo, args, env);
      servers.registry.faults.clear();
      servers.idToken.faults.clear();
      // A transient failure is exit 1; a preflight that stops before publishing may call it configuration (2).
      expect(c.exit ?? [1], first.shown).toContain(first.result.code);
      expect(`${first.result.stderr}\n${first.result.stdout}`, first.shown).toMatch(c.message);
      expect(first.result.stderr, "no stack trace").not.toMatch(NO_STACK);
      // The outputs say exactly what landed (npm packages; the private bridge is reported when it is tagged).
      const afterFirst = await landed(repo, version);
      expect(npmNames(repo, first.published), first.shown).toEqual(afterFirst.slice().sort());
      expect(first.outputs.published, first.shown).toBe(first.published.length > 0 ? "true" : "false");

      const second = await publish(repo, args, env);
      expect(second.result.code, second.shown).toBe(0);
      const all = await landed(repo, version);
      expect(all.sort()).toEqual(repo.names.slice().sort());
      // Nothing twice: the re-run published exactly what the first run had not, and reported nothing again.
      expect(npmNames(repo, second.published), second.shown).toEqual(
        repo.names.filter((n) => !afterFirst.includes(n)).sort(),
      );
      const both = [...names(first.published), ...names(second.published)];
      expect(both.length, `${first.shown}\n${second.shown}`).toBe(new Set(both).size);
      expect(both.filter((n) => n === `@${repo.scope}/py`)).toHaveLength(1);
      for (const name of repo.names) expect(await registryVersions(servers, name)).toContain(version);
    });
  }
});

describe("PyPI JSON API faults (pypi-check)", () => {
  const cases = [
    { name: "answers 500", fault: { status: 500 } },
    { name: "drops the connection", fault: { drop: true } },
    // 30 s x 3 attempts per request would make a real client timeout cost 90 s: hang 1.5 s, then drop, every time.
    { name: "hangs, then drops the connection", fault: { delayMs: 1500, drop: true } },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const repo = await createReleaseRepo(servers);
      dirs.push(repo.dir);
      const env = actionsEnv(servers, repo, { extra: canaryEnv() });
      const index = servers.pypi.url.replace(/\/$/, "");
      servers.pypi.faults.add({ path: "/pypi/", times: 1000, ...c.fault });
      const first = await publish(repo, ["pypi-check", "--index", index], env);
      servers.pypi.faults.clear();
      expect(first.result.code, first.shown).toBe(1);
      expect(`${first.result.stderr}\n${first.result.stdout}`, first.shown).toMatch(
        new RegExp(`${repo.python}|pypi|index`, "i"),
      );
      expect(first.result.stderr, "no stack trace").not.toMatch(NO_STACK);
      // A failed check must not claim there is something to publish.
      expect(first.outputs.pypi ?? "false", first.shown).toBe("false");

      const second = await publish(repo, ["pypi-check", "--index", index], env);
      expect(second.result.code, second.shown).toBe(0);
      expect(second.outputs.pypi, second.shown).toBe("true");
      const packages = JSON.parse(second.outputs["pypi-packages"] ?? "[]") as {
        name: string;
        version: string;
      }[];
      expect(packages.map((p) => p.version)).toEqual(["1.0.0"]);
      // Once the release is on the index, a third check has nothing left to publish.
      servers.pypi.seed(repo.python, "1.0.0");
      const third = await publish(repo, ["pypi-check", "--index", index], env);
      expect(third.result.code, third.shown).toBe(0);
      expect(third.outputs.pypi, third.shown).toBe("false");
    });
  }
});

describe("GitHub API faults (the PyPI workflow dispatch)", () => {
  const cases = [
    { name: "answers 500", fault: { status: 500 } },
    { name: "drops the connection", fault: { drop: true } },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const repo = await createReleaseRepo(servers, { npmrcToken: servers.token });
      dirs.push(repo.dir);
      const env = actionsEnv(servers, repo, { extra: canaryEnv() });
      const args = [...TOKEN_ARGS, "--pypi-trigger", "dispatch", "--pypi-workflow", "publish-pypi.yml"];
      servers.github.faults.add({ path: "/repos/", times: 1000, ...c.fault });
      const first = await publish(repo, args, env);
      servers.github.faults.clear();
      expect(first.result.code, first.shown).toBe(1);
      expect(`${first.result.stderr}\n${first.result.stdout}`, first.shown).toMatch(
        /dispatch|publish-pypi\.yml/i,
      );
      expect(first.result.stderr, `no stack trace\n${first.shown}`).not.toMatch(NO_STACK);
      // The npm publish itself went through and is reported.
      expect(npmNames(repo, first.published), first.shown).toEqual(repo.names.slice().sort());

      // The re-run publishes nothing again and only dispatches.
      const before = servers.github.dispatches.length;
      const second = await publish(repo, args, env);
      expect(second.result.code, second.shown).toBe(0);
      expect(npmNames(repo, second.published), second.shown).toEqual([]);
      expect(servers.github.dispatches.length, second.shown).toBe(before + 1);
    });
  }
});
