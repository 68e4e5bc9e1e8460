import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import type { TableShape } from './tenant-catalog';

/** A row of `public.tenant_migrations`. */
export interface LedgerRow {
  name: string;
  appliedAt: string;
}

export const ARCHIVE_FORMAT = 'tenantql-tenant-backup';
export const ARCHIVE_VERSION = 1;

/** The first line of a backup: everything the restore needs before the first row. */
export interface ArchiveHeader {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  createdAt: string;
  serverVersion: string;
  /** The `public.tenants` row. */
  tenant: Record<string, unknown> & { id: string; slug: string; schema_name: string; status: string };
  /** `public.tenant_migrations` of the tenant, read in the same snapshot as the rows. */
  ledger: LedgerRow[];
  /** The tenant schema's tables and columns: what the rows fit. */
  shape: TableShape[];
  sequences: { name: string; lastValue: string; isCalled: boolean }[];
}

/** Rows of one table follow its section line. `part` says where the table lives. */
export interface ArchiveSection {
  part: 'tenant' | 'public';
  table: string;
  columns: string[];
}

export interface ArchiveTrailer {
  rows: number;
  sections: number;
}

/**
 * Gzipped lines `<tag>\t<json>`: `H` header, `S` section, `R` row, `E` trailer. JSON text never holds a
 * raw tab or newline, so lines split safely; rows stay text end to end (PostgreSQL's `row_to_json`
 * in, `json_populate_recordset` out), so no number or byte string passes through JavaScript values.
 * The file appears under its name only once complete (written as `<file>.partial`, then renamed).
 */
export class ArchiveWriter {
  private readonly gzip = createGzip();
  private readonly out: WriteStream;
  private readonly done: Promise<void>;
  private rows = 0;
  private sections = 0;

  private constructor(private readonly file: string) {
    const out = (this.out = createWriteStream(`${file}.partial`, { mode: 0o600 }));
    this.gzip.pipe(out);
    this.done = new Promise((resolve, reject) => {
      out.on('finish', resolve);
      out.on('error', reject);
      this.gzip.on('error', reject);
    });
    this.done.catch(() => undefined); // awaited by finish(); an abort must not leave it unhandled
  }

  static async create(file: string, header: ArchiveHeader): Promise<ArchiveWriter> {
    const writer = new ArchiveWriter(file);
    await writer.line('H', JSON.stringify(header));
    return writer;
  }

  section(section: ArchiveSection): Promise<void> {
    this.sections += 1;
    return this.line('S', JSON.stringify(section));
  }

  /** `json`: one row as PostgreSQL wrote it. */
  row(json: string): Promise<void> {
    this.rows += 1;
    return this.line('R', json);
  }

  async finish(): Promise<ArchiveTrailer> {
    const trailer = { rows: this.rows, sections: this.sections };
    await this.line('E', JSON.stringify(trailer));
    this.gzip.end();
    await this.done;
    await rename(`${this.file}.partial`, this.file);
    return trailer;
  }

  async abort(): Promise<void> {
    this.gzip.destroy();
    this.out.destroy();
    await once(this.out, 'close').catch(() => undefined);
    await rm(`${this.file}.partial`, { force: true });
  }

  private async line(tag: string, json: string): Promise<void> {
    if (!this.gzip.write(`${tag}\t${json}\n`)) await once(this.gzip, 'drain');
  }
}

export interface OpenArchive {
  header: ArchiveHeader;
  entries: AsyncGenerator<ArchiveEntry>;
}

export type ArchiveEntry =
  { tag: 'S'; section: ArchiveSection } | { tag: 'R'; json: string } | { tag: 'E'; trailer: ArchiveTrailer };

/** Reads a backup: the header first, then sections and rows; a file that ends before its trailer is refused. */
export async function openArchive(file: string): Promise<OpenArchive> {
  const raw = createReadStream(file);
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error)); // pipe() does not forward a missing or unreadable file
  const lines = createInterface({ input: raw.pipe(gunzip), crlfDelay: Infinity })[Symbol.asyncIterator]();
  let first: IteratorResult<string>;
  try {
    first = await lines.next();
  } catch (error) {
    throw new Error(`${file} is not a tenant backup (${(error as Error).message})`, { cause: error });
  }
  const header = first.done ? undefined : parseLine(first.value);
  if (header?.tag !== 'H') throw new Error(`${file} is not a tenant backup (no header line)`);
  const value = header.value as ArchiveHeader;
  if (value.format !== ARCHIVE_FORMAT || value.version !== ARCHIVE_VERSION) {
    throw new Error(`${file} is not a ${ARCHIVE_FORMAT} version ${ARCHIVE_VERSION} file`);
  }
  async function* entries(): AsyncGenerator<ArchiveEntry> {
    let rows = 0;
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const { tag, text } = splitLine(next.value);
      if (tag === 'R') {
        rows += 1;
        yield { tag, json: text };
      } else if (tag === 'S') {
        yield { tag, section: JSON.parse(text) as ArchiveSection };
      } else if (tag === 'E') {
        const trailer = JSON.parse(text) as ArchiveTrailer;
        if (trailer.rows !== rows) throw new Error(`${file}: ${rows} rows read, the trailer says ${trailer.rows}`);
        yield { tag, trailer };
        return;
      } else {
        throw new Error(`${file}: unexpected line type "${tag}"`);
      }
    }
    throw new Error(`${file} is truncated (no trailer line)`);
  }
  return { header: value, entries: entries() };
}

function splitLine(line: string): { tag: string; text: string } {
  const tab = line.indexOf('\t');
  return { tag: line.slice(0, tab), text: line.slice(tab + 1) };
}

function parseLine(line: string): { tag: string; value: unknown } | undefined {
  try {
    const { tag, text } = splitLine(line);
    return { tag, value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}
