#!/usr/bin/env node
// `pnpm demo`: the whole release of examples/event-forge (five npm packages, one PyPI package) on a temp copy,
// against local stand-ins from packages/testkit: changesets -> polyglot-version -> polyglot-publish through
// npm trusted publishing (OIDC, no token) -> the PyPI job (build, OIDC mint, upload) -> what landed where.
// Plain ESM on Node 22, importing only the built workspace packages and Node built-ins.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { killChildren, log, ROOT, seconds, setVerbose, showOutput, stepper } from "./demo/lib.mjs";
import { requirePython } from "./demo/pypi-job.mjs";
import {
  prepareRepo,
  publishNpm,
  publishPypi,
  seedFirstVersions,
  startStandIns,
  summarize,
  versionPackages,
} from "./demo/steps.mjs";
import { EXAMPLE } from "./demo/workspace.mjs";

const STEPS = 7;

const USAGE = `Usage: node scripts/demo.mjs [--keep] [--verbose] [--python PATH] [--skip-pypi]

Runs a whole release of examples/event-forge on a temp copy against local stand-ins (npm registry with
trusted publishing, PyPI, GitHub's ID-token endpoint). Build first: pnpm run build (pnpm demo does).

  --keep          keep the temp dir (the repo, GITHUB_OUTPUT files, built Python files) and print its path
  --verbose       show every line of every command's output
  --python PATH   the Python that builds the sdist and wheel (needs the build and hatchling modules);
                  default /usr/bin/python3, then python3. Without one, as root with apt-get, Debian's
                  python3-build, python3-hatchling and twine are installed (scripts/install-python-tools.sh);
                  otherwise the demo stops and names the command
  --skip-pypi     leave the PyPI build and upload out (the npm release and the PyPI hand-off still run)`;

class UsageError extends Error {}

function parseArgs(argv) {
  const options = { keep: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--keep") options.keep = true;
    else if (arg === "--verbose") options.verbose = true;
    else if (arg === "--skip-pypi") options.skipPypi = true;
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
  const ctx = { options, step: stepper(STEPS), closers: [] };
  // Ctrl-C / SIGTERM: stop the children, then the same clean-up as below.
  onSignal = async () => {
    await killChildren();
    if (ctx.tmp && !options.keep) await rm(ctx.tmp, { recursive: true, force: true });
    else if (ctx.tmp) log(`Kept: ${ctx.tmp}`);
  };
  try {
    checkBuilt();
    if (!options.skipPypi) ctx.python = await requirePython(process.env, options.python);
    ctx.testkit = await loadTestkit();
    await startStandIns(ctx);
    await prepareRepo(ctx);
    await seedFirstVersions(ctx);
    await versionPackages(ctx);
    await publishNpm(ctx);
    await publishPypi(ctx);
    const agree = await summarize(ctx);
    log();
    const took = `${seconds(performance.now() - started)} (steps ${ctx.step.timings()})`;
    log(`Demo ${agree ? "done" : "FAILED"} in ${took}.`);
    if (options.keep) log(`Kept: ${ctx.tmp}  (repo/, github/ outputs, pypi-dist/)`);
    return agree ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error.usage) throw new UsageError(error.message);
    log();
    log(`Demo FAILED: ${error.message}`);
    if (error.output) showOutput(error.output, 60);
    if (ctx.tmp && options.keep) log(`Kept: ${ctx.tmp}`);
    return 1;
  } finally {
    for (const close of ctx.closers.reverse()) await close().catch(() => {});
    if (ctx.tmp && !options.keep) await rm(ctx.tmp, { recursive: true, force: true });
  }
}

// Ctrl-C or SIGTERM: `main` sets what to clean up (the servers die with this process).
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

/**
 * Changesets v3 needs Node >= 22.11. On an older Node (the system's, `node scripts/demo.mjs`), run again on the
 * workspace's own Node 22 (`node_modules/.bin/node`, the `node` devDependency), as `pnpm demo` does.
 */
function reexecOnWorkspaceNode() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 11)) return;
  const node = join(ROOT, "node_modules", ".bin", "node");
  if (!existsSync(node) || process.env.POLYGLOT_DEMO_REEXEC) {
    process.stderr.write(`demo: needs Node >= 22.11 (this is ${process.version}); run it with pnpm demo\n`);
    process.exit(2);
  }
  const child = spawnSync(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, POLYGLOT_DEMO_REEXEC: "1" },
  });
  process.exit(child.status ?? 1);
}

reexecOnWorkspaceNode();

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
