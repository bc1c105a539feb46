import path from "node:path";
import {
  CRATES_IO_API,
  CRATES_IO_INDEX,
  type CratesConfig,
  PolyglotError,
  parseTomlDocument,
  RepoFiles,
  tomlValueAt,
} from "@polyglot-changesets/core";
import { fetchIndexApi } from "./index.js";

/** Where the crates go and how cargo is told about it. */
export interface CratesRegistry {
  /** cargo's name of the registry: `crates-io`, a name from `.cargo/config.toml`, or `polyglot-crates`. */
  cargoName: string;
  /** `sparse+https://...` */
  index: string;
  /** Web API base without a trailing slash (uploads, trusted publishing). */
  api: string;
  /** The variable cargo reads the token from. */
  tokenEnv: string;
  /** The `aud` of the ID token for trusted publishing: `crates.io`, else the registry's host. */
  audience: string;
  /** Variables the cargo child needs to know the registry (a registry given by URL only). */
  cargoEnv: Record<string, string>;
  isCratesIo: boolean;
}

/** The name cargo gets for a registry that `crates.registry` gives by URL (cargo needs a name to take a token from the env). */
export const URL_REGISTRY_NAME = "polyglot-crates";

/** Cargo's env spelling of a registry name: `my-registry` -> `MY_REGISTRY`. */
export function registryEnvName(name: string): string {
  return name.toUpperCase().replace(/-/g, "_");
}

/** Resolves `crates` of .changeset/polyglot.json (a URL or a `.cargo/config.toml` registry name). */
export async function resolveCratesRegistry(
  root: string,
  config: CratesConfig,
  env: NodeJS.ProcessEnv,
  readApi: (index: string) => Promise<string> = fetchIndexApi,
): Promise<CratesRegistry> {
  if (/^https?:\/\//.test(config.registry)) {
    const api = config.registry.replace(/\/+$/, "");
    if (api === CRATES_IO_API && config.index === CRATES_IO_INDEX) return cratesIo();
    const name = URL_REGISTRY_NAME;
    return {
      cargoName: name,
      index: config.index,
      api,
      tokenEnv: `CARGO_REGISTRIES_${registryEnvName(name)}_TOKEN`,
      audience: new URL(api).hostname,
      cargoEnv: { [`CARGO_REGISTRIES_${registryEnvName(name)}_INDEX`]: config.index },
      isCratesIo: false,
    };
  }
  if (config.registry === "crates-io") return cratesIo();
  const index = namedRegistryIndex(root, config.registry, env);
  if (!index.startsWith("sparse+")) {
    throw new PolyglotError(
      `the registry ${config.registry} has a git index (${index}); polyglot-publish reads sparse indexes`,
      {
        code: "crates-registry-unknown",
        file: ".cargo/config.toml",
        setting: `registries.${config.registry}.index`,
        fix: "use the registry's sparse index URL (sparse+https://...)",
      },
    );
  }
  const api = await readApi(index);
  return {
    cargoName: config.registry,
    index,
    api,
    tokenEnv: `CARGO_REGISTRIES_${registryEnvName(config.registry)}_TOKEN`,
    audience: new URL(api).hostname,
    cargoEnv: {},
    isCratesIo: false,
  };
}

function cratesIo(): CratesRegistry {
  return {
    cargoName: "crates-io",
    index: CRATES_IO_INDEX,
    api: CRATES_IO_API,
    tokenEnv: "CARGO_REGISTRY_TOKEN",
    audience: "crates.io",
    cargoEnv: {},
    isCratesIo: true,
  };
}

/** `CARGO_REGISTRIES_<NAME>_INDEX`, else `[registries.<name>].index` of the repo's `.cargo/config.toml`. */
function namedRegistryIndex(root: string, name: string, env: NodeJS.ProcessEnv): string {
  const fromEnv = env[`CARGO_REGISTRIES_${registryEnvName(name)}_INDEX`];
  if (fromEnv) return fromEnv;
  const files = new RepoFiles(root);
  for (const file of [".cargo/config.toml", ".cargo/config"]) {
    const text = files.read(file);
    if (text === undefined) continue;
    const index = tomlValueAt(parseTomlDocument(text, file).data, ["registries", name, "index"]);
    if (typeof index === "string") return index;
  }
  throw new PolyglotError(
    `crates.registry names the registry ${JSON.stringify(name)}, which .cargo/config.toml does not define`,
    {
      code: "crates-registry-unknown",
      file: path.join(".changeset", "polyglot.json"),
      setting: "crates.registry",
      fix: `add [registries.${name}] index = "sparse+https://..." to .cargo/config.toml (or set CARGO_REGISTRIES_${registryEnvName(name)}_INDEX), or use a URL such as https://crates.io`,
    },
  );
}
