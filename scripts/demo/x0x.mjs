// `pnpm demo --example x0x`: the release of examples/x0x (crates x0x-types and x0x, the npm package @x0x/core,
// the Python package x0x) on a temp copy against the testkit stand-ins: changeset -> polyglot-version ->
// polyglot-publish (the crates in layers through crates.io trusted publishing with the real cargo, then
// @x0x/core through npm OIDC, then the PyPI hand-off) -> what landed where, checked against the registries.
import { existsSync, realpathSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { cleanEnv, log, note, ROOT, readGithubOutput, run, secret, showOutput, table } from "./lib.mjs";
import { findPnpm, linkSuite, pnpmSpec, readJson, writeToolShim } from "./workspace.mjs";

export const X0X_STEPS = 6;
export const X0X_EXAMPLE = join(ROOT, "examples", "x0x");
const REPOSITORY = "x0x/x0x";
const WORKFLOW = "release.yml";
const CRATES = ["x0x-types", "x0x"];
const SKIP = new Set(["node_modules", "target", "dist", "__pycache__"]);

/** The real cargo (rustup's proxy in ~/.cargo/bin, or the first on PATH). */
export function findCargoBin(env = process.env) {
  const home = env.HOME ?? "";
  const candidates = [
    env.CARGO,
    join(env.CARGO_HOME ?? join(home, ".cargo"), "bin", "cargo"),
    ...(env.PATH ?? "").split(":").map((dir) => join(dir, "cargo")),
  ];
  return candidates.find((file) => file && existsSync(file));
}

/** The whole x0x release; returns true when every registry agrees with the table. */
export async function runX0xDemo(ctx) {
  const cargo = findCargoBin();
  if (!cargo) {
    const error = new Error("the x0x demo publishes crates with the real cargo: install Rust (rustup) first");
    error.usage = true;
    throw error;
  }
  ctx.cargo = cargo;
  await startStandIns(ctx);
  await prepareRepo(ctx);
  await seedFirstVersions(ctx);
  await versionPackages(ctx);
  await publish(ctx);
  return summarize(ctx);
}

/** 1. GitHub's ID-token endpoint, crates.io, npm and PyPI, with x0x's trusted publishers. */
async function startStandIns(ctx) {
  ctx.step("Start the stand-ins: GitHub's ID-token endpoint, a crates.io, an npm registry, a PyPI");
  const { testkit, closers } = ctx;
  ctx.idToken = await testkit.startIdTokenServer({
    claims: { repository: REPOSITORY, workflowFile: WORKFLOW },
  });
  closers.push(() => ctx.idToken.close());
  const oidc = { issuer: ctx.idToken.issuer, jwks: ctx.idToken.jwks };
  ctx.crates = await testkit.startCrates({
    oidc,
    visibilityDelayMs: 500,
    trustedPublishers: CRATES.map((crate) => ({ crate, repository: REPOSITORY, workflow: WORKFLOW })),
  });
  closers.push(() => ctx.crates.close());
  ctx.registry = await testkit.startRegistry({
    oidc,
    trustedPublishers: [{ package: "@x0x/*", repository: REPOSITORY, workflow: WORKFLOW }],
  });
  closers.push(() => ctx.registry.close());
  ctx.pypi = await testkit.startPypi({ oidc });
  closers.push(() => ctx.pypi.close());
  note(`ID tokens   ${ctx.idToken.url}  (claims: repository ${REPOSITORY}, workflow ${WORKFLOW})`);
  note(`crates.io   ${ctx.crates.url}  (sparse index ${ctx.crates.indexUrl}, trusted publishing exchange)`);
  note(`            trusted publishers: ${CRATES.join(", ")} <- ${REPOSITORY}, ${WORKFLOW}`);
  note(
    `npm         ${ctx.registry.url}  (Verdaccio 6 + OIDC exchange; @x0x/* <- ${REPOSITORY}, ${WORKFLOW})`,
  );
  note(`PyPI        ${ctx.pypi.url}  (the hand-off's pypi-check reads it)`);
}

/** 2. The temp copy: git repo, the registries configured, the suite linked in, pnpm and cargo on PATH. */
async function prepareRepo(ctx) {
  ctx.step("Copy examples/x0x into a temp git repo, with this checkout's suite linked in");
  ctx.tmp = realpathSync(await mkdtemp(join(tmpdir(), "polyglot-demo-x0x-")));
  const repo = join(ctx.tmp, "repo");
  const home = join(ctx.tmp, "home");
  const shims = join(ctx.tmp, "bin");
  const github = join(ctx.tmp, "github");
  const childTmp = join(ctx.tmp, "tmp");
  Object.assign(ctx, { repo, home, github });
  for (const dir of [home, shims, github, childTmp]) await mkdir(dir, { recursive: true });
  await cp(X0X_EXAMPLE, repo, { recursive: true, filter: (source) => !SKIP.has(basename(source)) });
  await writeFile(join(repo, ".npmrc"), `registry=${ctx.registry.url}\n`);
  await writeFile(join(home, ".npmrc"), "");
  // cargo cannot send crates.io's traffic elsewhere: the stand-in is the named registry `testkit`.
  await mkdir(join(repo, ".cargo"));
  await writeFile(
    join(repo, ".cargo", "config.toml"),
    `[registries.testkit]\nindex = "${ctx.crates.indexUrl}"\n`,
  );
  const config = await readJson(join(repo, ".changeset", "polyglot.json"));
  config.pypi = { ...config.pypi, index: ctx.pypi.url.replace(/\/$/, "") };
  config.crates = { registry: "testkit" };
  await writeFile(join(repo, ".changeset", "polyglot.json"), `${JSON.stringify(config, null, 2)}\n`);
  const x0xToml = join(repo, "crates", "x0x", "Cargo.toml");
  const manifest = await readFile(x0xToml, "utf8");
  await writeFile(
    x0xToml,
    manifest.replace('version = "0.4.0" }', 'version = "0.4.0", registry = "testkit" }'),
  );
  const { bin } = await linkSuite(repo);
  const pnpm = await findPnpm(ctx.testkit, await pnpmSpec(repo));
  await writeToolShim(join(shims, "pnpm"), pnpm.bin);
  ctx.env = cleanEnv({
    home,
    tmp: childTmp,
    path: [bin, shims, dirname(ctx.cargo)],
    extra: {
      CARGO_HOME: join(ctx.tmp, "cargo-home"),
      RUSTUP_HOME: process.env.RUSTUP_HOME ?? join(process.env.HOME ?? "", ".rustup"),
    },
  });
  ctx.git = (...args) => run("git", args, { cwd: repo, env: ctx.env, quiet: true });
  await ctx.git("init", "-q", "-b", "main");
  await ctx.git("config", "user.name", "x0x Maintainer");
  await ctx.git("config", "user.email", "maintainers@x0x.invalid");
  await ctx.git("config", "commit.gpgsign", "false");
  await ctx.git("add", "-A");
  await ctx.git("commit", "-q", "--no-verify", "-m", "Initial commit");
  note(`${repo}`);
  note(`.cargo/config.toml: [registries.testkit] index = ${ctx.crates.indexUrl}`);
  note(
    '.changeset/polyglot.json: crates.registry = "testkit" (crates.io by default), pypi.index = the stand-in',
  );
  note('crates/x0x/Cargo.toml: registry = "testkit" on the x0x-types path dependency (crates.io needs none)');
  note(`cargo: ${ctx.cargo} with a fresh CARGO_HOME; no CARGO_REGISTRY_TOKEN anywhere`);
}

/** 3. What trusted publishing cannot do: the first versions, "published by hand" earlier. */
async function seedFirstVersions(ctx) {
  ctx.step("Seed the first versions (trusted publishing cannot create a crate or a package)");
  for (const crate of CRATES) ctx.crates.seed(crate, "0.4.0");
  note(`crates.io: ${CRATES.map((crate) => `${crate} 0.4.0`).join(", ")}`);
  const manifest = await readJson(join(ctx.repo, "bindings", "node", "package.json"));
  await ctx.registry.seed(manifest);
  note(`npm: ${manifest.name} ${manifest.version}`);
}

/** 4. A changeset for the crate, polyglot-version, the Version Packages commit. */
async function versionPackages(ctx) {
  ctx.step("A changeset, then polyglot-version (the Version Packages PR)");
  const { repo, env, git } = ctx;
  await writeFile(
    join(repo, ".changeset", "frames.md"),
    '---\n"x0x-crate": minor\n---\n\nFrames carry an Adler-32 checksum\n',
  );
  note(".changeset/frames.md: x0x-crate minor (fixed group: all four packages move)");
  await git("add", "-A");
  await git("commit", "-q", "--no-verify", "-m", "Add a changeset");
  await run("polyglot-version", [], { cwd: repo, env, maxLines: 12 });
  const diff = await git("diff", "--", "crates/x0x-types/Cargo.toml", "crates/x0x/Cargo.toml");
  note("$ git diff -- crates/x0x-types/Cargo.toml crates/x0x/Cargo.toml");
  showOutput(diff.stdout, 40);
  await git("add", "-A");
  await git("commit", "-q", "--no-verify", "-m", "Version Packages");
  ctx.version = (await readJson(join(repo, "crates", "x0x", "package.json"))).version;
  note(`committed "Version Packages": every package at ${ctx.version}`);
}

/** 5. polyglot-publish in the publish job: crates (layers, trusted publishing), then npm, then the PyPI outputs. */
async function publish(ctx) {
  ctx.step("polyglot-publish in the publish job: crates first (layers, trusted publishing), then npm");
  const { repo, github, env, crates, idToken } = ctx;
  const output = join(github, "publish.output");
  const summary = join(github, "publish.summary.md");
  for (const file of [output, summary]) await writeFile(file, "");
  const jobEnv = {
    ...env,
    ...idToken.githubEnv(),
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    CHANGESETS_OUTPUT: join(github, "changesets-output.ndjson"),
  };
  const eventsBefore = crates.events.length;
  await run("polyglot-publish", ["--oidc", "require", "--no-provenance"], {
    cwd: repo,
    env: jobEnv,
    maxLines: 60,
  });
  for (const token of crates.issuedTokens) secret(token);
  const events = crates.events.slice(eventsBefore);
  note(
    `crates.io: ${events.map((event) => (event.type === "publish" ? `publish ${event.crate}@${event.version}` : event.type)).join(" -> ")}`,
  );
  const order = events.filter((event) => event.type === "publish").map((event) => event.crate);
  if (order.join(",") !== CRATES.join(","))
    throw new Error(`crates published out of order: ${order.join(", ")}`);
  if (!events.some((event) => event.type === "revoke"))
    throw new Error("the trusted-publishing token was not revoked");
  ctx.outputs = await readGithubOutput(output);
  note("GITHUB_OUTPUT:");
  for (const name of [
    "crates",
    "crates-packages",
    "published",
    "published-packages",
    "pypi",
    "pypi-packages",
  ]) {
    note(`  ${name}=${ctx.outputs[name] ?? "(not set)"}`);
  }
  note("GITHUB_STEP_SUMMARY:");
  showOutput(await readFile(summary, "utf8"), 20);
}

/** 6. The table, each row asked of its registry. */
async function summarize(ctx) {
  ctx.step("What landed where, checked against the registries");
  const { crates, registry, version } = ctx;
  const npm = await fetch(new URL("@x0x%2fcore", registry.url)).then((answer) => answer.json());
  const pypiPackages = JSON.parse(ctx.outputs["pypi-packages"] || "[]");
  const rows = [
    ["package", "ecosystem", "version", "where", "registry says"],
    ...CRATES.map((crate) => [
      crate,
      "crates.io",
      version,
      crates.indexUrl,
      crates.visibleVersions(crate).join(", "),
    ]),
    ["@x0x/core", "npm", version, registry.url, Object.keys(npm.versions ?? {}).join(", ")],
    ...pypiPackages.map((entry) => [
      entry.name,
      "PyPI",
      entry.version,
      "handed to the PyPI job",
      `tag ${entry.tag}`,
    ]),
  ];
  log();
  for (const line of table(rows).split("\n")) note(line);
  log();
  const agree =
    CRATES.every((crate) => crates.visibleVersions(crate).includes(version)) &&
    Object.keys(npm.versions ?? {}).includes(version) &&
    pypiPackages.some((entry) => entry.name === "x0x");
  note(
    agree
      ? `agree: the crates index and the npm registry hold ${version}; PyPI gets x0x ${version} from the wheels job (maturin)`
      : "MISMATCH: a registry does not hold what the table says",
  );
  return agree;
}
