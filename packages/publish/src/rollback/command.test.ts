import { describe, expect, it } from "vitest";
import { stepInvocation } from "./command.js";

describe("stepInvocation", () => {
  it("gives npm the registry through its environment: a URL's credentials never reach the command line", () => {
    const registry = "https://deployer:s3cret-token@npm.example.com/";
    const invocation = stepInvocation(
      {
        ecosystem: "npm",
        package: "@acme/x",
        version: "1.0.0",
        action: "deprecate",
        detail: "deprecate @acme/x@1.0.0",
        command: ["npm", "deprecate", "@acme/x@1.0.0", "broken", `--registry=${registry}`],
      },
      { PATH: "/usr/bin", NPM_CONFIG_REGISTRY: "https://registry.npmjs.org/" },
    );
    expect(invocation.args.join(" ")).not.toContain("s3cret-token");
    expect(invocation.args.slice(1)).toEqual(["deprecate", "@acme/x@1.0.0", "broken"]);
    expect(invocation.env.npm_config_registry).toBe(registry);
    expect(invocation.env.NPM_CONFIG_REGISTRY).toBeUndefined();
    expect(invocation.env.PATH).toBe("/usr/bin");
  });
});
