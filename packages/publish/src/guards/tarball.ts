import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";

const BLOCK = 512;
/** Bounds on what is read from a tarball (npm refuses packages above a few hundred MB anyway). */
const MAX_UNPACKED = 1024 * 1024 * 1024;

/** npm's `dist.integrity` of a tarball: sha512, base64. */
export function integrityOf(tarball: Buffer): string {
  return `sha512-${createHash("sha512").update(tarball).digest("base64")}`;
}

/** Path -> sha256 of each regular file in a gzipped tarball (ustar, with PAX and GNU long names, as npm packs). */
export function tarballDigests(tarball: Buffer): Map<string, string> {
  const data = gunzipSync(tarball, { maxOutputLength: MAX_UNPACKED });
  const files = new Map<string, string>();
  let longName: string | undefined;
  for (let at = 0; at + BLOCK <= data.length; ) {
    const header = data.subarray(at, at + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = Number.parseInt(text(header, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] ?? 0x30);
    const body = data.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x") {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString("utf8"))?.[1] ?? longName;
      continue;
    }
    if (type === "L") {
      longName = body.toString("utf8").replace(/\0+$/, "");
      continue;
    }
    const prefix = text(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    longName = undefined;
    if (type === "0" || type === "\0") files.set(name, createHash("sha256").update(body).digest("hex"));
  }
  return files;
}

function text(header: Buffer, start: number, length: number): string {
  const field = header.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString("utf8");
}

/** The files whose content differs between two tarballs, or that only one of them has. */
export function differingFiles(first: Buffer, second: Buffer): string[] {
  const a = tarballDigests(first);
  const b = tarballDigests(second);
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((name) => a.get(name) !== b.get(name)).sort();
}
