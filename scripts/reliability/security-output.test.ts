// Workflow-command injection (issue 10, defect 3): names, versions and paths from the repo reach no output line
// as a command. Names and versions are refused where they enter, without being echoed; paths (any folder name is
// allowed) and child output pass the guard that no printed line gets through as a `::` command.
import { execFileSync } from "node:child_process";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import {
  cleanEnv,
  copyInto,
  parseGithubOutput,
  type RunResult,
  remove,
  runPublish,
  runVersion,
  snapshot,
  tempDir,
} from "./helpers.js";
import {
  actionsEnv,
  bumpAll,
  createReleaseRepo,
  prepublish,
  readText,
  registryVersions,
  type Servers,
  useServers,
} from "./publish-fixture.js";
import { expectNoSecrets, secretsOf } from "./secrets.js";

const BASE = join(dirname(fileURLToPath(import.meta.url)), "__fixtures__/base");
const INJECTED = "x\\n::stop-commands::pwn";
const work: string[] = [];
afterAll(async () => {
  for (const dir of work) await remove(dir);
});

/** The suite's own commands, which the runner must see: masks and annotations. */
const OWN_COMMAND = /^::(add-mask|error|warning|notice)( [^:]*)?::/;

/** No line of the run, as the runner splits and trims it, is a command the suite did not write itself. */
function expectNoInjectedCommand(result: RunResult, files: string[] = []): void {
  for (const text of [result.stdout, result.stderr, ...files]) {
    for (const line of text.split(/\r\n|\r|\n/)) {
      const trimmed = line.replace(/^[\s\u0085]+/, "");
      if (trimmed.startsWith("::"))
        expect(trimmed, "an output line starts a workflow command").toMatch(OWN_COMMAND);
      expect(line).not.toContain("##[");
    }
    expect(text).not.toMatch(/^::stop-commands/m);
  }
}

async function baseWith(files: Record<string, string>): Promise<string> {
  const dir = await tempDir("pc-sec-out-");
  work.push(dir);
  await copyInto(BASE, dir);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  return dir;
}

const PYPROJECT = `[project]\nname = "${INJECTED}"\nversion = "1.0.0"\n`;
const hostileInputs: { name: string; files: Record<string, string>; file: string; setting: string }[] = [
  {
    name: "a pyproject name with a newline and a command",
    files: { "python/py/pyproject.toml": PYPROJECT },
    file: "python/py/pyproject.toml",
    setting: "project.name",
  },
  {
    name: "a Poetry name with a command",
    files: { "python/py/pyproject.toml": `[tool.poetry]\nname = "${INJECTED}"\nversion = "1.0.0"\n` },
    file: "python/py/pyproject.toml",
    setting: "tool.poetry.name",
  },
  {
    name: "a crate name with a command",
    files: {
      "crates/c/package.json": '{ "name": "@corpus/c", "version": "1.0.0", "private": true }\n',
      "crates/c/Cargo.toml": `[package]\nname = "${INJECTED}"\nversion = "1.0.0"\n`,
    },
    file: "crates/c/Cargo.toml",
    setting: "package.name",
  },
  {
    name: "an npm package name with a command",
    files: { "packages/core/package.json": `{ "name": "@corpus/core${INJECTED}", "version": "1.0.0" }\n` },
    file: "packages/core/package.json",
    setting: "name",
  },
  {
    name: "a package.json version with a command",
    files: { "packages/core/package.json": `{ "name": "@corpus/core", "version": "1.0.0${INJECTED}" }\n` },
    file: "packages/core/package.json",
    setting: "version",
  },
];

const commands: { cli: "version" | "publish"; args: string[] }[] = [
  { cli: "version", args: ["--check"] },
  { cli: "version", args: ["--dry-run", "--sync-only"] },
  { cli: "version", args: ["--sync-only"] },
  { cli: "publish", args: ["--dry-run"] },
  { cli: "publish", args: ["doctor"] },
  { cli: "publish", args: ["pypi-check", "--index", "http://127.0.0.1:1"] },
];

describe("names and versions from manifests are refused before any output carries them", () => {
  for (const input of hostileInputs) {
    test(input.name, async () => {
      const dir = await baseWith(input.files);
      const before = await snapshot(dir);
      const env = cleanEnv({ GITHUB_ACTIONS: "true", CI: "true" });
      for (const { cli, args } of commands) {
        const run = cli === "version" ? runVersion : runPublish;
        const result = await run(dir, args, env);
        const output = result.stdout + result.stderr;
        expect(result.code, `${cli} ${args.join(" ")}: ${output}`).toBe(2);
        expect(output).toContain(input.file);
        expect(output).toContain(input.setting);
        expect(output).toContain("fix:");
        expect(output).not.toContain("stop-commands");
        expect(output).not.toMatch(/\n\s+at /);
        expectNoInjectedCommand(result);
      }
      expect(await snapshot(dir)).toEqual(before);
    });
  }
});

describe("paths and everything else printed pass the guard", () => {
  let servers: Servers;
  work.push(...useServers((started) => (servers = started)));

  test("a bridge folder named with a command: an OIDC publish and pypi-check print it as text", async () => {
    const repo = await createReleaseRepo(servers, { count: 1 });
    await prepublish(servers, repo);
    await bumpAll(repo, "1.1.0");
    const folder = "python/py\n::stop-commands::pwn\n::set-output name=pypi::true";
    await rename(join(repo.dir, "python/py"), join(repo.dir, folder));
    execFileSync("git", ["add", "-A"], { cwd: repo.dir });
    execFileSync("git", ["commit", "-qm", "rename", "--no-verify"], { cwd: repo.dir });
    const env = actionsEnv(servers, repo, { oidc: true });

    const publish = await runPublish(repo.dir, ["--oidc", "require", "--no-provenance"], env);
    expect(publish.code, publish.stdout + publish.stderr).toBe(0);
    expect(publish.stdout + publish.stderr).toMatch(/^::add-mask::/m);
    expect(publish.stdout).toContain("| ::stop-commands::pwn");
    expect(await registryVersions(servers, repo.names[0]!)).toEqual(["1.0.0", "1.1.0"]);
    expectNoInjectedCommand(publish, [await readText(repo.summaryFile)]);
    await expectNoSecrets(secretsOf(servers, env), publish, repo, env);

    const check = await runPublish(repo.dir, ["pypi-check"], env);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain("| ::set-output name=pypi::true");
    expectNoInjectedCommand(check);
    const outputs = parseGithubOutput(await readText(repo.outputFile));
    expect(JSON.parse(outputs["pypi-packages"] ?? "[]")[0]?.path).toBe(folder);
  });

  test("the step summary renders a hostile index URL as text: no markup, no extra cells", async () => {
    const repo = await createReleaseRepo(servers, { count: 1, npmrcToken: servers.token });
    const index = `${servers.pypi.url.replace(/\/$/, "")}/x|**published**|<img src=x onerror=alert(1)>|[x](javascript:alert(1))`;
    await writeFile(join(repo.dir, ".changeset/polyglot.json"), JSON.stringify({ pypi: { index } }));
    // Committed, as a real release commit would be (the clean-tree gate refuses a modified tree).
    execFileSync("git", ["commit", "-qam", "hostile index", "--no-verify"], { cwd: repo.dir });
    const env = actionsEnv(servers, repo);
    const run = await runPublish(repo.dir, ["--dry-run", "--oidc", "off", "--no-provenance"], env);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const summary = await readText(repo.summaryFile);
    const row = summary.split("\n").find((line) => line.includes("| PyPI |")) ?? "";
    expect(row.replace(/\\\|/g, "").split("|"), row).toHaveLength(7);
    expect(summary).not.toMatch(/<img|\*\*published|\]\(javascript/);
    expectNoInjectedCommand(run, [summary]);
  });
});
