// Registries and indexes are untrusted: credentials in their URLs are never printed (and still used, as npm does),
// hostile or broken answers (HTML, another package's document, `{not json`, `null`, an endless body, a trickle
// after the headers) are clear errors naming the registry, never "already published", in bounded time and memory;
// a network failure names its cause; `--json` prints the error as JSON.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { NO_STACK, OIDC_ARGS, TOKEN_ARGS } from "./fault-run.js";
import { BIN, NODE, parseGithubOutput, type RunResult } from "./helpers.js";
import {
  actionsEnv,
  bumpAll,
  createReleaseRepo,
  prepublish,
  type ReleaseRepo,
  readText,
  registryVersions,
  type Servers,
  useServers,
} from "./publish-fixture.js";
import { CANARY, canaryEnv, expectNoSecrets, secretsOf } from "./secrets.js";

let servers: Servers;
const dirs = useServers((started) => {
  servers = started;
});

/** What the stand-in answers to every request (npm packument and PyPI JSON API paths alike). */
type Behaviour =
  | { kind: "json"; status?: number; body: (path: string) => unknown }
  | { kind: "raw"; status?: number; contentType: string; body: string }
  | { kind: "endless" }
  | { kind: "trickle" };

/** A hostile registry and index on 127.0.0.1: answers as `behaviour` says and records the Authorization headers. */
class HostileServer {
  behaviour: Behaviour = { kind: "json", status: 404, body: () => ({ error: "not found" }) };
  readonly authorizations: string[] = [];
  readonly paths: string[] = [];
  readonly #server: Server = createServer((req, res) => this.#answer(req, res));

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #answer(req: IncomingMessage, res: ServerResponse): void {
    this.authorizations.push(req.headers.authorization ?? "");
    this.paths.push(req.url ?? "");
    const behaviour = this.behaviour;
    if (behaviour.kind === "json") {
      res.writeHead(behaviour.status ?? 200, { "content-type": "application/json" });
      res.end(JSON.stringify(behaviour.body(decodeURIComponent(req.url ?? ""))));
    } else if (behaviour.kind === "raw") {
      res.writeHead(behaviour.status ?? 200, { "content-type": behaviour.contentType });
      res.end(behaviour.body);
    } else if (behaviour.kind === "endless") {
      endless(res);
    } else {
      trickle(res);
    }
  }
}

/** `{"versions":{"x":"xxxx...` forever, as fast as the client reads. */
function endless(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.write('{"name":"x","versions":{"1.0.0":"');
  const chunk = Buffer.alloc(64 * 1024, "x");
  const pump = () => {
    while (!res.destroyed && res.write(chunk)) {}
    if (!res.destroyed) res.once("drain", pump);
  };
  res.on("close", () => res.removeAllListeners("drain"));
  pump();
}

/** Headers at once, then one byte every 200 ms, forever. */
function trickle(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json" });
  const timer = setInterval(() => res.write(" "), 200);
  res.on("close", () => clearInterval(timer));
}

const hostile = new HostileServer();
beforeAll(() => hostile.start());
afterAll(() => hostile.close());

interface BoundedRun extends RunResult {
  ms: number;
  /** Highest resident set size seen, in MiB. */
  peakRssMiB: number;
}

/** Runs polyglot-publish with a hard time bound, sampling its resident memory. */
function runBounded(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  limitMs = 60_000,
): Promise<BoundedRun> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(NODE, [BIN.publish, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let peak = 0;
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const sample = setInterval(() => {
      try {
        const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (rss) peak = Math.max(peak, Number(rss[1]) / 1024);
      } catch {}
    }, 50);
    const killer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("close", (code, signal) => {
      clearInterval(sample);
      clearTimeout(killer);
      resolve({
        code: code ?? (signal ? 137 : 1),
        stdout,
        stderr,
        ms: Date.now() - started,
        peakRssMiB: peak,
      });
    });
  });
}

const shownOf = (run: RunResult) => `exit ${run.code}\n--- stderr\n${run.stderr}\n--- stdout\n${run.stdout}`;

/** A release repo whose .npmrc holds the publish token for the testkit registry (a --oidc off publish needs one). */
async function freshRepo(): Promise<ReleaseRepo> {
  const repo = await createReleaseRepo(servers, { npmrcToken: servers.token });
  dirs.push(repo.dir);
  return repo;
}

/** Everything the run wrote: stdout, stderr, GITHUB_OUTPUT, the step summary. */
async function everything(run: RunResult, repo: ReleaseRepo): Promise<string> {
  return [run.stdout, run.stderr, await readText(repo.outputFile), await readText(repo.summaryFile)].join(
    "\n",
  );
}

const PASSWORD = "s3cretPASSWORDcanary77";
/** A classic npm token revoked by the registry: it answers 401 to any request that carries it. */
const REVOKED = "npm_REVOKEDclassicTOKEN00000000000000009";
const USER = "deploy-user";

describe("credentials in registry and index URLs", () => {
  test("npm registry with user:pass@: used as Basic auth, never printed (plan, summary, --json)", async () => {
    const repo = await freshRepo();
    hostile.behaviour = { kind: "json", status: 404, body: () => ({ error: "not found" }) };
    hostile.authorizations.length = 0;
    const registry = `http://${USER}:${PASSWORD}@127.0.0.1:${new URL(hostile.origin).port}/`;
    const env = actionsEnv(servers, repo, { extra: { ...canaryEnv(), npm_config_registry: registry } });
    const run = await runBounded(repo.dir, ["--dry-run", ...TOKEN_ARGS, "--json"], env);
    expect(run.code, shownOf(run)).toBe(0);
    expect(hostile.authorizations.length, "the registry was asked").toBeGreaterThan(0);
    const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
    expect(new Set(hostile.authorizations)).toEqual(new Set([basic]));
    const json = JSON.parse(run.stdout);
    expect(json.rows.map((row: { status: string }) => row.status)).toContain("would publish (latest)");
    expect(await everything(run, repo)).toContain("***@127.0.0.1");
    await expectNoSecrets([...secretsOf(servers, env), PASSWORD, basic.slice(6)], run, repo, env);
  });

  test("a registry error names the registry without its credentials", async () => {
    const repo = await freshRepo();
    hostile.behaviour = { kind: "raw", status: 500, contentType: "text/plain", body: "down" };
    const registry = `http://${USER}:${PASSWORD}@127.0.0.1:${new URL(hostile.origin).port}/`;
    const env = actionsEnv(servers, repo, { extra: { ...canaryEnv(), npm_config_registry: registry } });
    const run = await runBounded(repo.dir, ["--dry-run", ...TOKEN_ARGS], env);
    expect(run.code, shownOf(run)).toBe(1);
    expect(run.stderr, shownOf(run)).toMatch(/http:\/\/\*\*\*@127\.0\.0\.1:\d+\/: HTTP 500/);
    await expectNoSecrets([...secretsOf(servers, env), PASSWORD], run, repo, env);
  });

  test("a token as a path segment of the registry URL (Gemfury style) is never printed", async () => {
    const repo = await freshRepo();
    hostile.behaviour = { kind: "json", status: 404, body: () => ({ error: "not found" }) };
    const registry = `${hostile.origin}/${CANARY.NPM_TOKEN}/`;
    const credential = `npm_config_//127.0.0.1:${new URL(hostile.origin).port}/:_authToken`;
    const env = actionsEnv(servers, repo, {
      extra: { ...canaryEnv(), npm_config_registry: registry, [credential]: servers.token },
    });
    const ok = await runBounded(repo.dir, ["--dry-run", ...TOKEN_ARGS, "--json"], env);
    expect(ok.code, shownOf(ok)).toBe(0);
    expect(hostile.paths.some((path) => path.startsWith(`/${CANARY.NPM_TOKEN}/`))).toBe(true);
    expect(await everything(ok, repo)).toMatch(/127\.0\.0\.1:\d+\/\*\*\*\//);
    await expectNoSecrets(secretsOf(servers, env), ok, repo, env);
    hostile.behaviour = { kind: "raw", status: 500, contentType: "text/plain", body: "down" };
    const failed = await runBounded(repo.dir, ["--dry-run", ...TOKEN_ARGS, "--json"], env);
    expect(failed.code, shownOf(failed)).toBe(1);
    await expectNoSecrets(secretsOf(servers, env), failed, repo, env);
  });

  test("pypi.index and --index with user:pass@: used, never printed (plan, summary link, pypi-check, --json)", async () => {
    const repo = await freshRepo();
    const index = servers.pypi.url.replace(/\/$/, "").replace("://", `://${USER}:${PASSWORD}@`);
    await writeFile(join(repo.dir, ".changeset/polyglot.json"), JSON.stringify({ pypi: { index } }));
    commitAll(repo.dir, "pypi index with credentials");
    const env = actionsEnv(servers, repo, { extra: canaryEnv() });
    const plan = await runBounded(repo.dir, ["--dry-run", ...TOKEN_ARGS, "--json"], env);
    expect(plan.code, shownOf(plan)).toBe(0);
    expect(plan.stderr, shownOf(plan)).toMatch(/not on http:\/\/\*\*\*@127\.0\.0\.1:\d+\/? yet/);
    // Links in the summary carry no userinfo at all, redacted or not.
    expect(await readText(repo.summaryFile)).toMatch(/\(http:\/\/127\.0\.0\.1:\d+\/project\//);
    await expectNoSecrets([...secretsOf(servers, env), PASSWORD], plan, repo, env);
    for (const json of [[], ["--json"]]) {
      const check = await runBounded(repo.dir, ["pypi-check", "--index", index, ...json], env);
      expect(check.code, shownOf(check)).toBe(0);
      expect(parseGithubOutput(await readText(repo.outputFile)).pypi).toBe("true");
      await expectNoSecrets([...secretsOf(servers, env), PASSWORD], check, repo, env);
    }
  });
});

interface HostileCase {
  name: string;
  behaviour: Behaviour;
  /** What the error must say after naming the registry. */
  says: RegExp;
}

const otherPackage = (): unknown => ({ name: "left-pad", versions: { "1.0.0": {} }, "dist-tags": {} });
const otherProject = (): unknown => ({ info: { name: "requests", version: "1.0.0" } });
const hostileCases: HostileCase[] = [
  {
    name: "200 text/html",
    behaviour: { kind: "raw", contentType: "text/html", body: "<html>Welcome</html>" },
    says: /text\/html instead of JSON/,
  },
  {
    name: "{not json",
    behaviour: { kind: "raw", contentType: "application/json", body: "{not json" },
    says: /invalid JSON/,
  },
  {
    name: "null",
    behaviour: { kind: "raw", contentType: "application/json", body: "null" },
    says: /null|info/,
  },
  {
    name: "an endless body",
    behaviour: { kind: "endless" },
    // Which bound ends it first (the 32 MiB cap or the deadline) depends on the machine's load; both are clear.
    says: /larger than 32 MiB|no complete answer within/,
  },
  {
    name: "a trickle after the headers",
    behaviour: { kind: "trickle" },
    says: /no complete answer within 1 s/,
  },
];

/** A short deadline so the trickle case runs into a real timeout quickly. */
const FAST = { POLYGLOT_HTTP_TIMEOUT_MS: "1000" };

describe("hostile npm registry answers (the plan's look-ups)", () => {
  const npmCases: HostileCase[] = [
    ...hostileCases,
    {
      name: "another package's document",
      behaviour: { kind: "json", body: otherPackage },
      says: /"left-pad" instead of/,
    },
  ];
  for (const c of npmCases) {
    test(`${c.name}: a clear error naming the registry, never "already published"`, async () => {
      const repo = await freshRepo();
      hostile.behaviour = c.behaviour;
      const env = actionsEnv(servers, repo, {
        extra: { ...canaryEnv(), ...FAST, npm_config_registry: `${hostile.origin}/` },
      });
      const run = await runBounded(repo.dir, ["--dry-run", ...TOKEN_ARGS], env, 30_000);
      expect(run.code, shownOf(run)).toBe(1);
      expect(run.stderr, shownOf(run)).toMatch(
        /cannot look up @rel\w+\/pkg-\d on http:\/\/127\.0\.0\.1:\d+\/: /,
      );
      expect(run.stderr, shownOf(run)).toMatch(c.says);
      expect(run.stderr, "no stack trace").not.toMatch(NO_STACK);
      expect(await everything(run, repo)).not.toMatch(/already published \([1-9]|already on/);
      expect(run.ms, "bounded time").toBeLessThan(20_000);
      expect(run.peakRssMiB, "bounded memory").toBeLessThan(400);
      await expectNoSecrets(secretsOf(servers, env), run, repo, env);
    });
  }
});

describe("hostile PyPI index answers (pypi-check)", () => {
  const pypiCases: HostileCase[] = [
    ...hostileCases,
    {
      name: "another project's document",
      behaviour: { kind: "json", body: otherProject },
      says: /"requests" instead of/,
    },
    {
      name: "another version's document",
      behaviour: { kind: "json", body: (path) => ({ info: { name: path.split("/")[2], version: "9.9.9" } }) },
      says: /version "9\.9\.9" instead of 1\.0\.0/,
    },
  ];
  for (const c of pypiCases) {
    test(`${c.name}: a failed check naming the index, never "already on the index"`, async () => {
      const repo = await freshRepo();
      hostile.behaviour = c.behaviour;
      const env = actionsEnv(servers, repo, { extra: { ...canaryEnv(), ...FAST } });
      const run = await runBounded(repo.dir, ["pypi-check", "--index", hostile.origin], env, 30_000);
      expect(run.code, shownOf(run)).toBe(1);
      expect(run.stderr, shownOf(run)).toMatch(
        /cannot look up \S+ 1\.0\.0 on http:\/\/127\.0\.0\.1:\d+\/?: /,
      );
      expect(run.stderr, shownOf(run)).toMatch(c.says);
      expect(run.stderr, "no stack trace").not.toMatch(NO_STACK);
      expect(run.stdout).not.toMatch(/already on the index/);
      expect(parseGithubOutput(await readText(repo.outputFile)).pypi ?? "false").toBe("false");
      expect(run.ms, "bounded time").toBeLessThan(20_000);
      expect(run.peakRssMiB, "bounded memory").toBeLessThan(400);
      await expectNoSecrets(secretsOf(servers, env), run, repo, env);
    });
  }

  test("a publish hands a PyPI target with an HTML answer to the PyPI job (never skips it)", async () => {
    const repo = await freshRepo();
    hostile.behaviour = hostileCases[0]?.behaviour as Behaviour;
    await writeFile(
      join(repo.dir, ".changeset/polyglot.json"),
      JSON.stringify({ pypi: { index: hostile.origin } }),
    );
    commitAll(repo.dir, "hostile pypi index");
    const env = actionsEnv(servers, repo, { extra: { ...canaryEnv(), ...FAST } });
    const run = await runBounded(repo.dir, ["--dry-run", ...TOKEN_ARGS, "--json"], env, 30_000);
    expect(run.code, shownOf(run)).toBe(0);
    expect(run.stderr).toMatch(/text\/html instead of JSON; handed to the PyPI job anyway/);
    const json = JSON.parse(run.stdout);
    expect(json.rows.filter((row: { ecosystem: string }) => row.ecosystem === "PyPI")).toHaveLength(1);
  });
});

/** A port on 127.0.0.1 nothing listens on (port 1 is on fetch's list of blocked ports: "bad port"). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("network failures name their cause; --json prints the error", () => {
  test("connection refused: ECONNREFUSED 127.0.0.1:<port>, as JSON on stdout under --json", async () => {
    const repo = await freshRepo();
    const port = await closedPort();
    const env = actionsEnv(servers, repo, {
      extra: { ...canaryEnv(), npm_config_registry: `http://127.0.0.1:${port}/` },
    });
    const run = await runBounded(repo.dir, ["--dry-run", ...TOKEN_ARGS, "--json"], env, 30_000);
    expect(run.code, shownOf(run)).toBe(1);
    expect(run.stderr, shownOf(run)).toContain(`no answer (ECONNREFUSED 127.0.0.1:${port})`);
    const json = JSON.parse(run.stdout);
    expect(json.error.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(json.error.exitCode).toBe(1);
    expect(json.error.fix).toMatch(/registry/);
    await expectNoSecrets(secretsOf(servers, env), run, repo, env);
  });

  test("pypi-check --json against a refused index prints the error as JSON", async () => {
    const repo = await freshRepo();
    const env = actionsEnv(servers, repo, { extra: canaryEnv() });
    const index = `http://127.0.0.1:${await closedPort()}`;
    const run = await runBounded(repo.dir, ["pypi-check", "--index", index, "--json"], env, 30_000);
    expect(run.code, shownOf(run)).toBe(1);
    expect(JSON.parse(run.stdout).error).toMatchObject({
      message: expect.stringMatching(/ECONNREFUSED/),
      setting: "pypi.index",
    });
  });
});

describe("under OIDC the plan reads the registry anonymously (issue #17 item 2)", () => {
  test("a revoked token in .npmrc and NODE_AUTH_TOKEN (the registry answers it 401) does not stop an OIDC publish", async () => {
    const repo = await freshRepo();
    await prepublish(servers, repo);
    await bumpAll(repo, "1.1.0");
    const host = servers.registry.url.replace(/^https?:/, "");
    await writeFile(
      join(repo.dir, ".npmrc"),
      `registry=${servers.registry.url}\n${host}:_authToken=\${NODE_AUTH_TOKEN}\n`,
    );
    const env = actionsEnv(servers, repo, {
      oidc: true,
      extra: { ...canaryEnv(), NODE_AUTH_TOKEN: REVOKED },
    });
    // The registry refuses the revoked token, on reads too (as npmjs.com does since classic tokens were revoked).
    servers.registry.faults.add({
      path: "/",
      authorization: `Bearer ${REVOKED}`,
      status: 401,
      body: JSON.stringify({ error: "token revoked" }),
      times: 100_000,
    });
    const refused = await fetch(new URL(repo.names[0]?.replace("/", "%2f") ?? "", servers.registry.url), {
      headers: { authorization: `Bearer ${REVOKED}` },
    });
    expect(refused.status).toBe(401);
    const run = await runBounded(repo.dir, OIDC_ARGS, env);
    servers.registry.faults.clear();
    expect(run.code, shownOf(run)).toBe(0);
    for (const name of repo.names) expect(await registryVersions(servers, name)).toContain("1.1.0");
    await expectNoSecrets([...secretsOf(servers, env), REVOKED], run, repo, env);
  });
});

/** Commits the test's config change, as a release commit would hold it (the clean-tree gate refuses a modified tree). */
function commitAll(dir: string, message: string): void {
  execFileSync("git", ["commit", "-qam", message, "--no-verify"], { cwd: dir });
}
