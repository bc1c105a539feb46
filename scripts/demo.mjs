#!/usr/bin/env node
// `pnpm demo`: the whole release of examples/event-forge (five npm packages, one PyPI package) on a temp copy,
// against local stand-ins from packages/testkit: changesets -> polyglot-version -> polyglot-publish through
// npm trusted publishing (OIDC, no token) -> the PyPI job (build, OIDC mint, upload) -> what landed where.
// Plain ESM on Node 22, importing only the built workspace packages and Node built-ins.
import { existsSync, realpathSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  cleanEnv,
  killChildren,
  log,
  note,
  ROOT,
  readGithubOutput,
  run,
  seconds,
  secret,
  setVerbose,
  showOutput,
  stepper,
  table,
  tokenVariables,
} from "./demo/lib.mjs";
import { buildDists, findPython, mintPypiToken, multipartUpload, twineUpload } from "./demo/pypi-job.mjs";
import {
  copyExample,
  EXAMPLE,
  findPnpm,
  linkSuite,
  linkWorkspaceDeps,
  npmPackages,
  PNPM_SPEC,
  readJson,
  writeShim,
} from "./demo/workspace.mjs";

const REPOSITORY = "event-forge/event-forge";
const REMOTE = `https://github.com/${REPOSITORY}.git`;
const WORKFLOW = "release.yml";
const PYPI_ENVIRONMENT = "pypi";
const PYTHON_PROJECT = "event-forge-inbox-outbox";
const SCOPE_PATTERN = "@event-forge/*";
const STEPS = 7;

const CHANGESETS = {
  "outbox-retry-policy.md": `---
"@event-forge/inbox-outbox-core": minor
---

Outbox publisher: configurable retry policy (\`maxAttempts\`) for messages that fail to publish.
`,
  "rabbitmq-confirm-channel.md": `---
"@event-forge/inbox-outbox-rabbitmq": patch
---

RabbitMQ publisher waits for broker confirms before it marks a message published.
`,
};

const USAGE = `Usage: node scripts/demo.mjs [--keep] [--verbose] [--python PATH] [--no-twine]

Runs a whole release of examples/event-forge on a temp copy against local stand-ins (npm registry with
trusted publishing, PyPI, GitHub's ID-token endpoint). Build first: pnpm run build (pnpm demo does).

  --keep          keep the temp dir (the repo, GITHUB_OUTPUT files, built Python files) and print its path
  --verbose       show every line of every command's output
  --python PATH   the Python that builds the sdist and wheel (needs the build and hatchling modules);
                  default /usr/bin/python3, then python3. Without one the PyPI build and upload are skipped.
  --no-twine      upload with the multipart POST twine would send, from Node, even where twine is installed`;

class UsageError extends Error {}

function parseArgs(argv) {
  const options = { keep: false, verbose: false, twine: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--keep") options.keep = true;
    else if (arg === "--verbose") options.verbose = true;
    else if (arg === "--no-twine") options.twine = false;
    else if (arg === "--python" || arg.startsWith("--python=")) {
      options.python = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      if (!options.python) throw new UsageError("--python needs a path");
    } else if (arg === "-h" || arg === "--help") options.help = true;
    else throw new UsageError(`unknown argument: ${arg}`);
  }
  return options;
}

/** The built testkit (its index, plus modules a not-yet-updated index may not export). */
async function loadTestkit() {
  const dist = join(ROOT, "packages", "testkit", "dist");
  const testkit = { ...(await import(pathToFileURL(join(dist, "index.js")).href)) };
  for (const [name, file] of [
    ["startIdTokenServer", "id-token.js"],
    ["startRegistry", "registry.js"],
    ["ensureTool", "tools.js"],
  ]) {
    if (typeof testkit[name] !== "function" && existsSync(join(dist, file))) {
      Object.assign(testkit, await import(pathToFileURL(join(dist, file)).href));
    }
  }
  const missing = ["startIdTokenServer", "startRegistry", "startPypi"].filter(
    (name) => typeof testkit[name] !== "function",
  );
  if (missing.length) throw new UsageError(`packages/testkit has no ${missing.join(", ")}: rebuild it`);
  return testkit;
}

function checkBuilt() {
  const needed = [
    "packages/testkit/dist/index.js",
    "packages/core/dist/index.js",
    "packages/changelog/dist/index.js",
    "packages/version/dist/cli.js",
    "packages/publish/dist/cli.js",
    "examples/event-forge/package.json",
    "node_modules/@changesets/cli/bin.js",
  ].filter((file) => !existsSync(join(ROOT, file)));
  if (needed.length) {
    throw new UsageError(
      `missing: ${needed.join(", ")}\nBuild first: npx -y pnpm@10.34.8 run build (pnpm demo builds, then runs this)`,
    );
  }
}

async function main(options) {
  const started = performance.now();
  const step = stepper(STEPS);
  const closers = [];
  let tmp;
  let failed = false;
  try {
    checkBuilt();
    const testkit = await loadTestkit();

    // 1 ------------------------------------------------------------------------------------------------------
    step("Start the stand-ins: GitHub's ID-token endpoint, an npm registry, a PyPI");
    const idToken = await testkit.startIdTokenServer({
      claims: { repository: REPOSITORY, workflowFile: WORKFLOW },
    });
    closers.push(() => idToken.close());
    const oidc = { issuer: idToken.issuer, jwks: idToken.jwks };
    const registry = await testkit.startRegistry({
      oidc,
      trustedPublishers: [{ package: SCOPE_PATTERN, repository: REPOSITORY, workflow: WORKFLOW }],
    });
    closers.push(() => registry.close());
    const pypi = await testkit.startPypi({
      oidc,
      trustedPublishers: [
        {
          project: PYTHON_PROJECT,
          repository: REPOSITORY,
          workflow: WORKFLOW,
          environment: PYPI_ENVIRONMENT,
        },
      ],
    });
    closers.push(() => pypi.close());
    note(
      `ID tokens   ${idToken.url}  (iss of every token; claims: repository ${REPOSITORY}, workflow ${WORKFLOW})`,
    );
    note(`npm         ${registry.url}  (Verdaccio 6 + OIDC exchange)`);
    note(`            trusted publisher: ${SCOPE_PATTERN} <- ${REPOSITORY}, .github/workflows/${WORKFLOW}`);
    note(`PyPI        ${pypi.url}  (warehouse's upload rules, JSON API, OIDC mint)`);
    note(
      `            trusted publisher: ${PYTHON_PROJECT} <- ${REPOSITORY}, ${WORKFLOW}, environment ${PYPI_ENVIRONMENT}`,
    );

    // 2 ------------------------------------------------------------------------------------------------------
    step("Copy examples/event-forge into a temp git repo, with this checkout's suite linked in");
    tmp = realpathSync(await mkdtemp(join(tmpdir(), "polyglot-demo-")));
    onSignal = async () => {
      await killChildren();
      if (!options.keep) await rm(tmp, { recursive: true, force: true });
      else log(`Kept: ${tmp}`);
    };
    const repo = join(tmp, "repo");
    const home = join(tmp, "home");
    const shims = join(tmp, "bin");
    const github = join(tmp, "github");
    for (const dir of [home, shims, github, join(tmp, "tmp")]) await mkdir(dir, { recursive: true });
    await copyExample(repo);
    await writeFile(join(repo, ".npmrc"), `registry=${registry.url}\n`);
    // The same line in the (throwaway) user npmrc: `changeset publish --from-pack-dir` runs `pnpm publish
    // <tarball>` in each package folder, and pnpm 10 hands a tarball to npm without the workspace .npmrc's
    // registry (npm then reads only packages/<name>/.npmrc and the user npmrc). No token in either file.
    await writeFile(join(home, ".npmrc"), `registry=${registry.url}\n`);
    const polyglotJson = join(repo, ".changeset", "polyglot.json");
    const polyglotConfig = await readJson(polyglotJson);
    polyglotConfig.pypi = { ...polyglotConfig.pypi, index: pypi.url.replace(/\/$/, "") };
    await writeFile(polyglotJson, `${JSON.stringify(polyglotConfig, null, 2)}\n`);
    const { bin } = await linkSuite(repo);
    const workspaceLinks = await linkWorkspaceDeps(repo);
    const pnpm = await findPnpm(testkit);
    await writeShim(join(shims, "pnpm"), pnpm.cjs);
    const env = cleanEnv({ home, tmp: join(tmp, "tmp"), path: [bin, shims] });
    const git = (...args) => run("git", args, { cwd: repo, env, quiet: true });
    await git("init", "-q", "-b", "main");
    await git("config", "user.name", "Event-Forge Maintainer");
    await git("config", "user.email", "maintainers@event-forge.invalid");
    await git("config", "commit.gpgsign", "false");
    await git("remote", "add", "origin", REMOTE);
    await git("add", "-A");
    await git("commit", "-q", "--no-verify", "-m", "Initial commit");
    const packages = (await npmPackages(repo)).filter((p) => !p.private);
    note(`${repo}  (origin ${REMOTE})`);
    note(`npm packages: ${packages.map((p) => `${p.name}@${p.version}`).join(", ")}`);
    note(`.npmrc and the user npmrc: registry=${registry.url}   (no token)`);
    note(`.changeset/polyglot.json: pypi.index = ${polyglotConfig.pypi.index}   (was https://pypi.org)`);
    note(
      "node_modules: @changesets/cli and @polyglot-changesets/* linked to this checkout's builds (no install);",
    );
    note(
      `  .bin/changeset, polyglot-version, polyglot-publish; ${workspaceLinks} workspace: dependency links`,
    );
    note(`pnpm on PATH: ${PNPM_SPEC} (${pnpm.via})`);

    // 3 ------------------------------------------------------------------------------------------------------
    step("Seed the first versions: the manual first publish (trusted publishing cannot create a package)");
    const seedToken = secret(await registry.createUser("event-forge-maintainer"));
    const seedNpmrc = join(tmp, "seed.npmrc");
    await writeFile(seedNpmrc, `${registry.npmrcKey}:_authToken=${seedToken}\n`);
    note("a registry user token, in a throwaway npmrc for this step only:");
    await run("pnpm", ["-r", "publish", "--access", "public", "--no-git-checks"], {
      cwd: repo,
      env: { ...env, npm_config_userconfig: seedNpmrc },
      display:
        "pnpm -r publish --access public --no-git-checks   (npm_config_userconfig=<throwaway npmrc with the token>)",
      filter: (line) => /^\+ |ERR|error/.test(line),
    });
    await rm(seedNpmrc);
    pypi.seed(PYTHON_PROJECT, "1.0.0");
    note(`PyPI: ${PYTHON_PROJECT} 1.0.0 seeded (a release uploaded earlier)`);
    note("the throwaway npmrc is deleted: no npm token exists from here on");

    // 4 ------------------------------------------------------------------------------------------------------
    step("Changesets, then polyglot-version (the Version Packages PR)");
    for (const [file, text] of Object.entries(CHANGESETS)) {
      await writeFile(join(repo, ".changeset", file), text);
      const [, bump] = /"([^"]+)": (\w+)/.exec(text) ?? [];
      note(`.changeset/${file}: ${bump ?? "?"} ${/: (\w+)/.exec(text.split("\n")[1] ?? "")?.[1] ?? ""}`);
    }
    await git("add", ".changeset");
    await git("commit", "-q", "--no-verify", "-m", "Add changesets");
    note("offline changelog: no GITHUB_TOKEN, commit links from the repo URL");
    await run("polyglot-version", [], { cwd: repo, env, maxLines: 12 });
    const diff = await git(
      "diff",
      "--",
      "packages/python/pyproject.toml",
      "packages/python/src/event_forge/__init__.py",
    );
    note("$ git diff -- packages/python/pyproject.toml packages/python/src/event_forge/__init__.py");
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
    const bumped = (await npmPackages(repo)).filter((p) => !p.private);
    const pyproject = await readFile(join(repo, "packages/python/pyproject.toml"), "utf8");
    const pythonVersion = /^version = "([^"]+)"/m.exec(pyproject)?.[1];
    const changed = bumped.filter((p) => p.version !== packages.find((q) => q.name === p.name)?.version);
    note(
      `committed "Version Packages": ${changed.map((p) => `${p.name}@${p.version}`).join(", ")}, ${PYTHON_PROJECT}==${pythonVersion}`,
    );
    const unchanged = bumped
      .filter((p) => !changed.includes(p))
      .map((p) => p.name.replace(/^@event-forge\//, ""));
    const version = (name) => bumped.find((p) => p.name === `@event-forge/inbox-outbox-${name}`)?.version;
    if (version("rabbitmq") === version("core")) {
      note(
        `  linked (.changeset/config.json): rabbitmq's patch goes to ${version("rabbitmq")} with core's minor`,
      );
    }
    if (unchanged.length) note(`  no changeset, unchanged: ${unchanged.join(", ")}`);

    // 5 ------------------------------------------------------------------------------------------------------
    step("polyglot-publish in the publish job: GitHub Actions OIDC, no token anywhere");
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
    const tokens = tokenVariables(publishEnv);
    const npmrcs = [join(repo, ".npmrc"), join(home, ".npmrc")];
    const npmrcTokens = [];
    for (const file of npmrcs) if (/_auth/i.test(await readFile(file, "utf8"))) npmrcTokens.push(file);
    if (tokens.length || npmrcTokens.length) {
      throw new Error(`a token leaked into the publish job: ${[...tokens, ...npmrcTokens].join(", ")}`);
    }
    note("env: GITHUB_ACTIONS=true, ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN (permissions: id-token: write),");
    note("     GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, CHANGESETS_OUTPUT; no NPM_TOKEN / NODE_AUTH_TOKEN;");
    note("     the .npmrc files have registry= only");
    note(
      "--no-provenance: provenance needs Sigstore (Fulcio, Rekor), which this offline machine cannot reach;",
    );
    note("     on GitHub Actions leave the flag off and every package gets a provenance statement");
    const exchangesBefore = registry.exchanges.length;
    const requestsBefore = registry.requests.length;
    await run("polyglot-publish", ["--oidc", "require", "--no-provenance"], {
      cwd: repo,
      env: publishEnv,
    });
    const exchanges = registry.exchanges.slice(exchangesBefore);
    const granted = exchanges.filter((e) => e.status === 201);
    for (const exchange of granted) secret(exchange.token);
    const perPackage = new Map();
    for (const e of granted) perPackage.set(e.package, (perPackage.get(e.package) ?? 0) + 1);
    note(
      `registry: ${exchanges.length} OIDC token exchange(s), ${granted.length} granted: ${[...perPackage].map(([name, n]) => `${name} x${n}`).join(", ") || "none"}`,
    );
    note(
      "  (the preflight proves each trusted publisher before anything is published; npm exchanges again for its PUT)",
    );
    for (const refused of exchanges.filter((e) => e.status !== 201)) {
      note(`  refused: ${refused.package} ${refused.status} ${refused.reason}`);
    }
    const exchangedTokens = new Set(granted.map((e) => e.token));
    const puts = registry.requests.slice(requestsBefore).filter((r) => r.method === "PUT");
    const putAuth = puts.map((r) => {
      const bearer = /^Bearer (.+)$/i.exec(r.headers.authorization ?? "")?.[1];
      return bearer && exchangedTokens.has(bearer)
        ? "exchanged"
        : bearer === seedToken
          ? "user token"
          : "other";
    });
    note(
      `registry: ${puts.length} publish PUT(s), ${putAuth.filter((a) => a === "exchanged").length} authorized by an exchanged OIDC token`,
    );
    if (putAuth.some((a) => a !== "exchanged")) {
      throw new Error(`a publish PUT was not authorized by an exchanged OIDC token: ${putAuth.join(", ")}`);
    }
    const tags = (await git("tag", "--list")).stdout.trim().split("\n").filter(Boolean);
    const events = existsSync(changesetsOutput)
      ? (await readFile(changesetsOutput, "utf8")).split("\n").filter((l) => l.includes('"git-tag"')).length
      : 0;
    note(`CHANGESETS_OUTPUT: ${events} git-tag event(s); git tags: ${tags.join(", ") || "none"}`);
    note("  (changesets/action pushes these tags and creates the GitHub releases)");
    const outputs = await readGithubOutput(publishOutput);
    note("GITHUB_OUTPUT:");
    for (const name of ["published", "published-packages", "pypi", "pypi-packages"]) {
      note(`  ${name}=${outputs[name] ?? "(not set)"}`);
    }
    const summary = existsSync(publishSummary) ? await readFile(publishSummary, "utf8") : "";
    if (summary.trim()) {
      note("GITHUB_STEP_SUMMARY:");
      showOutput(summary, 20);
    }
    const published = parseJsonOutput(outputs, "published-packages");
    if (outputs.published !== "true" || published.length === 0) {
      throw new Error("polyglot-publish published nothing (published != true)");
    }
    if (granted.length === 0) throw new Error("no OIDC exchange was granted: the publish did not use OIDC");

    // 6 ------------------------------------------------------------------------------------------------------
    step("The publish-pypi job (needs: publish, if: pypi == 'true', environment: pypi)");
    const uploaded = [];
    const skipped = [];
    if (outputs.pypi !== "true") {
      note("pypi=false: the job is skipped");
    } else {
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
      const tools = await findPython(env, options.python);
      for (const target of checked) {
        if (!tools.python) {
          const why = `${tools.reason} (Debian: apt-get install -y python3-build python3-hatchling twine)`;
          note(`build of ${target.name} ${target.version} skipped: ${why}`);
          note(
            "without a built sdist and wheel there is nothing to upload: the OIDC mint and upload are skipped too",
          );
          skipped.push({ ...target, why: tools.reason });
          continue;
        }
        const outDir = join(tmp, "pypi-dist", target.name);
        const files = await buildDists(tools.python, join(repo, target.path), outDir, env);
        note(`built: ${files.map((f) => f.replace(/.*\//, "")).join(", ")}`);
        const minted = await mintPypiToken(pypi.url, jobEnv);
        note(
          `OIDC: ID token (aud ${minted.audience}, job_workflow_ref ${minted.claims.job_workflow_ref}, environment ${minted.claims.environment})`,
        );
        note(
          `      POST /_/oidc/mint-token -> a PyPI token for ${target.name}, valid until ${new Date(minted.expires * 1000).toISOString()}`,
        );
        if (tools.twine && options.twine) {
          await twineUpload(tools.python, pypi.legacyUrl, files, minted.token, env);
        } else {
          note(
            `${options.twine ? "twine is not installed" : "--no-twine"}: the same multipart POST twine sends, from Node`,
          );
          const results = await multipartUpload(pypi.legacyUrl, files, minted.token, target);
          for (const r of results) note(`  POST /legacy/ ${r.filename} -> ${r.status} ${r.message}`);
        }
        uploaded.push({ ...target, files });
      }
      note(
        `PyPI: ${pypi.mintedTokens} token(s) minted, ${pypi.uploads.filter((u) => u.status === 200).length} file(s) accepted`,
      );
      if (uploaded.length) {
        note("a re-run of the job finds nothing left to upload:");
        await writeFile(jobOutput, "");
        await run("polyglot-publish", ["pypi-check", "--index", index], { cwd: repo, env: jobEnv });
        const again = await readGithubOutput(jobOutput);
        if (again.pypi !== "false") throw new Error(`pypi-check after the upload says pypi=${again.pypi}`);
        note("pypi=false: the build and upload steps are skipped");
      }
    }

    // 7 ------------------------------------------------------------------------------------------------------
    step("What landed where, checked against the registries");
    const rows = [["package", "ecosystem", "version", "registry"]];
    const expected = [];
    for (const pkg of changed) {
      const report = published.find((p) => p.name === pkg.name);
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
    for (const target of uploaded) {
      rows.push([target.name, "PyPI", target.version, pypi.url]);
      expected.push({ ecosystem: "pypi", name: target.name, version: target.version });
    }
    for (const target of skipped) rows.push([target.name, "PyPI", `${target.version} (not built)`, "-"]);
    log();
    for (const line of table(rows).split("\n")) note(line);
    log();
    const mismatches = [];
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
        const response = await fetch(new URL(`pypi/${row.name}/json`, pypi.url));
        const body = response.ok ? await response.json() : undefined;
        const exact = await fetch(new URL(`pypi/${row.name}/${row.version}/json`, pypi.url));
        const got = body?.info?.version ?? `(HTTP ${response.status})`;
        return {
          ...row,
          how: `GET /pypi/${row.name}/json`,
          got: exact.ok ? got : `${got}; ${row.version}: HTTP ${exact.status}`,
        };
      }),
    );
    for (const check of checks) {
      const ok = check.got === check.version;
      if (!ok) mismatches.push(check);
      note(
        `${ok ? "ok      " : "MISMATCH"} ${check.how} -> ${check.got}${ok ? "" : ` (table: ${check.version})`}`,
      );
    }
    if (mismatches.length) {
      note(`${mismatches.length} of ${checks.length} registry answers disagree with the table`);
      failed = true;
    } else {
      const skippedNote = skipped.length ? `; PyPI upload skipped: ${skipped[0].why}` : "";
      note(
        `agree: npm view and the PyPI JSON API report every version in the table (${checks.length} of ${checks.length})${skippedNote}`,
      );
    }
    log();
    log(
      `Demo ${failed ? "FAILED" : "done"} in ${seconds(performance.now() - started)} (steps ${step.timings()}).`,
    );
    if (options.keep) log(`Kept: ${tmp}  (repo/, github/ outputs, pypi-dist/)`);
    return failed ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    log();
    log(`Demo FAILED: ${error.message}`);
    if (error.output) showOutput(error.output, 60);
    if (tmp && options.keep) log(`Kept: ${tmp}`);
    return 1;
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    if (tmp && !options.keep) await rm(tmp, { recursive: true, force: true });
  }
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

// Ctrl-C or SIGTERM: stop the children, remove the temp dir (the servers die with this process).
let onSignal = async () => {};
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
]) {
  process.on(signal, async () => {
    log(`\nDemo interrupted (${signal}).`);
    await onSignal().catch(() => {});
    process.exit(code);
  });
}

try {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    log(USAGE);
    process.exit(0);
  }
  if (!existsSync(EXAMPLE)) throw new UsageError(`no ${EXAMPLE}`);
  log(
    "Polyglot Changesets demo: a release of examples/event-forge (5 npm packages + 1 PyPI package), offline",
  );
  setVerbose(options.verbose);
  process.exitCode = await main(options);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`demo: ${error.message}\n${USAGE.split("\n")[0]}\n`);
  process.exitCode = 2;
}
