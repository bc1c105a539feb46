// A publish killed mid-way (SIGTERM, SIGINT, SIGKILL) stops publishing at once (the changeset child and its npm
// die with it), cleans its temp folder, says what happened (SIGTERM, SIGINT) and exits 128 + signal; a re-run
// publishes the rest and tags (and reports) every version the killed run published. Also issue #17 item 3: a
// version published by hand without its git tag gets the tag and is reported, and the PyPI hand-off names a tag
// that exists.
import { execFileSync, spawn } from "node:child_process";
import { mkdir, readdir } from "node:fs/promises";
import { constants } from "node:os";
import { describe, expect, test } from "vitest";
import { NO_STACK, npmNames, publishRun, TOKEN_ARGS } from "./fault-run.js";
import { BIN, NODE, parseGithubOutput, type RunResult, tempDir } from "./helpers.js";
import {
  actionsEnv,
  createReleaseRepo,
  prepublish,
  type ReleaseRepo,
  readText,
  registryVersions,
  type Servers,
  useServers,
} from "./publish-fixture.js";
import { canaryEnv, expectNoSecrets, secretsOf } from "./secrets.js";

let servers: Servers;
const dirs = useServers((started) => {
  servers = started;
});

/** The 2nd package's publish (`PUT /@scope%2fpkg-1`) hangs this long, so a kill lands mid-publish. */
const SLOW_PUT_MS = 4000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

const gitTags = (repo: ReleaseRepo): string[] =>
  execFileSync("git", ["tag", "--list"], { cwd: repo.dir, encoding: "utf8" }).split("\n").filter(Boolean);

/** The `git-tag` events of CHANGESETS_OUTPUT. */
async function tagEvents(repo: ReleaseRepo): Promise<{ tag: string; packageName: string }[]> {
  return (await readText(repo.changesetsOutput))
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line))
    .filter((event) => event.type === "git-tag");
}

interface KilledRun extends RunResult {
  /** Milliseconds from the signal to the exit. */
  afterSignalMs: number;
}

/** Starts a publish, sends `signal` once the first package landed (the 2nd hangs), and collects the outcome. */
function killMidPublish(
  repo: ReleaseRepo,
  env: NodeJS.ProcessEnv,
  signal: NodeJS.Signals,
): Promise<KilledRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [BIN.publish, ...TOKEN_ARGS], {
      cwd: repo.dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let signalledAt = 0;
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const bound = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("close", (code, killedBy) => {
      clearTimeout(bound);
      resolve({
        code: code ?? (killedBy ? 128 + (constants.signals[killedBy] ?? 0) : 1),
        stdout,
        stderr,
        afterSignalMs: signalledAt ? Date.now() - signalledAt : -1,
      });
    });
    const first = repo.names[0] as string;
    waitFor(async () => (await registryVersions(servers, first)).includes("1.0.0"), 60_000)
      .then(async (landed) => {
        if (!landed) throw new Error(`the first package never landed\n${stderr}\n${stdout}`);
        await sleep(500);
        signalledAt = Date.now();
        child.kill(signal);
      })
      .catch(reject);
  });
}

/** A released repo of 3 chained packages whose 2nd publish hangs; the child's TMPDIR is a fresh folder. */
async function slowRepo(): Promise<{ repo: ReleaseRepo; env: NodeJS.ProcessEnv; tmp: string }> {
  const repo = await createReleaseRepo(servers, { npmrcToken: servers.token });
  const tmp = await tempDir("pc-rel-signals-tmp-");
  dirs.push(repo.dir, tmp);
  await mkdir(tmp, { recursive: true });
  const kth = new RegExp(`^/@${repo.scope}(%2f|/)pkg-1$`, "i");
  servers.registry.faults.add({ path: kth, method: "PUT", delayMs: SLOW_PUT_MS });
  const env = actionsEnv(servers, repo, { extra: { ...canaryEnv(), TMPDIR: tmp } });
  return { repo, env, tmp };
}

describe("a publish killed mid-way, then a re-run", () => {
  for (const signal of ["SIGTERM", "SIGINT", "SIGKILL"] as const) {
    test(`${signal}: the publish stops, the temp folder goes, the re-run tags and reports every version once`, async () => {
      const { repo, env, tmp } = await slowRepo();
      const killed = await killMidPublish(repo, env, signal);
      const shown = `exit ${killed.code}\n--- stderr\n${killed.stderr}\n--- stdout\n${killed.stdout}`;
      await expectNoSecrets(secretsOf(servers, env), killed, repo, env);
      expect(killed.code, shown).toBe({ SIGTERM: 143, SIGINT: 130, SIGKILL: 137 }[signal]);
      expect(killed.afterSignalMs, shown).toBeLessThan(15_000);
      if (signal !== "SIGKILL") {
        expect(killed.stderr, shown).toContain(`stopped by ${signal}: the publish was stopped`);
        expect(killed.stderr, shown).toMatch(new RegExp(`not published: [^;]*${repo.names[2]}@1\\.0\\.0`));
        expect(killed.stderr, "no stack trace").not.toMatch(NO_STACK);
      }
      // Nothing goes on after the kill: the hanging publish is over and the 3rd package never lands.
      await sleep(SLOW_PUT_MS + 1500);
      servers.registry.faults.clear();
      expect(await registryVersions(servers, repo.names[2] as string), shown).toEqual([]);
      expect(
        await waitFor(
          async () => (await readdir(tmp)).every((n) => !n.startsWith("polyglot-publish-")),
          5000,
        ),
      ).toBe(true);
      const killedOutputs = parseGithubOutput(await readText(repo.outputFile));
      const killedPublished = npmNames(repo, JSON.parse(killedOutputs["published-packages"] ?? "[]"));
      const landedUntagged: string[] = [];
      for (const name of repo.names) {
        const landed = (await registryVersions(servers, name)).includes("1.0.0");
        if (landed && !killedPublished.includes(name)) landedUntagged.push(name);
      }
      expect(landedUntagged.length + killedPublished.length, shown).toBeGreaterThan(0);

      const rerun = await publishRun(servers, repo, TOKEN_ARGS, env);
      expect(rerun.result.code, rerun.shown).toBe(0);
      for (const name of repo.names)
        expect(await registryVersions(servers, name), rerun.shown).toEqual(["1.0.0"]);
      // Every published version is tagged and reported once over both runs; the re-run reports the tags it made.
      const tags = gitTags(repo);
      for (const name of repo.names) expect(tags, rerun.shown).toContain(`${name}@1.0.0`);
      const rerunPublished = npmNames(repo, rerun.published);
      expect([...killedPublished, ...rerunPublished].sort(), rerun.shown).toEqual(repo.names.slice().sort());
      const events = await tagEvents(repo);
      for (const name of rerunPublished) {
        expect(events, rerun.shown).toContainEqual({
          type: "git-tag",
          tag: `${name}@1.0.0`,
          packageName: name,
        });
      }
      // What the killed run published without tagging it is tagged by the re-run, and said so.
      if (landedUntagged.length > 0) {
        expect(rerun.result.stdout, rerun.shown).toMatch(/already on the registry, the tag was missing/);
      }
      for (const name of landedUntagged) expect(rerunPublished, rerun.shown).toContain(name);
    });
  }
});

test("a version published by hand without its tag: tagged on the next run, reported, and the PyPI tag exists", async () => {
  const repo = await createReleaseRepo(servers, { npmrcToken: servers.token });
  dirs.push(repo.dir);
  await prepublish(servers, repo);
  // As after `npm publish` by hand (the documented first-publish fix): on the registry, no git tags.
  for (const tag of gitTags(repo)) execFileSync("git", ["tag", "-d", tag], { cwd: repo.dir, stdio: "pipe" });
  const env = actionsEnv(servers, repo, { extra: canaryEnv() });
  const dry = await publishRun(servers, repo, ["--dry-run", ...TOKEN_ARGS], env);
  expect(dry.result.code, dry.shown).toBe(0);
  expect(dry.result.stdout, dry.shown).toMatch(
    /tag {5}@rel\w+\/pkg-0@1\.0\.0 \(already published, the tag is missing\)/,
  );
  expect(gitTags(repo), "a dry run creates no tag").toEqual([]);

  const run = await publishRun(servers, repo, TOKEN_ARGS, env);
  expect(run.result.code, run.shown).toBe(0);
  expect(npmNames(repo, run.published), run.shown).toEqual(repo.names.slice().sort());
  const tags = gitTags(repo);
  for (const name of repo.names) expect(tags).toContain(`${name}@1.0.0`);
  const handedOff = JSON.parse(run.outputs["pypi-packages"] ?? "[]") as { tag: string }[];
  expect(handedOff.length, run.shown).toBe(1);
  for (const { tag } of handedOff) expect(tags, run.shown).toContain(tag);
  const events = await tagEvents(repo);
  for (const name of repo.names) {
    expect(events).toContainEqual({ type: "git-tag", tag: `${name}@1.0.0`, packageName: name });
  }

  const again = await publishRun(servers, repo, TOKEN_ARGS, env);
  expect(again.result.code, again.shown).toBe(0);
  expect(again.outputs.published, again.shown).toBe("false");
});
