/** A business document as plain data: what the PDF renderer draws, knowing nothing of where it came from. */
export interface PdfDocumentModel {
  /** Written as the PDF's CreationDate: the same model always gives the same bytes. */
  createdAt: Date;
  /** Heading on the first page and the PDF's Title, e.g. "Quote Q-2026-0001". */
  title: string;
  branding: PdfBranding;
  /** Label/value pairs under the title (number, dates, customer…). */
  meta: { label: string; value: string }[];
  /** Drawn in order. */
  blocks: PdfBlock[];
}

export interface PdfBranding {
  companyName: string;
  /** Several lines allowed. */
  address?: string | null;
  phone?: string | null;
  email?: string | null;
  /** PNG or JPEG bytes (see logoFromDataUrl). */
  logo?: Buffer | null;
}

export type PdfBlock = PdfTextBlock | PdfTableBlock | PdfTotalsBlock;

/** Plain text with light markup: lines starting with `#` are headings, blank lines separate paragraphs. */
export interface PdfTextBlock {
  kind: 'text';
  heading?: string;
  text: string;
}

export interface PdfTableBlock {
  kind: 'table';
  /** `width` is a share of the page width; the shares are scaled to fill it. */
  columns: { header: string; width: number; align?: 'left' | 'right' }[];
  rows: string[][];
}

export interface PdfTotalsBlock {
  kind: 'totals';
  rows: { label: string; value: string; strong?: boolean }[];
}

const DATA_URL = /^data:image\/(png|jpeg);base64,([A-Za-z0-9+/=\s]+)$/;

/**
 * The logo bytes of a `data:image/png|jpeg;base64,…` URL. Any other URL gives null: a render
 * never fetches from the network (no SSRF through a tenant's logoUrl, no slow or failing fetches).
 */
export function logoFromDataUrl(url: string | null | undefined): Buffer | null {
  const match = url ? DATA_URL.exec(url) : null;
  return match ? Buffer.from(match[2], 'base64') : null;
}
