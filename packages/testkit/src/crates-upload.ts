import { gunzipSync } from "node:zlib";
import semver from "semver";
import {
  CRATE_NAME,
  type CrateStore,
  type IndexDependency,
  type IndexEntry,
  sha256Hex,
} from "./crates-index.js";

/** A dependency in cargo's publish metadata (`crates_io::NewCrateDependency`). */
interface UploadDependency {
  name: string;
  version_req: string;
  features?: string[];
  optional?: boolean;
  default_features?: boolean;
  target?: string | null;
  kind?: "normal" | "build" | "dev";
  registry?: string | null;
  explicit_name_in_toml?: string | null;
}

/** The JSON part of `PUT /api/v1/crates/new` (`crates_io::NewCrate`), the fields the stand-in checks. */
export interface UploadMetadata {
  name: string;
  vers: string;
  deps: UploadDependency[];
  features?: Record<string, string[]>;
  description?: string | null;
  license?: string | null;
  license_file?: string | null;
  links?: string | null;
  rust_version?: string | null;
}

export interface ParsedUpload {
  metadata: UploadMetadata;
  file: Buffer;
}

/** An answer in crates.io's error format: `{"errors":[{"detail": ...}]}`. */
export class UploadRefused extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/**
 * Cargo's wire format: u32 LE length + JSON metadata, u32 LE length + `.crate` bytes (crates.io
 * `controllers/krate/publish.rs`, the cargo book's "Registry Web API").
 */
export function parseUploadBody(body: Buffer): ParsedUpload {
  if (body.length < 4) throw new UploadRefused(400, "invalid upload request: body too short");
  const jsonLength = body.readUInt32LE(0);
  if (4 + jsonLength + 4 > body.length)
    throw new UploadRefused(400, "invalid upload request: truncated metadata");
  let metadata: UploadMetadata;
  try {
    metadata = JSON.parse(body.subarray(4, 4 + jsonLength).toString("utf8")) as UploadMetadata;
  } catch (error) {
    throw new UploadRefused(400, `invalid upload request: ${(error as Error).message}`);
  }
  const fileLength = body.readUInt32LE(4 + jsonLength);
  const start = 8 + jsonLength;
  if (start + fileLength !== body.length) {
    throw new UploadRefused(400, "invalid upload request: the tarball length does not match the body");
  }
  return { metadata, file: body.subarray(start, start + fileLength) };
}

/** crates.io's checks of a new version, in its order; returns the index line to add. */
export function validateUpload(upload: ParsedUpload, store: CrateStore, ownIndex: string): IndexEntry {
  const { metadata } = upload;
  if (typeof metadata.name !== "string" || !CRATE_NAME.test(metadata.name)) {
    throw new UploadRefused(
      400,
      `invalid upload request: invalid crate name: ${JSON.stringify(metadata.name)}`,
    );
  }
  if (typeof metadata.vers !== "string" || !semver.valid(metadata.vers)) {
    throw new UploadRefused(400, `invalid upload request: invalid semver: ${JSON.stringify(metadata.vers)}`);
  }
  const missing = [
    ...(isEmpty(metadata.description) ? ["description"] : []),
    ...(isEmpty(metadata.license) && isEmpty(metadata.license_file) ? ["license"] : []),
  ];
  if (missing.length > 0) {
    throw new UploadRefused(
      400,
      `missing or empty metadata fields: ${missing.join(", ")}. Please see https://doc.rust-lang.org/cargo/reference/manifest.html for more information on configuring these fields`,
    );
  }
  const existing = store.crate(metadata.name);
  if (existing && existing.name !== metadata.name) {
    throw new UploadRefused(400, `crate was previously named \`${existing.name}\``);
  }
  if (store.version(metadata.name, metadata.vers)) {
    throw new UploadRefused(400, `crate ${metadata.name}@${metadata.vers} already exists`);
  }
  const deps = (metadata.deps ?? []).map((dep) => indexDependency(dep, store, ownIndex));
  checkTarball(upload.file, metadata.name, metadata.vers);
  return {
    name: metadata.name,
    vers: metadata.vers,
    deps,
    cksum: sha256Hex(upload.file),
    features: metadata.features ?? {},
    yanked: false,
    links: metadata.links ?? null,
    v: 2,
    ...(metadata.rust_version ? { rust_version: metadata.rust_version } : {}),
  };
}

function isEmpty(value: string | null | undefined): boolean {
  return typeof value !== "string" || value.trim() === "";
}

/** Dependencies must be crates of this registry that exist (crates.io refuses other registries too). */
function indexDependency(dep: UploadDependency, store: CrateStore, ownIndex: string): IndexDependency {
  if (typeof dep.name !== "string" || !CRATE_NAME.test(dep.name)) {
    throw new UploadRefused(
      400,
      `invalid upload request: invalid dependency name: ${JSON.stringify(dep.name)}`,
    );
  }
  if (typeof dep.version_req !== "string" || !semver.validRange(dep.version_req)) {
    throw new UploadRefused(
      400,
      `invalid upload request: invalid version requirement of dependency \`${dep.name}\`: ${JSON.stringify(dep.version_req)}`,
    );
  }
  const registry = dep.registry ?? undefined;
  if (registry !== undefined && stripSparse(registry) !== stripSparse(ownIndex)) {
    throw new UploadRefused(
      400,
      `Dependency \`${dep.name}\` is hosted on another registry. Cross-registry dependencies are not permitted on this registry.`,
    );
  }
  if (!store.crate(dep.name) && dep.kind !== "dev") {
    throw new UploadRefused(400, `no known crate named \`${dep.name}\``);
  }
  const rename = dep.explicit_name_in_toml ?? undefined;
  return {
    name: rename ?? dep.name,
    req: dep.version_req,
    features: dep.features ?? [],
    optional: dep.optional ?? false,
    default_features: dep.default_features ?? true,
    target: dep.target ?? null,
    kind: dep.kind ?? "normal",
    ...(rename ? { package: dep.name } : {}),
  };
}

function stripSparse(url: string): string {
  return url.replace(/^sparse\+/, "").replace(/\/+$/, "");
}

/** The `.crate` file must be a gzipped tar holding `<name>-<version>/Cargo.toml`. */
function checkTarball(file: Buffer, name: string, version: string): void {
  let tar: Buffer;
  try {
    tar = gunzipSync(file);
  } catch {
    throw new UploadRefused(400, "uploaded tarball is malformed or too large when decompressed");
  }
  const expected = `${name}-${version}/Cargo.toml`;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    const entry = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    if (entry === "") break;
    const prefix = header.subarray(345, 500).toString("utf8").replace(/\0.*$/s, "");
    if ((prefix ? `${prefix}/${entry}` : entry) === expected) return;
    const size = Number.parseInt(
      header.subarray(124, 136).toString("utf8").replace(/\0.*$/s, "").trim() || "0",
      8,
    );
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new UploadRefused(400, `uploaded tarball is missing a \`Cargo.toml\` manifest file (${expected})`);
}
