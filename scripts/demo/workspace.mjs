// The demo's copy of examples/event-forge: files, the suite linked in without a registry, the pnpm shim.
import { existsSync, realpathSync } from "node:fs";
import { chmod, cp, mkdir, open, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { NODE, ROOT, run } from "./lib.mjs";

export const EXAMPLE = join(ROOT, "examples", "event-forge");
export const PNPM_SPEC = "pnpm@10.34.8";

const SKIP = new Set(["node_modules", ".venv", "dist", "__pycache__", ".pytest_cache", "build"]);

/** Copies the example without installs or build output. */
export async function copyExample(dest) {
  await cp(EXAMPLE, dest, {
    recursive: true,
    filter: (source) => !SKIP.has(basename(source)) && !source.endsWith(".egg-info"),
  });
}

/** What the repo's `pnpm install` would have linked: the changesets CLI and this suite, built from this checkout. */
export async function linkSuite(repo) {
  const nm = join(repo, "node_modules");
  const links = {
    "@changesets/cli": realpathSync(join(ROOT, "node_modules", "@changesets", "cli")),
    "@polyglot-changesets/core": join(ROOT, "packages", "core"),
    "@polyglot-changesets/changelog": join(ROOT, "packages", "changelog"),
    "@polyglot-changesets/version": join(ROOT, "packages", "version"),
    "@polyglot-changesets/publish": join(ROOT, "packages", "publish"),
  };
  for (const [name, target] of Object.entries(links)) {
    await mkdir(dirname(join(nm, name)), { recursive: true });
    await symlink(target, join(nm, name), "dir");
  }
  const bins = {
    changeset: join(links["@changesets/cli"], "bin.js"),
    "polyglot-version": join(ROOT, "packages", "version", "bin", "polyglot-version.js"),
    "polyglot-publish": join(ROOT, "packages", "publish", "bin", "polyglot-publish.js"),
  };
  await mkdir(join(nm, ".bin"), { recursive: true });
  for (const [bin, script] of Object.entries(bins)) await writeShim(join(nm, ".bin", bin), script);
  return { bin: join(nm, ".bin"), links };
}

/** A `#!/bin/sh` shim running `script` on the demo's Node (a `.bin` symlink would take the first `node` on PATH). */
export async function writeShim(file, script) {
  await writeFile(file, `#!/bin/sh\nexec "${NODE}" "${script}" "$@"\n`);
  await chmod(file, 0o755);
}

/** A shim for a tool's bin: on the demo's Node when it is a JavaScript file, else (pnpm 12 is native) as is. */
export async function writeToolShim(file, bin) {
  const handle = await open(bin);
  const { buffer, bytesRead } = await handle.read(Buffer.alloc(64), 0, 64, 0).finally(() => handle.close());
  const head = buffer.subarray(0, bytesRead).toString("latin1");
  if (/\.[cm]?js$/.test(bin) || /^#!.*\bnode\b/.test(head)) return writeShim(file, bin);
  await writeFile(file, `#!/bin/sh\nexec "${bin}" "$@"\n`);
  await chmod(file, 0o755);
}

/** The example's pnpm (`packageManager` of its package.json, as corepack would pick), else PNPM_SPEC. */
export async function pnpmSpec(repo) {
  const { packageManager } = await readJson(join(repo, "package.json"));
  const spec = /^(pnpm@\d+\.\d+\.\d+[\w.+-]*?)(\+sha\d+\..*)?$/.exec(packageManager ?? "")?.[1];
  return spec ?? PNPM_SPEC;
}

/**
 * The pnpm bin of `spec`: testkit's tool cache (`ensureTool`), else the npx cache (`npx -p` installs it once and
 * prints where). `changeset publish` in a pnpm workspace runs `pnpm info` and `pnpm publish`, so a shim to it goes
 * first on PATH: a direct path avoids one `npx` start per call.
 */
export async function findPnpm(testkit, spec = PNPM_SPEC) {
  if (typeof testkit.ensureTool === "function") {
    try {
      const bin = join(await testkit.ensureTool(spec), "pnpm");
      if (existsSync(bin)) return { bin: realpathSync(bin), via: "testkit ensureTool" };
    } catch {
      // fall back to npx below
    }
  }
  const { stdout } = await run("npx", ["-y", "-p", spec, "-c", "command -v pnpm"], {
    quiet: true,
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
  const bin = stdout.trim().split("\n").pop();
  if (!bin || !existsSync(bin)) throw new Error(`npx -p ${spec} did not print a pnpm path`);
  return { bin: realpathSync(bin), via: "npx cache" };
}

/**
 * The links `pnpm install` makes between workspace packages (`<pkg>/node_modules/<dep>` -> the dep's folder):
 * `pnpm publish` reads a `workspace:` dependency's version through them.
 */
export async function linkWorkspaceDeps(repo) {
  const packages = await npmPackages(repo);
  let count = 0;
  for (const pkg of packages) {
    const manifest = await readJson(join(pkg.dir, "package.json"));
    const deps = { ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies };
    for (const [name, spec] of Object.entries(deps)) {
      const dep = packages.find((p) => p.name === name);
      if (!dep || !String(spec).startsWith("workspace:")) continue;
      const link = join(pkg.dir, "node_modules", name);
      if (existsSync(link)) continue;
      await mkdir(dirname(link), { recursive: true });
      await symlink(relative(dirname(link), dep.dir), link, "dir");
      count++;
    }
  }
  return count;
}

export async function readJson(file) {
  return JSON.parse(await readFile(file, "utf8"));
}

/** The example's npm workspace packages: `{ name, version, dir, private }`, from packages/*. */
export async function npmPackages(repo) {
  const out = [];
  const base = join(repo, "packages");
  for (const entry of (await readdir(base, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const file = join(base, entry.name, "package.json");
    if (!entry.isDirectory() || !existsSync(file)) continue;
    const pkg = await readJson(file);
    out.push({
      name: pkg.name,
      version: pkg.version,
      dir: join(base, entry.name),
      private: pkg.private === true,
    });
  }
  return out;
}
