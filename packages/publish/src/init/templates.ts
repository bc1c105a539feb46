// The release workflow init writes, in the shape of examples/event-forge: changesets/action v2 sub-actions,
// `id-token: write` only on the jobs that publish, the PyPI job in the same file gated on `pypi`.
import type { PackageManager } from "./detect.js";

export interface WorkflowOptions {
  packageManager: PackageManager;
  /** The environment registered with npm's trusted publisher (the publish job runs in it). */
  environment?: string;
  /** PyPI projects (name, folder); a publish-pypi job when any. */
  pypiProjects: { name: string; dir: string }[];
  /** The root package.json has a `build` script: the publish job builds first. */
  build: boolean;
}

const run = (pm: PackageManager, script: string) => (pm === "npm" ? `npm run ${script}` : `${pm} ${script}`);
const exec = (pm: PackageManager, command: string) =>
  pm === "npm" ? `npx --no-install ${command}` : `${pm} exec ${command}`;

function setupSteps(pm: PackageManager, fetchDepth: boolean, publishesNpm = false): string {
  const checkout = `      - name: Check out
        uses: actions/checkout@v7
        with:${fetchDepth ? "\n          fetch-depth: 0 # the changelog links the commit that added each changeset" : ""}
          persist-credentials: false
`;
  const pnpm =
    pm === "pnpm"
      ? `
      - name: Set up pnpm
        uses: pnpm/action-setup@v4 # the version comes from "packageManager" in package.json
`
      : "";
  const why = publishesNpm
    ? `      # No \`registry-url\`: it writes an .npmrc with a placeholder token that npm would send instead of
      # exchanging the OIDC token. polyglot-publish brings an npm >= 11.5.1 when the runner's is older.
`
    : "";
  const node = `
${why}      - name: Set up Node.js
        uses: actions/setup-node@v7
        with:
          node-version: 24
          package-manager-cache: false
`;
  const install =
    pm === "pnpm"
      ? "pnpm install --frozen-lockfile"
      : pm === "yarn"
        ? "corepack enable && yarn install --immutable"
        : "npm ci";
  return `${checkout}${pnpm}${node}
      - name: Install
        run: ${install}
`;
}

/** `.github/workflows/release.yml`. */
export function githubReleaseWorkflow(options: WorkflowOptions): string {
  const pm = options.packageManager;
  const pypi = options.pypiProjects.length > 0;
  const environment = options.environment
    ? `    environment: ${options.environment} # registered with npm's trusted publisher (polyglot-publish trust)\n`
    : "";
  const build = options.build ? `\n      - name: Build\n        run: ${run(pm, "build")}\n` : "";
  const pypiOutputs = pypi
    ? `      pypi: \${{ steps.publish.outputs.pypi }}
      pypi-packages: \${{ steps.publish.outputs.pypi-packages }}
`
    : "";
  const pypiJob = pypi
    ? `
  publish-pypi:
    name: Publish to PyPI
    needs: publish
    if: needs.publish.outputs.pypi == 'true'
    runs-on: ubuntu-latest
    environment:
      name: pypi
      url: https://pypi.org/p/${options.pypiProjects[0]?.name}
    permissions:
      contents: read
      id-token: write # PyPI trusted publishing and PEP 740 attestations
    steps:
${setupSteps(pm, false)}
      # Asks the index again, so a re-run after a successful upload skips instead of failing.
      - name: Check which versions PyPI lacks
        id: check
        run: ${exec(pm, "polyglot-publish pypi-check")}

      - name: Set up Python
        if: steps.check.outputs.pypi == 'true'
        uses: actions/setup-python@v7
        with:
          python-version: "3.12"

      - name: Build
        if: steps.check.outputs.pypi == 'true'
        env:
          PYPI_PACKAGES: \${{ steps.check.outputs.pypi-packages }}
        run: |
          python -m pip install --upgrade build
          for dir in $(jq -r '.[].path' <<<"$PYPI_PACKAGES"); do
            python -m build "$dir" --outdir dist/
          done

      - name: Upload to PyPI
        if: steps.check.outputs.pypi == 'true'
        uses: pypa/gh-action-pypi-publish@release/v1
        with:
          packages-dir: dist/
`
    : "";
  return `# Written by polyglot-publish init. npm trusted publishing (OIDC, with provenance)${pypi ? " and PyPI trusted\n# publishing" : ""}; no NPM_TOKEN, no sync script.
# select-mode: "version" when changesets are pending, "publish" when versions are not on npm yet.
# version: the Version Packages PR (polyglot-version syncs the non-npm targets). publish: polyglot-publish.
# \`id-token: write\` only on the jobs that publish.
name: Release

on:
  push:
    branches:
      - main

# Every job states its own permissions.
permissions: {}

concurrency:
  group: \${{ github.workflow }}-\${{ github.ref }}
  cancel-in-progress: false

jobs:
  select-mode:
    name: Select mode
    runs-on: ubuntu-latest
    permissions:
      contents: read
    outputs:
      mode: \${{ steps.select-mode.outputs.mode }}
    steps:
${setupSteps(pm, false)}
      - name: Select Changesets mode
        id: select-mode
        uses: changesets/action/select-mode@v2

  version:
    name: Version Packages PR
    needs: select-mode
    if: needs.select-mode.outputs.mode == 'version'
    runs-on: ubuntu-latest
    permissions:
      contents: write # commit the version changes
      pull-requests: write # open or update the Version Packages PR
    steps:
${setupSteps(pm, true)}
      - name: Create or update the Version Packages PR
        uses: changesets/action/version@v2
        with:
          script: ${run(pm, "version-packages")}
          commit-message: "chore(release): version packages"
          pr-title: "chore(release): version packages"
        env:
          GITHUB_TOKEN: \${{ secrets.GITHUB_TOKEN }} # the changelog's PR links and "Thanks @user!"

  publish:
    name: Publish to npm
    needs: select-mode
    if: needs.select-mode.outputs.mode == 'publish'
    runs-on: ubuntu-latest
${environment}    permissions:
      contents: write # push the release tags and create GitHub releases
      id-token: write # npm trusted publishing (OIDC) and provenance
    outputs:
      published: \${{ steps.publish.outputs.published }}
      published-packages: \${{ steps.publish.outputs.published-packages }}
${pypiOutputs}    steps:
${setupSteps(pm, false, true)}${build}
      - name: Publish
        id: publish
        uses: changesets/action/publish@v2
        with:
          script: ${run(pm, "release")}
${pypiJob}`;
}

/** `.gitlab-ci.yml`: changesets-gitlab for the Version Packages MR and the publish, ID tokens per job. */
export function gitlabPipeline(options: WorkflowOptions): string {
  const pm = options.packageManager;
  const install =
    pm === "pnpm"
      ? "corepack enable && pnpm install --frozen-lockfile"
      : pm === "yarn"
        ? "corepack enable && yarn install --immutable"
        : "npm ci";
  const environment = options.environment ? `  environment: ${options.environment}\n` : "";
  const pypi =
    options.pypiProjects.length > 0
      ? `
# PyPI trusted publisher: this project, pipeline file .gitlab-ci.yml, environment pypi.
publish-pypi:
  stage: pypi
  image: node:24
  needs: [release]
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  environment: pypi
  id_tokens:
    PYPI_ID_TOKEN:
      aud: pypi
  script:
    - ${install}
    - apt-get update && apt-get install -y python3-build
${options.pypiProjects.map((project) => `    - python3 -m build ${project.dir} --outdir dist/`).join("\n")}
    # skips the files the index already has, so a pipeline with nothing new to release uploads nothing
    - ${exec(pm, "polyglot-publish pypi-upload dist/*")}
`
      : "";
  return `# Written by polyglot-publish init. npm trusted publishing through NPM_ID_TOKEN; no NPM_TOKEN.
# changesets-gitlab opens the Version Packages MR and runs the publish; it needs GITLAB_TOKEN (a project access
# token with api and write_repository) as a masked CI/CD variable. npm's trusted publisher: this project,
# pipeline file .gitlab-ci.yml, the environment of the release job.
stages:
  - release${options.pypiProjects.length > 0 ? "\n  - pypi" : ""}

release:
  stage: release
  image: node:24
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
${environment}  id_tokens:
    NPM_ID_TOKEN:
      aud: "npm:registry.npmjs.org"
    SIGSTORE_ID_TOKEN:
      aud: sigstore
  variables:
    INPUT_VERSION: ${run(pm, "version-packages")}
    INPUT_PUBLISH: ${run(pm, "release")}
  script:
    - ${install}
    - ${exec(pm, "changesets-gitlab")}
${pypi}`;
}
