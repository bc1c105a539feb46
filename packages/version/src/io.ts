/** Where a run writes; the CLI passes the process streams, tests pass collectors. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}
