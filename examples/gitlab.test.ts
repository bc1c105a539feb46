// The GitLab pipeline of examples/event-forge, executed for real by gitlab-ci-local (a shell executor: images are
// ignored) against testkit's stand-ins: `publish-npm` publishes through npm trusted publishing with the job's
// NPM_ID_TOKEN, hands its outputs on as a dotenv report, and `publish-pypi` builds with Debian's tools and runs
// `polyglot-publish pypi-upload`, minting from PYPI_ID_TOKEN. The ID tokens are the variables GitLab would set for
// the jobs' `id_tokens:` (signed by testkit's GitLab issuer), each job getting only its own.
//
// What differs from gitlab.com, and why: `corepack enable` and `pnpm install` are no-ops (node_modules is linked to
// this workspace's packages, which are not on any registry); the npm registry and PyPI are the local stand-ins, so
// NPM_ID_TOKEN carries the audience of the local registry; and PUBLISH_FLAGS=--no-provenance, since Sigstore is
// unreachable offline.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type Testkit = typeof import("@polyglot-changesets/testkit");
type Servers = {
  gitlab: Awaited<ReturnType<Testkit["startGitlabIdTokenIssuer"]>>;
  registry: Awaited<ReturnType<Testkit["startRegistry"]>>;
  pypi: Awaited<ReturnType<Testkit["startPypi"]>>;
  pnpmBin: string;
};

const examplesDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(examplesDir);
const gitlabCiLocal = path.join(root, "node_modules", "gitlab-ci-local", "dist", "index.js");
const ready =
  ["testkit", "version", "publish", "changelog"].every((name) =>
    existsSync(path.join(root, "packages", name, "dist", "index.js")),
  ) && existsSync(gitlabCiLocal);
const missingTools = ["/usr/bin/twine", "/usr/bin/rsync"].filter((tool) => !existsSync(tool));
if (ready && missingTools.length > 0 && process.env.CI) {
  throw new Error(
    `the GitLab pipeline test needs ${missingTools.join(", ")}: bash scripts/install-python-tools.sh`,
  );
}

const PROJECT = "event-forge/event-forge";
let servers: Servers;
let dir: string;
let shims: string;

beforeAll(async () => {
  if (!ready || missingTools.length > 0) return;
  const testkit: Testkit = await import("@polyglot-changesets/testkit");
  const gitlab = await testkit.startGitlabIdTokenIssuer({ claims: { project_path: PROJECT } });
  const trust = { ...gitlab, provider: "gitlab" as const };
  const registry = await testkit.startRegistry({
    oidc: trust,
    trustedPublishers: [
      {
        provider: "gitlab",
        package: "@event-forge/*",
        projectPath: PROJECT,
        configPath: ".gitlab-ci.yml",
        environment: "npm",
      },
    ],
  });
  const pypi = await testkit.startPypi({
    oidc: trust,
    trustedPublishers: [
      {
        provider: "gitlab",
        project: "event-forge-inbox-outbox",
        projectPath: PROJECT,
        workflowFilepath: ".gitlab-ci.yml",
        environment: "pypi",
        pending: true,
      },
    ],
  });
  const pnpmBin = await testkit.ensureTool("pnpm@10.34.8");
  servers = { gitlab, registry, pypi, pnpmBin };
  dir = await prepare();
}, 120_000);

afterAll(async () => {
  if (servers) {
    await Promise.allSettled([servers.gitlab.close(), servers.registry.close(), servers.pypi.close()]);
  }
  if (dir) await rm(dir, { recursive: true, force: true });
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

function git(...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    cwd: dir,
    encoding: "utf8",
  });
}

/**
 * A git copy of the example on gitlab.com's project event-forge/event-forge, after a merged Version Packages MR:
 * the npm packages' current versions on the registry (the one-time first publish), then a changeset versioned by
 * polyglot-version and committed.
 */
async function prepare(): Promise<string> {
  const work = realpathSync(await mkdtemp(path.join(tmpdir(), "gitlab-event-forge-")));
  await cp(path.join(examplesDir, "event-forge"), work, {
    recursive: true,
    filter: (src) => !/[/\\](node_modules|dist)$/.test(src),
  });
  const configFile = path.join(work, ".changeset", "polyglot.json");
  const config = JSON.parse(await readFile(configFile, "utf8"));
  config.pypi = { ...config.pypi, index: servers.pypi.url.replace(/\/$/, "") };
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  await linkNodeModules(work);
  shims = path.join(work, ".shims");
  await mkdir(shims);
  // The image's set-up steps: node_modules is already linked (see the file comment).
  await writeFile(path.join(shims, "corepack"), "#!/bin/sh\nexit 0\n");
  await writeFile(
    path.join(shims, "pnpm"),
    `#!/bin/sh\nif [ "$1" = install ]; then echo "pnpm install: node_modules linked by the test"; exit 0; fi\nexec '${path.join(servers.pnpmBin, "pnpm")}' "$@"\n`,
  );
  // The node image's python3 is Debian's (where the job installs python3-build and twine).
  await symlink("/usr/bin/python3", path.join(shims, "python3"));
  for (const shim of ["corepack", "pnpm"]) chmodSync(path.join(shims, shim), 0o755);
  await mkdir(path.join(work, ".home"));
  await writeFile(
    path.join(work, ".gitignore"),
    "node_modules/\ndist/\n.shims/\n.home/\n.gitlab-ci-local*/\n*.env\n",
  );
  for (const folder of ["core", "typeorm", "mongoose", "rabbitmq", "nestjs"]) {
    const manifest = JSON.parse(await readFile(path.join(work, "packages", folder, "package.json"), "utf8"));
    for (const deps of ["dependencies", "peerDependencies"]) {
      for (const [dep, range] of Object.entries(manifest[deps] ?? {})) {
        if (String(range).startsWith("workspace:")) manifest[deps][dep] = `^${manifest.version}`;
      }
    }
    await servers.registry.seed(manifest);
  }
  dir = work;
  git("init", "-q", "-b", "main");
  git("remote", "add", "origin", `https://gitlab.com/${PROJECT}.git`);
  git("add", "-A");
  git("commit", "-qm", "initial");
  await writeFile(
    path.join(work, ".changeset", "retry.md"),
    '---\n"@event-forge/inbox-outbox-core": minor\n---\n\nRetry failed publishes with backoff\n',
  );
  const version = await run(
    process.execPath,
    [path.join(root, "packages/version/bin/polyglot-version.js")],
    work,
    jobEnv(),
  );
  expect(version.status, version.output).toBe(0);
  git("add", "-A");
  git("commit", "-qm", "chore(release): version packages");
  return work;
}

async function linkNodeModules(work: string): Promise<void> {
  const nm = path.join(work, "node_modules");
  await mkdir(path.join(nm, "@changesets"), { recursive: true });
  await mkdir(path.join(nm, "@polyglot-changesets"), { recursive: true });
  await mkdir(path.join(nm, ".bin"), { recursive: true });
  await symlink(
    realpathSync(path.join(root, "node_modules", "@changesets", "cli")),
    path.join(nm, "@changesets", "cli"),
  );
  for (const pkg of ["changelog", "version", "publish"]) {
    await symlink(path.join(root, "packages", pkg), path.join(nm, "@polyglot-changesets", pkg));
  }
  const bins: Record<string, string> = {
    "polyglot-publish": path.join(root, "packages/publish/bin/polyglot-publish.js"),
    "polyglot-version": path.join(root, "packages/version/bin/polyglot-version.js"),
    changeset: path.join(realpathSync(path.join(root, "node_modules", "@changesets", "cli")), "bin.js"),
  };
  for (const [name, target] of Object.entries(bins)) await symlink(target, path.join(nm, ".bin", name));
}

/** The runner's environment: Node 22 and the shims first, Debian's python3 and twine, no npm config or token. */
function jobEnv(): NodeJS.ProcessEnv {
  return {
    PATH: [shims, path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"]
      .filter(Boolean)
      .join(":"),
    // A runner's HOME: this machine's shell profile would put its own Python first on PATH.
    HOME: path.join(dir ?? tmpdir(), ".home"),
    LANG: "C.UTF-8",
    NO_COLOR: "1",
    npm_config_registry: servers.registry.url,
    npm_config_userconfig: path.join(dir ?? tmpdir(), ".empty-npmrc"),
    npm_config_update_notifier: "false",
    ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
  };
}

/** `gitlab-ci-local JOB` as a shell executor, with the variables GitLab sets for that job. */
function runJob(job: string, variables: Record<string, string>) {
  const args = [
    job,
    "--force-shell-executor",
    "--no-color",
    "--home",
    path.join(dir, ".gitlab-ci-local-home"),
    "--ignore-predefined-vars",
    "GITLAB_CI,CI_CONFIG_PATH",
    ...Object.entries({ GITLAB_CI: "true", CI_CONFIG_PATH: ".gitlab-ci.yml", ...variables }).flatMap(
      ([name, value]) => ["--variable", `${name}=${value}`],
    ),
  ];
  return run(process.execPath, [gitlabCiLocal, ...args], dir, jobEnv());
}

function dotenvOf(job: string): Record<string, string> {
  const folder = path.join(dir, ".gitlab-ci-local", "artifacts", job);
  const file = readdirSync(folder, { recursive: true }).find((name) => String(name).endsWith(".env"));
  const text = file ? readFileSync(path.join(folder, String(file)), "utf8") : "";
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

async function registryVersions(name: string): Promise<string[]> {
  const response = await fetch(new URL(name.replace("/", "%2f"), servers.registry.url));
  if (response.status === 404) return [];
  return Object.keys(((await response.json()) as { versions?: object }).versions ?? {}).sort();
}

describe.skipIf(!ready || missingTools.length > 0)(
  "examples/event-forge/.gitlab-ci.yml under gitlab-ci-local",
  () => {
    it("publish-npm publishes through NPM_ID_TOKEN; publish-pypi uploads through PYPI_ID_TOKEN; a re-run uploads nothing", async () => {
      const { gitlab, registry, pypi } = servers;
      const npmTokens = await gitlab.jobEnv(
        { NPM_ID_TOKEN: `npm:${new URL(registry.url).hostname}`, SIGSTORE_ID_TOKEN: "sigstore" },
        { environment: "npm" },
      );
      const npm = await runJob("publish-npm", {
        NPM_ID_TOKEN: npmTokens.NPM_ID_TOKEN ?? "",
        SIGSTORE_ID_TOKEN: npmTokens.SIGSTORE_ID_TOKEN ?? "",
        PUBLISH_FLAGS: "--no-provenance",
      });
      expect(npm.status, npm.output).toBe(0);
      expect(npm.output).toContain("PASS  publish-npm");
      expect(await registryVersions("@event-forge/inbox-outbox-core")).toEqual(["1.0.0", "1.1.0"]);
      const exchanged = registry.exchanges.filter((exchange) => exchange.status === 201);
      expect(exchanged.length).toBeGreaterThan(0);
      expect(exchanged[0]?.claims).toEqual({
        repository: PROJECT,
        workflow: ".gitlab-ci.yml",
        environment: "npm",
      });
      const outputs = dotenvOf("publish-npm");
      expect(outputs.PUBLISHED).toBe("true");
      expect(outputs.PYPI).toBe("true");
      expect(JSON.parse(outputs.PYPI_PACKAGES ?? "[]")).toMatchObject([
        { name: "event-forge-inbox-outbox", version: "1.1.0", path: "packages/python" },
      ]);

      const pypiToken = await gitlab.jobEnv({ PYPI_ID_TOKEN: "pypi" }, { environment: "pypi" });
      const upload = await runJob("publish-pypi", { PYPI_ID_TOKEN: pypiToken.PYPI_ID_TOKEN ?? "" });
      expect(upload.status, upload.output).toBe(0);
      expect(upload.output).toContain("authenticated by trusted publishing (GitLab CI, PYPI_ID_TOKEN)");
      expect(pypi.mintedTokens).toBe(1);
      expect(pypi.hasRelease("event-forge-inbox-outbox", "1.1.0")).toBe(true);
      expect(
        pypi.uploads
          .filter((entry) => entry.status === 200)
          .map((entry) => entry.filename)
          .sort(),
      ).toEqual(["event_forge_inbox_outbox-1.1.0-py3-none-any.whl", "event_forge_inbox_outbox-1.1.0.tar.gz"]);
      expect(JSON.parse(dotenvOf("publish-pypi").PYPI_UPLOADED ?? "[]")).toMatchObject([
        { name: "event-forge-inbox-outbox", version: "1.1.0" },
      ]);

      // A re-run of the job (a fresh ID token, as GitLab issues per job): everything is on PyPI, nothing is minted.
      const again = await gitlab.jobEnv({ PYPI_ID_TOKEN: "pypi" }, { environment: "pypi" });
      const rerun = await runJob("publish-pypi", { PYPI_ID_TOKEN: again.PYPI_ID_TOKEN ?? "" });
      expect(rerun.status, rerun.output).toBe(0);
      expect(rerun.output).toContain("nothing to upload");
      expect(pypi.mintedTokens).toBe(1);

      // No token in any log or dotenv report (gitlab-ci-local echoes the job's script, never the variables).
      const reports = [dotenvOf("publish-npm"), dotenvOf("publish-pypi")].map((values) =>
        JSON.stringify(values),
      );
      const secrets = [...gitlab.issued, ...registry.exchanges.flatMap((exchange) => exchange.token ?? [])];
      for (const secret of secrets) {
        for (const text of [npm.output, upload.output, rerun.output, ...reports])
          expect(text).not.toContain(secret);
      }
    }, 300_000);
  },
);
