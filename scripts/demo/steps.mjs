// The seven steps of `pnpm demo`. Each takes the shared context `ctx` and adds what later steps need:
// { options, testkit, step, closers, idToken, registry, pypi, tmp, repo, home, github, env, git, packages,
//   seedToken, changed, published, outputs, uploaded, skipped }.
import { existsSync, realpathSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  cleanEnv,
  log,
  note,
  readGithubOutput,
  run,
  secret,
  showOutput,
  table,
  tokenVariables,
} from "./lib.mjs";
import { buildDists } from "./pypi-job.mjs";
import {
  copyExample,
  findPnpm,
  linkSuite,
  linkWorkspaceDeps,
  npmPackages,
  pnpmSpec,
  readJson,
  writeToolShim,
} from "./workspace.mjs";

export const REPOSITORY = "event-forge/event-forge";
const REMOTE = `https://github.com/${REPOSITORY}.git`;
const WORKFLOW = "release.yml";
const PYPI_ENVIRONMENT = "pypi";
const PYTHON_PROJECT = "event-forge-inbox-outbox";
const SCOPE_PATTERN = "@event-forge/*";

/** The changesets of the demo's feature PRs. */
const CHANGESETS = [
  {
    file: "outbox-retry-policy.md",
    name: "@event-forge/inbox-outbox-core",
    bump: "minor",
    summary: "Outbox publisher: configurable retry policy (`maxAttempts`) for messages that fail to publish.",
  },
  {
    file: "rabbitmq-confirm-channel.md",
    name: "@event-forge/inbox-outbox-rabbitmq",
    bump: "patch",
    summary: "RabbitMQ publisher waits for broker confirms before it marks a message published.",
  },
];

/** 1. GitHub's ID-token endpoint, the npm registry and PyPI, with the example's trusted publishers. */
export async function startStandIns(ctx) {
  ctx.step("Start the stand-ins: GitHub's ID-token endpoint, an npm registry, a PyPI");
  const { testkit, closers } = ctx;
  ctx.idToken = await testkit.startIdTokenServer({
    claims: { repository: REPOSITORY, workflowFile: WORKFLOW },
  });
  closers.push(() => ctx.idToken.close());
  const oidc = { issuer: ctx.idToken.issuer, jwks: ctx.idToken.jwks };
  ctx.registry = await testkit.startRegistry({
    oidc,
    trustedPublishers: [{ package: SCOPE_PATTERN, repository: REPOSITORY, workflow: WORKFLOW }],
  });
  closers.push(() => ctx.registry.close());
  ctx.pypi = await testkit.startPypi({
    oidc,
    trustedPublishers: [
      { project: PYTHON_PROJECT, repository: REPOSITORY, workflow: WORKFLOW, environment: PYPI_ENVIRONMENT },
    ],
  });
  closers.push(() => ctx.pypi.close());
  note(
    `ID tokens   ${ctx.idToken.url}  (iss of every token; claims: repository ${REPOSITORY}, workflow ${WORKFLOW})`,
  );
  note(`npm         ${ctx.registry.url}  (Verdaccio 6 + OIDC exchange)`);
  note(`            trusted publisher: ${SCOPE_PATTERN} <- ${REPOSITORY}, .github/workflows/${WORKFLOW}`);
  note(`PyPI        ${ctx.pypi.url}  (warehouse's upload rules, JSON API, OIDC mint)`);
  note(
    `            trusted publisher: ${PYTHON_PROJECT} <- ${REPOSITORY}, ${WORKFLOW}, environment ${PYPI_ENVIRONMENT}`,
  );
}

/** 2. The temp copy of the example: git repo, registries configured, the suite linked in, pnpm on PATH. */
export async function prepareRepo(ctx) {
  ctx.step("Copy examples/event-forge into a temp git repo, with this checkout's suite linked in");
  const { registry, pypi } = ctx;
  ctx.tmp = realpathSync(await mkdtemp(join(tmpdir(), "polyglot-demo-")));
  const repo = join(ctx.tmp, "repo");
  const home = join(ctx.tmp, "home");
  const shims = join(ctx.tmp, "bin");
  const github = join(ctx.tmp, "github");
  const childTmp = join(ctx.tmp, "tmp");
  Object.assign(ctx, { repo, home, github });
  for (const dir of [home, shims, github, childTmp]) await mkdir(dir, { recursive: true });
  await copyExample(repo);
  await writeFile(join(repo, ".npmrc"), `registry=${registry.url}\n`);
  await writeFile(join(home, ".npmrc"), "");
  const polyglotJson = join(repo, ".changeset", "polyglot.json");
  const polyglotConfig = await readJson(polyglotJson);
  const wasIndex = polyglotConfig.pypi?.index ?? "https://pypi.org, the default";
  polyglotConfig.pypi = { ...polyglotConfig.pypi, index: pypi.url.replace(/\/$/, "") };
  await writeFile(polyglotJson, `${JSON.stringify(polyglotConfig, null, 2)}\n`);
  const { bin } = await linkSuite(repo);
  const workspaceLinks = await linkWorkspaceDeps(repo);
  const pnpmVersion = await pnpmSpec(repo);
  const pnpm = await findPnpm(ctx.testkit, pnpmVersion);
  await writeToolShim(join(shims, "pnpm"), pnpm.bin);
  ctx.env = cleanEnv({ home, tmp: childTmp, path: [bin, shims] });
  ctx.git = (...args) => run("git", args, { cwd: repo, env: ctx.env, quiet: true });
  const { git } = ctx;
  await git("init", "-q", "-b", "main");
  await git("config", "user.name", "Event-Forge Maintainer");
  await git("config", "user.email", "maintainers@event-forge.invalid");
  await git("config", "commit.gpgsign", "false");
  await git("remote", "add", "origin", REMOTE);
  await git("add", "-A");
  await git("commit", "-q", "--no-verify", "-m", "Initial commit");
  ctx.packages = (await npmPackages(repo)).filter((p) => !p.private);
  note(`${repo}  (origin ${REMOTE})`);
  note(`npm packages: ${ctx.packages.map((p) => `${p.name}@${p.version}`).join(", ")}`);
  note(`.npmrc: registry=${registry.url}   (no token; the user npmrc is empty)`);
  note(`.changeset/polyglot.json: pypi.index = ${polyglotConfig.pypi.index}   (was ${wasIndex})`);
  note(
    "node_modules: @changesets/cli and @polyglot-changesets/* linked to this checkout's builds (no install);",
  );
  note(`  .bin/changeset, polyglot-version, polyglot-publish; ${workspaceLinks} workspace: dependency links`);
  note(`pnpm on PATH: ${pnpmVersion} (the example's packageManager; ${pnpm.via})`);
}

/** 3. The manual first publish of every package with a user token, and 1.0.0 already on PyPI. */
export async function seedFirstVersions(ctx) {
  ctx.step("Seed the first versions: the manual first publish (trusted publishing cannot create a package)");
  const { registry, pypi, tmp, repo, env } = ctx;
  ctx.seedToken = secret(await registry.createUser("event-forge-maintainer"));
  const seedNpmrc = join(tmp, "seed.npmrc");
  await writeFile(seedNpmrc, `${registry.npmrcKey}:_authToken=${ctx.seedToken}\n`);
  note("a registry user token, in a throwaway npmrc for this step only:");
  try {
    await run("pnpm", ["-r", "publish", "--access", "public", "--no-git-checks"], {
      cwd: repo,
      env: { ...env, npm_config_userconfig: seedNpmrc },
      display:
        "pnpm -r publish --access public --no-git-checks   (npm_config_userconfig=<throwaway npmrc with the token>)",
      filter: (line) => /^\+ |ERR|error/.test(line),
    });
  } finally {
    await rm(seedNpmrc, { force: true });
  }
  pypi.seed(PYTHON_PROJECT, "1.0.0");
  note(`PyPI: ${PYTHON_PROJECT} 1.0.0 seeded (a release uploaded earlier)`);
  note("the throwaway npmrc is deleted: no npm token exists from here on");
}

/** 4. Changesets, `polyglot-version`, the Python diffs, the "Version Packages" commit. */
export async function versionPackages(ctx) {
  ctx.step("Changesets, then polyglot-version (the Version Packages PR)");
  const { repo, env, git, packages } = ctx;
  for (const { file, name, bump, summary } of CHANGESETS) {
    await writeFile(join(repo, ".changeset", file), `---\n"${name}": ${bump}\n---\n\n${summary}\n`);
    note(`.changeset/${file}: ${name} ${bump}`);
  }
  await git("add", ".changeset");
  await git("commit", "-q", "--no-verify", "-m", "Add changesets");
  note("offline changelog: no GITHUB_TOKEN, commit links from the repo URL");
  await run("polyglot-version", [], { cwd: repo, env, maxLines: 12 });
  const python = ["packages/python/pyproject.toml", "packages/python/src/event_forge/__init__.py"];
  const diff = await git("diff", "--", ...python);
  note(`$ git diff -- ${python.join(" ")}`);
  showOutput(diff.stdout, 60);
  await git("add", "-A");
  const stat = await git("diff", "--cached", "--stat");
  note("$ git add -A && git diff --cached --stat");
  showOutput(stat.stdout, 30);
  await git("commit", "-q", "--no-verify", "-m", "Version Packages");
  const mirrored = join(repo, "packages/python/CHANGELOG.md");
  if (existsSync(mirrored)) {
    note("$ head packages/python/CHANGELOG.md   (core's section, mirrored with the PEP 440 version)");
    showOutput((await readFile(mirrored, "utf8")).split("\n").slice(0, 12).join("\n"), 12);
  }
  const after = (await npmPackages(repo)).filter((p) => !p.private);
  const pyproject = await readFile(join(repo, "packages/python/pyproject.toml"), "utf8");
  const pythonVersion = /^version = "([^"]+)"/m.exec(pyproject)?.[1];
  ctx.changed = after.filter((p) => p.version !== packages.find((q) => q.name === p.name)?.version);
  note(
    `committed "Version Packages": ${ctx.changed.map((p) => `${p.name}@${p.version}`).join(", ")}, ${PYTHON_PROJECT}==${pythonVersion}`,
  );
  const version = (name) => after.find((p) => p.name === `@event-forge/inbox-outbox-${name}`)?.version;
  if (version("rabbitmq") === version("core")) {
    note(
      `  linked (.changeset/config.json): rabbitmq's patch goes to ${version("rabbitmq")} with core's minor`,
    );
  }
  const unchanged = after
    .filter((p) => !ctx.changed.includes(p))
    .map((p) => p.name.replace(/^@event-forge\//, ""));
  if (unchanged.length) note(`  no changeset, unchanged: ${unchanged.join(", ")}`);
  if (ctx.changed.length === 0) throw new Error("polyglot-version changed no package version");
}

/** 5. `polyglot-publish` in a simulated GitHub Actions job with `id-token: write` and no token anywhere. */
export async function publishNpm(ctx) {
  ctx.step("polyglot-publish in the publish job: GitHub Actions OIDC, no token anywhere");
  const { registry, idToken, repo, home, github, env, git } = ctx;
  const publishOutput = join(github, "publish.output");
  const publishSummary = join(github, "publish.summary.md");
  const changesetsOutput = join(github, "changesets-output.ndjson");
  const publishEnv = {
    ...env,
    ...idToken.githubEnv(),
    GITHUB_OUTPUT: publishOutput,
    GITHUB_STEP_SUMMARY: publishSummary,
    CHANGESETS_OUTPUT: changesetsOutput,
  };
  for (const file of [publishOutput, publishSummary]) await writeFile(file, "");
  const leaks = tokenVariables(publishEnv);
  for (const file of [join(repo, ".npmrc"), join(home, ".npmrc")]) {
    if (/_auth/i.test(await readFile(file, "utf8"))) leaks.push(file);
  }
  if (leaks.length) throw new Error(`a token leaked into the publish job: ${leaks.join(", ")}`);
  note("env: GITHUB_ACTIONS=true, ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN (permissions: id-token: write),");
  note("     GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, CHANGESETS_OUTPUT; no NPM_TOKEN / NODE_AUTH_TOKEN;");
  note("     .npmrc has registry= only, the user npmrc is empty");
  note(
    "--no-provenance: provenance needs Sigstore (Fulcio, Rekor), which this offline machine cannot reach;",
  );
  note("     on GitHub Actions leave the flag off and every package gets a provenance statement");
  const exchangesBefore = registry.exchanges.length;
  const requestsBefore = registry.requests.length;
  await run("polyglot-publish", ["--oidc", "require", "--no-provenance"], { cwd: repo, env: publishEnv });

  const exchanges = registry.exchanges.slice(exchangesBefore);
  const granted = exchanges.filter((e) => e.status === 201);
  for (const exchange of granted) secret(exchange.token);
  const perPackage = new Map();
  for (const e of granted) perPackage.set(e.package, (perPackage.get(e.package) ?? 0) + 1);
  const counts = [...perPackage].map(([name, n]) => `${name} x${n}`).join(", ") || "none";
  note(`registry: ${exchanges.length} OIDC token exchange(s), ${granted.length} granted: ${counts}`);
  if ([...perPackage.values()].every((n) => n === 2)) {
    note(
      "  (the preflight proves each trusted publisher before anything is published; npm exchanges again for its PUT)",
    );
  }
  for (const refused of exchanges.filter((e) => e.status !== 201)) {
    note(`  refused: ${refused.package} ${refused.status} ${refused.reason}`);
  }
  if (granted.length === 0) throw new Error("no OIDC exchange was granted: the publish did not use OIDC");
  // Every publish must have been authorized by a token the exchange minted (not the seed step's user token).
  const exchangedTokens = new Set(granted.map((e) => e.token));
  const puts = registry.requests.slice(requestsBefore).filter((r) => r.method === "PUT");
  const putAuth = puts.map((r) => {
    const bearer = /^Bearer (.+)$/i.exec(r.headers.authorization ?? "")?.[1];
    if (bearer && exchangedTokens.has(bearer)) return "exchanged";
    return bearer === ctx.seedToken ? "user token" : "other";
  });
  const viaOidc = putAuth.filter((a) => a === "exchanged").length;
  note(`registry: ${puts.length} publish PUT(s), ${viaOidc} authorized by an exchanged OIDC token`);
  if (viaOidc !== puts.length) {
    throw new Error(`a publish PUT was not authorized by an exchanged OIDC token: ${putAuth.join(", ")}`);
  }

  const tags = (await git("tag", "--list")).stdout.trim().split("\n").filter(Boolean);
  const events = existsSync(changesetsOutput)
    ? (await readFile(changesetsOutput, "utf8")).split("\n").filter((l) => l.includes('"git-tag"')).length
    : 0;
  note(`CHANGESETS_OUTPUT: ${events} git-tag event(s); git tags: ${tags.join(", ") || "none"}`);
  note("  (changesets/action pushes these tags and creates the GitHub releases)");
  ctx.outputs = await readGithubOutput(publishOutput);
  note("GITHUB_OUTPUT:");
  for (const name of ["published", "published-packages", "pypi", "pypi-packages"]) {
    note(`  ${name}=${ctx.outputs[name] ?? "(not set)"}`);
  }
  const summary = existsSync(publishSummary) ? await readFile(publishSummary, "utf8") : "";
  if (summary.trim()) {
    note("GITHUB_STEP_SUMMARY:");
    showOutput(summary, 20);
  }
  ctx.published = parseJsonOutput(ctx.outputs, "published-packages");
  if (ctx.outputs.published !== "true" || ctx.published.length === 0) {
    throw new Error("polyglot-publish published nothing (published != true)");
  }
}

/**
 * 6. The `publish-pypi` job: pypi-check, build, then `polyglot-publish pypi-upload`, which mints through PyPI
 * trusted publishing (audience from `/_/oidc/audience`, the job's ID token, `POST /_/oidc/mint-token`) and
 * uploads with twine, the token only in twine's environment; a re-run finds nothing to upload.
 */
export async function publishPypi(ctx) {
  ctx.step("The publish-pypi job (needs: publish, if: pypi == 'true', environment: pypi)");
  const { options, pypi, idToken, tmp, repo, github, env } = ctx;
  ctx.uploaded = [];
  ctx.skipped = [];
  if (ctx.outputs.pypi !== "true") {
    note("pypi=false: the job is skipped");
    return;
  }
  const jobOutput = join(github, "publish-pypi.output");
  await writeFile(jobOutput, "");
  const jobEnv = {
    ...env,
    ...idToken.githubEnv({ environment: PYPI_ENVIRONMENT }),
    GITHUB_OUTPUT: jobOutput,
    GITHUB_STEP_SUMMARY: join(github, "publish-pypi.summary.md"),
  };
  const index = pypi.url.replace(/\/$/, "");
  await run("polyglot-publish", ["pypi-check", "--index", index], { cwd: repo, env: jobEnv });
  const checked = parseJsonOutput(await readGithubOutput(jobOutput), "pypi-packages");
  if (checked.length === 0) throw new Error("pypi-check found nothing to upload");
  const tools = options.skipPypi ? { python: undefined, reason: "--skip-pypi was given" } : ctx.python;
  const skipReason = !tools.python
    ? tools.reason
    : tools.twine
      ? undefined
      : `twine is not installed for ${tools.python} (pypi-upload uploads with twine)`;
  if (skipReason) {
    for (const target of checked) {
      note(`build of ${target.name} ${target.version} skipped: ${skipReason}`);
      ctx.skipped.push({ ...target, why: skipReason });
    }
    note(
      "without a built sdist and wheel there is nothing to upload: the OIDC mint and upload are skipped too",
    );
    return;
  }
  const dist = join(tmp, "pypi-dist");
  const built = [];
  for (const target of checked) {
    const files = await buildDists(tools.python, join(repo, target.path), join(dist, target.name), env);
    note(`built: ${files.map((f) => f.replace(/.*\//, "")).join(", ")}`);
    built.push({ ...target, files });
  }
  const upload = async () => {
    await writeFile(jobOutput, "");
    await run(
      "polyglot-publish",
      ["pypi-upload", "--index", index, ...built.flatMap((target) => target.files)],
      {
        cwd: repo,
        env: jobEnv,
        maxLines: 12,
      },
    );
    return parseJsonOutput(await readGithubOutput(jobOutput), "pypi-uploaded");
  };
  const uploaded = await upload();
  for (const release of uploaded) {
    const target = built.find((entry) => entry.name === release.name);
    ctx.uploaded.push({ ...(target ?? release), files: release.files });
  }
  const accepted = pypi.uploads.filter((u) => u.status === 200).length;
  note(`PyPI: ${pypi.mintedTokens} token(s) minted, ${accepted} file(s) accepted`);
  note("a re-run of the job finds every file on the index: nothing minted, nothing uploaded:");
  const again = await upload();
  if (again.length !== 0) throw new Error(`pypi-upload re-run uploaded ${JSON.stringify(again)}`);
  note(`PyPI: still ${pypi.mintedTokens} token(s) minted`);
}

/** 7. The table of what landed where, and each row checked with `npm view` / the PyPI JSON API. Returns ok. */
export async function summarize(ctx) {
  ctx.step("What landed where, checked against the registries");
  const { registry, pypi, tmp, env } = ctx;
  const rows = [["package", "ecosystem", "version", "registry"]];
  const expected = [];
  for (const pkg of ctx.changed) {
    const report = ctx.published.find((p) => p.name === pkg.name);
    if (!report)
      throw new Error(`${pkg.name}@${pkg.version} was versioned but polyglot-publish did not report it`);
    if (report.version !== pkg.version) {
      throw new Error(
        `${pkg.name}: polyglot-publish reported ${report.version}, package.json has ${pkg.version}`,
      );
    }
    rows.push([pkg.name, "npm", pkg.version, registry.url]);
    expected.push({ ecosystem: "npm", name: pkg.name, version: pkg.version });
  }
  for (const target of ctx.uploaded) {
    rows.push([target.name, "PyPI", target.version, pypi.url]);
    expected.push({ ecosystem: "pypi", name: target.name, version: target.version });
  }
  for (const target of ctx.skipped) rows.push([target.name, "PyPI", `${target.version} (not built)`, "-"]);
  log();
  for (const line of table(rows).split("\n")) note(line);
  log();

  const checks = await Promise.all(
    expected.map(async (row) => {
      if (row.ecosystem === "npm") {
        const result = await run("npm", ["view", row.name, "version", "--registry", registry.url], {
          cwd: tmp,
          env,
          quiet: true,
          allowFail: true,
        });
        return {
          ...row,
          how: `npm view ${row.name} version`,
          got: result.stdout.trim() || `(exit ${result.code})`,
        };
      }
      const project = await fetch(new URL(`pypi/${row.name}/json`, pypi.url));
      const latest = project.ok ? (await project.json()).info?.version : `(HTTP ${project.status})`;
      const release = await fetch(new URL(`pypi/${row.name}/${row.version}/json`, pypi.url));
      const got = release.ok ? latest : `${latest}; ${row.version}: HTTP ${release.status}`;
      return { ...row, how: `GET /pypi/${row.name}/json`, got };
    }),
  );
  const mismatches = checks.filter((check) => check.got !== check.version);
  for (const check of checks) {
    const ok = !mismatches.includes(check);
    note(
      `${ok ? "ok      " : "MISMATCH"} ${check.how} -> ${check.got}${ok ? "" : ` (table: ${check.version})`}`,
    );
  }
  if (mismatches.length) {
    note(`${mismatches.length} of ${checks.length} registry answers disagree with the table`);
    return false;
  }
  const skippedNote = ctx.skipped.length ? `; PyPI upload skipped: ${ctx.skipped[0].why}` : "";
  note(
    `agree: npm view and the PyPI JSON API report every version in the table (${checks.length} of ${checks.length})${skippedNote}`,
  );
  return true;
}

function parseJsonOutput(outputs, name) {
  const raw = outputs[name];
  if (raw === undefined || raw === "") return [];
  try {
    const value = JSON.parse(raw);
    return Array.isArray(value) ? value : [];
  } catch {
    throw new Error(`GITHUB_OUTPUT ${name} is not JSON: ${raw}`);
  }
}
