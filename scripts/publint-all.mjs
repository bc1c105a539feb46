// Lints the packed contents of every publishable package with publint.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { publint } from "publint";
import { formatMessage } from "publint/utils";

let failed = false;
for (const dir of readdirSync("packages")) {
  const pkgDir = join("packages", dir);
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  if (pkg.private) continue;
  const { messages } = await publint({ pkgDir, level: "warning", strict: true, pack: "npm" });
  for (const message of messages) {
    console.log(`${pkg.name}: ${formatMessage(message, pkg)}`);
    failed = true;
  }
}
if (failed) process.exit(1);
console.log("publint: all packages clean");
