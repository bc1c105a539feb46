// Generators of the benchmark monorepos. Everything is written directly as a file tree (fast) and committed once.
// All randomness comes from a seeded PRNG, so a given size always produces the same repository.
import { pad, prng } from "./lib.mjs";

const BUMPS = ["patch", "patch", "patch", "minor", "minor", "major"];

/** `.changeset/config.json` of every generated repo. */
export function changesetConfig(extra = {}) {
  return {
    changelog: "@changesets/cli/changelog",
    commit: false,
    fixed: [],
    linked: [],
    access: "public",
    baseBranch: "main",
    updateInternalDependencies: "patch",
    ignore: [],
    privatePackages: { version: true, tag: true },
    ...extra,
  };
}

/** manypkg recognises an npm workspace by its package-lock.json; an empty one is enough (nothing is installed). */
export function packageLock(name) {
  return { name, lockfileVersion: 3, requires: true, packages: {} };
}

function changesetFile(releases, summary) {
  const front = Object.entries(releases)
    .map(([name, type]) => `"${name}": ${type}`)
    .join("\n");
  return `---\n${front}\n---\n\n${summary}\n`;
}

/** Random changesets over `names`: each touches 1-3 packages. */
export function randomChangesets(rand, names, count) {
  const files = {};
  for (let i = 0; i < count; i++) {
    const releases = {};
    const n = 1 + rand.int(3);
    for (let k = 0; k < n; k++) releases[rand.pick(names)] = rand.pick(BUMPS);
    files[`.changeset/bench-${pad(i)}.md`] = changesetFile(releases, `Change ${i}: ${rand.hex(12)}`);
  }
  return files;
}

export function pyproject(name, version, deps = [], extra = "") {
  const depLines = deps.map((d) => `    "${d}",`).join("\n");
  return `[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "${name}"
version = "${version}"  # kept in sync by polyglot-version
description = "Generated benchmark package"
requires-python = ">=3.9"
dependencies = [
${depLines}${depLines ? "\n" : ""}    "requests>=2.31",
]
${extra}`;
}

/**
 * The `version` benchmark repo: `npm` npm packages in chains of 10 internal deps, `python` Python bridges
 * (private package.json + pyproject.toml) in chains of 5 whose pyproject dependencies name the previous bridge,
 * and random changesets over all of them. An npm workspace (no install needed).
 */
export function versionRepo({ npm = 200, python = 100, changesets, seed = 1 } = {}) {
  const rand = prng(seed);
  const files = {
    "package.json": { name: "bench-version", private: true, workspaces: ["packages/*", "python/*"] },
    "package-lock.json": packageLock("bench-version"),
    ".changeset/config.json": changesetConfig(),
    ".changeset/README.md": "Changesets of the benchmark.\n",
  };
  const names = [];
  for (let i = 0; i < npm; i++) {
    const name = `@bench/pkg-${pad(i)}`;
    names.push(name);
    const pkg = { name, version: "1.0.0", description: `package ${i}`, license: "MIT" };
    if (i % 10 !== 0) pkg.dependencies = { [`@bench/pkg-${pad(i - 1)}`]: "^1.0.0" };
    files[`packages/pkg-${pad(i)}/package.json`] = pkg;
    files[`packages/pkg-${pad(i)}/index.js`] = `export const id = ${i};\n`;
  }
  for (let j = 0; j < python; j++) {
    const name = `@bench/py-${pad(j)}`;
    names.push(name);
    const pkg = { name, version: "1.0.0", private: true };
    const deps = [];
    if (j % 5 !== 0) {
      pkg.dependencies = { [`@bench/py-${pad(j - 1)}`]: "^1.0.0" };
      deps.push(`bench-py-${pad(j - 1)}>=1.0.0`);
    }
    files[`python/py-${pad(j)}/package.json`] = pkg;
    files[`python/py-${pad(j)}/pyproject.toml`] = pyproject(`bench-py-${pad(j)}`, "1.0.0", deps);
    files[`python/py-${pad(j)}/src/bench_py_${pad(j)}/__init__.py`] = `"""Package ${j}."""\n`;
  }
  Object.assign(
    files,
    randomChangesets(rand, names, changesets ?? Math.max(2, Math.round((npm + python) / 5))),
  );
  return { files, npmNames: names.slice(0, npm), pythonNames: names.slice(npm) };
}

/**
 * The `--sync-only` benchmark repo: `targets` targets whose sources were already versioned (as right after
 * `changeset version`): 90% Python bridges (package.json 1.1.0, pyproject.toml 1.0.0, chained dependencies) and
 * 10% follow targets declared in polyglot.json with a `versionFiles` entry, following an npm package at 2.0.0.
 */
export function syncRepo({ targets = 1000 } = {}) {
  const follow = Math.max(1, Math.round(targets / 10));
  const bridges = targets - follow;
  const files = {
    "package.json": { name: "bench-sync", private: true, workspaces: ["packages/*", "python/*"] },
    "package-lock.json": packageLock("bench-sync"),
    ".changeset/config.json": changesetConfig(),
  };
  const config = { targets: [] };
  for (let j = 0; j < bridges; j++) {
    files[`python/py-${pad(j)}/package.json`] = {
      name: `@bench/py-${pad(j)}`,
      version: "1.1.0",
      private: true,
    };
    const deps = j % 5 !== 0 ? [`bench-py-${pad(j - 1)}>=1.0.0`] : [];
    files[`python/py-${pad(j)}/pyproject.toml`] = pyproject(`bench-py-${pad(j)}`, "1.0.0", deps);
  }
  for (let i = 0; i < follow; i++) {
    files[`packages/pkg-${pad(i)}/package.json`] = { name: `@bench/pkg-${pad(i)}`, version: "2.0.0" };
    files[`targets/t-${pad(i)}/pyproject.toml`] = pyproject(`bench-t-${pad(i)}`, "1.0.0");
    files[`targets/t-${pad(i)}/src/bench_t_${pad(i)}/__init__.py`] =
      `"""Target ${i}."""\n\n__version__ = "1.0.0"\n`;
    config.targets.push({
      path: `targets/t-${pad(i)}`,
      versionFrom: `@bench/pkg-${pad(i)}`,
      versionFiles: [`src/bench_t_${pad(i)}/__init__.py`],
    });
  }
  files[".changeset/polyglot.json"] = config;
  return { files, bridges, follow };
}

/**
 * The `publish` benchmark repo: `count` public npm packages `@<scope>/pkg-NN` (chains of 5 internal deps) in an
 * npm workspace (so `changeset publish` uses `npm publish`), with a project `.npmrc` holding a token for `registry`.
 */
export function publishRepo({ count = 30, scope, registry, token }) {
  const host = registry.replace(/^https?:/, "");
  const files = {
    "package.json": { name: `${scope}-root`, private: true, workspaces: ["packages/*"] },
    "package-lock.json": packageLock(`${scope}-root`),
    ".changeset/config.json": changesetConfig({ changelog: false }),
    ".npmrc": `registry=${registry}\n${host}:_authToken=${token}\naudit=false\nfund=false\nupdate-notifier=false\n`,
  };
  for (let i = 0; i < count; i++) {
    const pkg = {
      name: `@${scope}/pkg-${pad(i, 2)}`,
      version: "1.0.0",
      description: `publish benchmark package ${i}`,
      license: "MIT",
      main: "index.js",
      publishConfig: { access: "public" },
    };
    if (i % 5 !== 0) pkg.dependencies = { [`@${scope}/pkg-${pad(i - 1, 2)}`]: "^1.0.0" };
    files[`packages/pkg-${pad(i, 2)}/package.json`] = pkg;
    files[`packages/pkg-${pad(i, 2)}/index.js`] = `export const id = ${i};\n`;
    files[`packages/pkg-${pad(i, 2)}/README.md`] = `# pkg-${i}\n`;
  }
  return files;
}

/** `count` changesets for the changelog benchmark: a summary, a commit SHA, and sometimes a PR / author override. */
export function changelogChangesets({ count = 500, seed = 7 } = {}) {
  const rand = prng(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    let summary = `Fix thing ${i} (${rand.hex(6)})`;
    const roll = rand.int(10);
    if (roll === 0) summary = `pr: #${1000 + i}\n\n${summary}`;
    else if (roll === 1) summary = `author: @user${rand.int(50)}\n\n${summary}`;
    out.push({
      id: `bench-${pad(i)}`,
      summary,
      releases: [{ name: `@bench/pkg-${pad(i % 20)}`, type: rand.pick(["patch", "minor"]) }],
      commit: rand.hex(40),
    });
  }
  return out;
}
