/**
 * Reading export files as text, streaming: gzip is detected by its magic
 * bytes (1f 8b), not by the file name; a BOM is dropped; multi-byte UTF-8
 * characters split across chunks are reassembled. Bytes read from disk and a
 * SHA-256 of them are tracked for progress and the registry's checksum.
 */
import { createReadStream, openSync, readSync, closeSync, statSync } from "node:fs";
import { createGunzip } from "node:zlib";
import { StringDecoder } from "node:string_decoder";
import { createHash, type Hash } from "node:crypto";
import { once } from "node:events";
import { parse as csvParse } from "csv-parse";
import { UserError } from "../shared/errors.js";
import { tooLargeError } from "./limits.js";

export type Format = "ndjson" | "csv";

/** Fails early (exit 2) for a path that is missing, a folder, or unreadable. */
export function assertReadable(file: string): void {
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
    closeSync(openSync(file, "r"));
  } catch {
    throw new UserError(`${file}: cannot read the file (does it exist?).`);
  }
  if (!isFile) throw new UserError(`${file}: is not a file.`);
}

export function isGzipFile(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(2);
    const n = readSync(fd, head, 0, 2, 0);
    return n === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** NDJSON when the first non-blank character is `{`, else CSV with a header. */
export function detectFormat(firstText: string): Format {
  const m = /\S/.exec(firstText);
  return m && m[0] === "{" ? "ndjson" : "csv";
}

/** A failure of the byte stream itself (truncated gzip, I/O error), as opposed to bad content. */
export class SourceError extends Error {}

export interface ReadCounters {
  bytes: number;
}

/** Decoded text chunks of one file; more than `maxDecompressedBytes` of it is an error (docs/ingest.md#limits). */
export async function* readText(file: string, counters: ReadCounters, hash?: Hash, maxDecompressedBytes = Infinity): AsyncGenerator<string> {
  const gz = isGzipFile(file);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  raw.on("data", (b) => {
    counters.bytes += b.length;
    hash?.update(b as Buffer);
  });
  const stream = gz ? raw.pipe(createGunzip({ chunkSize: 1 << 18 })) : raw;
  if (gz) raw.on("error", (err) => stream.destroy(err));
  const decoder = new StringDecoder("utf8");
  let first = true;
  let decoded = 0;
  try {
    for await (const buf of stream) {
      decoded += (buf as Buffer).length;
      if (decoded > maxDecompressedBytes) throw tooLargeError(file, maxDecompressedBytes);
      let text = decoder.write(buf as Buffer);
      if (first && text.length) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      if (text) yield text;
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    const msg = (err as Error).message;
    if (gz) throw new SourceError(`the gzip data is truncated or corrupt (${msg})`);
    throw new SourceError(`cannot read the file (${msg})`);
  } finally {
    raw.destroy();
  }
  const tail = decoder.end();
  if (tail) yield tail;
}

/** SHA-256 of the files' bytes as stored (the registry's checksum). */
export async function sha256OfFiles(files: string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const f of files) for await (const b of createReadStream(f, { highWaterMark: 1 << 20 })) hash.update(b as Buffer);
  return hash.digest("hex");
}

export interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * The records of a CSV text stream: csv-parse fed from `first` and `rest`
 * with backpressure, each record with its line number. A reading error of the
 * stream ends the iteration by throwing it.
 */
export async function* csvRecords(first: string, rest: AsyncGenerator<string>, opts: { skipEmptyRecords: boolean; maxRecordBytes?: number }): AsyncGenerator<CsvRecord> {
  const csv = csvParse({
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: opts.skipEmptyRecords,
    ...(opts.maxRecordBytes ? { max_record_size: opts.maxRecordBytes } : {}),
  });
  const feed = (async () => {
    try {
      if (!csv.write(first)) await once(csv, "drain");
      for await (const chunk of rest) if (!csv.write(chunk)) await once(csv, "drain");
      csv.end();
    } catch (err) {
      csv.destroy(err as Error);
    }
  })();
  yield* csv as AsyncIterable<CsvRecord>;
  await feed;
}
