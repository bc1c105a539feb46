// Bundles each CLI entry (packages/<cli>/dist/cli.js, built by tsc) with its dependencies into
// packages/<cli>/dist/cli.bundle.js plus lazily loaded chunks (dist/bundle-*.js): one file to load at start-up
// instead of ~270 modules (yaml, ajv, semver, ... file by file), which is most of a short command's time.
// Dynamic imports stay dynamic (chunks), so a command still loads only what it needs. The bins use the bundle
// when it is at least as new as the tsc output (bin/*.js), else dist/cli.js.
import { readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLIS = ["version", "publish"];

/**
 * jsonc-parser's `main` is a UMD build whose `require("./impl/...")` calls no bundler follows; its ESM build has
 * no default export, which core imports (`import jsonc from "jsonc-parser"`, as Node's CJS interop allows). The
 * ESM build, with its namespace as the default export.
 */
function jsoncParserAsEsm(fromDir) {
  const esm = path.join(
    path.dirname(createRequire(path.join(fromDir, "package.json")).resolve("jsonc-parser/package.json")),
    "lib/esm/main.js",
  );
  const id = "\0jsonc-parser";
  return {
    name: "jsonc-parser-esm",
    resolveId: (source) => (source === "jsonc-parser" ? id : null),
    load: (loaded) =>
      loaded === id
        ? `import * as ns from ${JSON.stringify(esm)};\nexport * from ${JSON.stringify(esm)};\nexport default ns;\n`
        : null,
  };
}

for (const cli of CLIS) {
  const dist = path.join(root, "packages", cli, "dist");
  for (const file of readdirSync(dist)) {
    if (file === "cli.bundle.js" || file.startsWith("bundle-")) rmSync(path.join(dist, file));
  }
  const bundle = await rolldown({
    input: { "cli.bundle": path.join(dist, "cli.js") },
    platform: "node",
    // A dependency the bundle cannot find would be left as a bare import that fails at run time: stop instead.
    onLog(level, log, handler) {
      if (log.code === "UNRESOLVED_IMPORT") throw new Error(`bundle-clis: ${log.message}`);
      handler(level, log);
    },
    plugins: [jsoncParserAsEsm(path.join(root, "packages", "core"))],
  });
  // Flat in dist/: `new URL("../package.json", import.meta.url)` and `./watchdog.js` resolve as from dist/cli.js.
  await bundle.write({
    dir: dist,
    format: "esm",
    entryFileNames: "[name].js",
    chunkFileNames: "bundle-[name]-[hash].js",
  });
  await bundle.close();
}
console.log(`bundled: ${CLIS.map((cli) => `packages/${cli}/dist/cli.bundle.js`).join(", ")}`);
