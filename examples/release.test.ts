// The examples' release, end to end, against testkit's local stand-ins (as the demo runs it): a changeset,
// `polyglot-version`, then `polyglot-publish` in a simulated GitHub Actions job with `id-token: write`, which
// publishes through the registry's OIDC exchange and writes the outputs the release workflow gates the PyPI job
// on; then the PyPI job's steps: `pypi-check`, Debian's build, `polyglot-publish pypi-upload` (a token minted
// through PyPI trusted publishing, then twine's upload); a second `pypi-check` finds the version there.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type Testkit = typeof import("@polyglot-changesets/testkit");
type Servers = {
  idToken: Awaited<ReturnType<Testkit["startIdTokenServer"]>>;
  registry: Awaited<ReturnType<Testkit["startRegistry"]>>;
  pypi: Awaited<ReturnType<Testkit["startPypi"]>>;
  pnpmBin: string;
};

const examplesDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(examplesDir);
const bin = {
  version: path.join(root, "packages", "version", "bin", "polyglot-version.js"),
  publish: path.join(root, "packages", "publish", "bin", "polyglot-publish.js"),
};
const ready = ["testkit", "version", "publish", "changelog"].every((name) =>
  existsSync(path.join(root, "packages", name, "dist", "index.js")),
);
const debianPython = "/usr/bin/python3";
const hasPythonTools =
  existsSync(debianPython) &&
  execFileSync(debianPython, ["-c", "import build, hatchling, twine; print('ok')"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  }).trim() === "ok";

const EVENT_FORGE = "event-forge/event-forge";
const X0X = "x0x/x0x";

let servers: Servers;
const temps: string[] = [];

beforeAll(async () => {
  if (!ready) return;
  const testkit: Testkit = await import("@polyglot-changesets/testkit");
  const idToken = await testkit.startIdTokenServer();
  const oidc = { issuer: idToken.issuer, jwks: idToken.jwks };
  const registry = await testkit.startRegistry({
    oidc,
    trustedPublishers: [
      { package: "@event-forge/*", repository: EVENT_FORGE, workflow: "release.yml" },
      { package: "@x0x/*", repository: X0X, workflow: "release.yml" },
    ],
  });
  const pypi = await testkit.startPypi({
    oidc,
    trustedPublishers: [
      {
        project: "event-forge-inbox-outbox",
        repository: EVENT_FORGE,
        workflow: "release.yml",
        environment: "pypi",
      },
    ],
  });
  // changeset publish runs `pnpm publish` in a pnpm workspace.
  const pnpmBin = await testkit.ensureTool("pnpm@10.34.8");
  servers = { idToken, registry, pypi, pnpmBin };
});

afterAll(async () => {
  if (servers) {
    await Promise.allSettled([servers.idToken.close(), servers.registry.close(), servers.pypi.close()]);
  }
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

/** Runs a command without blocking this process's event loop (the stand-ins answer from it). */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ status: number | null; output: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("close", (status) => resolve({ status, output }));
  });
}

/** A clean environment: this Node and pnpm first on PATH, no npm config or token of the machine. */
async function baseEnv(dir: string): Promise<NodeJS.ProcessEnv> {
  const userconfig = path.join(dir, ".out", "empty-npmrc");
  await writeFile(userconfig, "");
  return {
    PATH: [path.dirname(process.execPath), servers.pnpmBin, "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    HOME: process.env.HOME,
    NO_COLOR: "1",
    npm_config_userconfig: userconfig,
    npm_config_registry: servers.registry.url,
    npm_config_update_notifier: "false",
  };
}

/** The env of the `publish` job's step: GitHub Actions, `id-token: write`, changesets/action's CHANGESETS_OUTPUT. */
function publishJobEnv(dir: string, repository: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...base,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_REPOSITORY: repository,
    GITHUB_WORKFLOW_REF: `${repository}/.github/workflows/release.yml@refs/heads/main`,
    GITHUB_REF: "refs/heads/main",
    GITHUB_SHA: "0".repeat(40),
    GITHUB_OUTPUT: path.join(dir, ".out", "github-output"),
    GITHUB_STEP_SUMMARY: path.join(dir, ".out", "step-summary"),
    CHANGESETS_OUTPUT: path.join(dir, ".out", "changesets-output"),
    ...servers.idToken.githubEnv({ repository, workflowFile: "release.yml" }),
  };
}

/** `name=value` and `name<<DELIM` lines of a GITHUB_OUTPUT file. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const multi = /^([^=<]+)<<(.+)$/.exec(line);
    if (multi) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== multi[2]; i++) value.push(lines[i] ?? "");
      out[multi[1] as string] = value.join("\n");
    } else if (line.includes("=")) {
      out[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return out;
}

/**
 * A temp git copy of an example as the demo makes it: the PyPI index pointed at the stand-in, the changesets CLI
 * and the suite's packages linked into node_modules, the npm packages' current versions already on the
 * registry (the one-time manual first publish), and a changeset committed.
 */
async function prepare(name: string, changeset: string, firstPublished: string[]): Promise<string> {
  const dir = realpathSync(await mkdtemp(path.join(tmpdir(), `release-${name}-`)));
  temps.push(dir);
  await cp(path.join(examplesDir, name), dir, {
    recursive: true,
    filter: (src) => !/[/\\](node_modules|target|dist)$/.test(src),
  });
  const configFile = path.join(dir, ".changeset", "polyglot.json");
  const config = JSON.parse(await readFile(configFile, "utf8"));
  config.pypi = { ...config.pypi, index: servers.pypi.url.replace(/\/$/, "") };
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const nm = path.join(dir, "node_modules");
  await mkdir(path.join(nm, "@changesets"), { recursive: true });
  await mkdir(path.join(nm, "@polyglot-changesets"), { recursive: true });
  await symlink(
    realpathSync(path.join(root, "node_modules", "@changesets", "cli")),
    path.join(nm, "@changesets", "cli"),
  );
  for (const pkg of ["changelog", "version", "publish"]) {
    await symlink(path.join(root, "packages", pkg), path.join(nm, "@polyglot-changesets", pkg));
  }
  await writeFile(path.join(dir, ".gitignore"), "node_modules/\ntarget/\ndist/\n.out/\n");
  await mkdir(path.join(dir, ".out"));
  for (const folder of firstPublished) {
    const manifest = JSON.parse(await readFile(path.join(dir, folder, "package.json"), "utf8"));
    for (const deps of ["dependencies", "peerDependencies"]) {
      for (const [dep, range] of Object.entries(manifest[deps] ?? {})) {
        if (String(range).startsWith("workspace:")) manifest[deps][dep] = `^${manifest.version}`;
      }
    }
    await servers.registry.seed(manifest);
  }
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd: dir,
      stdio: "pipe",
    });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "initial");
  await writeFile(path.join(dir, ".changeset", "release.md"), changeset);
  git("add", "-A");
  git("commit", "-qm", "a changeset");
  return dir;
}

async function versionAndMerge(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const version = await run(process.execPath, [bin.version], dir, env);
  expect(version.status, version.output).toBe(0);
  // changesets/action commits every change of the version script, new CHANGELOG.md files included.
  execFileSync("git", ["add", "-A"], { cwd: dir, stdio: "pipe" });
  execFileSync(
    "git",
    ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "Version Packages"],
    {
      cwd: dir,
      stdio: "pipe",
    },
  );
}

async function registryVersions(name: string): Promise<string[]> {
  const res = await fetch(new URL(name.replace("/", "%2f"), servers.registry.url));
  if (res.status === 404) return [];
  return Object.keys(((await res.json()) as { versions?: object }).versions ?? {}).sort();
}

describe.skipIf(!ready)("a release of the examples against local stand-ins", () => {
  it("event-forge: OIDC publish of core, outputs for the PyPI job, then the PyPI job", async () => {
    const dir = await prepare(
      "event-forge",
      '---\n"@event-forge/inbox-outbox-core": minor\n---\n\nRetry failed publishes with backoff\n',
      ["core", "typeorm", "mongoose", "rabbitmq", "nestjs"].map((p) => `packages/${p}`),
    );
    const base = await baseEnv(dir);
    await versionAndMerge(dir, base);

    const publish = await run(
      process.execPath,
      [bin.publish, "--no-provenance"],
      dir,
      publishJobEnv(dir, EVENT_FORGE, base),
    );
    expect(publish.status, publish.output).toBe(0);
    expect(await registryVersions("@event-forge/inbox-outbox-core")).toEqual(["1.0.0", "1.1.0"]);
    expect(servers.registry.exchanges.length).toBeGreaterThan(0);
    const outputs = parseOutputs(await readFile(path.join(dir, ".out", "github-output"), "utf8"));
    expect(outputs.published).toBe("true");
    expect(outputs.pypi).toBe("true");
    expect(JSON.parse(outputs["pypi-packages"] ?? "[]")).toEqual([
      expect.objectContaining({
        name: "event-forge-inbox-outbox",
        version: "1.1.0",
        path: "packages/python",
      }),
    ]);
    expect(await readFile(path.join(dir, ".out", "changesets-output"), "utf8")).toContain(
      '"tag":"@event-forge/inbox-outbox-core@1.1.0"',
    );

    // The publish-pypi job: pypi-check, build, mint through trusted publishing (environment pypi), upload.
    const checkEnv = { ...base, GITHUB_OUTPUT: path.join(dir, ".out", "check-output") };
    const check = await run(process.execPath, [bin.publish, "pypi-check"], dir, checkEnv);
    expect(check.status, check.output).toBe(0);
    expect(parseOutputs(await readFile(checkEnv.GITHUB_OUTPUT, "utf8")).pypi).toBe("true");
    if (!hasPythonTools) return;

    const build = await run(
      debianPython,
      ["-m", "build", "--no-isolation", "--skip-dependency-check", "--outdir", "dist", "packages/python"],
      dir,
      base,
    );
    expect(build.status, build.output).toBe(0);
    // The upload step: polyglot-publish pypi-upload mints through trusted publishing (the job's ID token, the
    // environment pypi) and runs twine with the token only in its environment.
    const pypiJobEnv = {
      ...base,
      CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_OUTPUT: path.join(dir, ".out", "upload-output"),
      ...servers.idToken.githubEnv({
        repository: EVENT_FORGE,
        workflowFile: "release.yml",
        environment: "pypi",
      }),
    };
    const minted = servers.pypi.mintedTokens;
    const upload = await run(
      process.execPath,
      [bin.publish, "pypi-upload", "--oidc", "require", "--index", servers.pypi.url, "dist/"],
      dir,
      pypiJobEnv,
    );
    expect(upload.status, upload.output).toBe(0);
    expect(servers.pypi.mintedTokens).toBe(minted + 1);
    expect(parseOutputs(await readFile(pypiJobEnv.GITHUB_OUTPUT, "utf8"))["pypi-uploaded"]).toContain(
      '"name":"event-forge-inbox-outbox","version":"1.1.0"',
    );
    expect(servers.pypi.hasRelease("event-forge-inbox-outbox", "1.1.0")).toBe(true);

    // A re-run of the job finds the version there and skips the build and upload.
    const recheckEnv = { ...base, GITHUB_OUTPUT: path.join(dir, ".out", "recheck-output") };
    const recheck = await run(process.execPath, [bin.publish, "pypi-check"], dir, recheckEnv);
    expect(recheck.status, recheck.output).toBe(0);
    expect(parseOutputs(await readFile(recheckEnv.GITHUB_OUTPUT, "utf8")).pypi).toBe("false");
  });

  it("x0x: @x0x/core through OIDC, tags for the crate and Python bridges, the PEP 440 version for PyPI", async () => {
    const dir = await prepare("x0x", '---\n"x0x-crate": minor\n---\n\nFrames carry a checksum\n', [
      "bindings/node",
    ]);
    const base = await baseEnv(dir);
    await versionAndMerge(dir, base);

    const publish = await run(
      process.execPath,
      [bin.publish, "--no-provenance"],
      dir,
      publishJobEnv(dir, X0X, base),
    );
    expect(publish.status, publish.output).toBe(0);
    expect(await registryVersions("@x0x/core")).toEqual(["0.4.0", "0.5.0"]);
    const tags = await readFile(path.join(dir, ".out", "changesets-output"), "utf8");
    for (const tag of ["@x0x/core@0.5.0", "x0x-crate@0.5.0", "x0x-python@0.5.0"]) {
      expect(tags).toContain(`"tag":"${tag}"`);
    }
    const outputs = parseOutputs(await readFile(path.join(dir, ".out", "github-output"), "utf8"));
    expect(outputs.pypi).toBe("true");
    expect(JSON.parse(outputs["pypi-packages"] ?? "[]")).toEqual([
      expect.objectContaining({ name: "x0x", version: "0.5.0", path: "bindings/python" }),
    ]);
  });
});
