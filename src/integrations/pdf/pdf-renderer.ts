import PDFDocument from 'pdfkit';
import type { PdfBlock, PdfDocumentModel, PdfTableBlock, PdfTextBlock, PdfTotalsBlock } from './pdf-document';
import { registerFonts } from './pdf-fonts';
import { drawLines, layoutText, lineHeight, type Span, type TextStyle } from './pdf-text-layout';

type Doc = PDFKit.PDFDocument;

const MARGIN = 50;
const FOOTER_HEIGHT = 30;
const GREY = '#555555';
const CELL_PADDING = 4;
const TABLE_SIZE = 9;

/**
 * Renders the model to an A4 PDF with page numbers. Deterministic: equal models give equal bytes.
 * Text may mix Latin and Devanagari (see pdf-fonts.ts for the fonts and the `?` fallback).
 */
export function renderPdf(model: PdfDocumentModel): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + FOOTER_HEIGHT },
    bufferPages: true,
    info: {
      Title: model.title,
      Author: model.branding.companyName,
      Producer: 'tenantql',
      Creator: 'tenantql',
      CreationDate: model.createdAt,
    },
  });
  registerFonts(doc);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  drawHeader(doc, model);
  for (const block of model.blocks) drawBlock(doc, block);
  numberPages(doc);
  doc.end();
  return done;
}

const contentWidth = (doc: Doc) => doc.page.width - doc.page.margins.left - doc.page.margins.right;
const pageBottom = (doc: Doc) => doc.page.height - doc.page.margins.bottom;

/** Starts a new page when `height` does not fit below the cursor. */
function ensureRoom(doc: Doc, height: number): void {
  if (doc.y + height > pageBottom(doc)) doc.addPage();
}

/** Moves the cursor down by `lines` lines of text of `size`. */
function gap(doc: Doc, size: number, lines = 1): void {
  doc.y += lineHeight(size) * lines;
}

interface WriteOptions {
  size: number;
  bold?: boolean;
  color?: string;
  /** Left edge; the text runs to the right margin. */
  x?: number;
}

/** Flows text from the cursor, a new page whenever the next line does not fit; leaves the cursor below it. */
function write(doc: Doc, text: string | Span[], options: WriteOptions): void {
  const left = options.x ?? doc.page.margins.left;
  const style: TextStyle = { size: options.size, width: contentWidth(doc) - (left - doc.page.margins.left) };
  for (const line of layoutText(doc, typeof text === 'string' ? [{ text, bold: options.bold }] : text, style)) {
    ensureRoom(doc, lineHeight(style.size));
    doc.fillColor(options.color ?? 'black');
    doc.y = drawLines(doc, [line], left, doc.y, style);
  }
  doc.x = doc.page.margins.left;
}

function drawHeader(doc: Doc, model: PdfDocumentModel): void {
  const { branding } = model;
  const left = doc.page.margins.left;
  const top = doc.y;
  let textLeft = left;
  if (branding.logo) {
    doc.image(branding.logo, left, top, { fit: [80, 60] });
    textLeft = left + 90;
  }
  const contact = [branding.address, branding.phone, branding.email]
    .filter((part): part is string => !!part)
    .join('\n');
  write(doc, branding.companyName, { size: 16, bold: true, x: textLeft });
  if (contact) write(doc, contact, { size: 9, color: GREY, x: textLeft });
  doc.y = Math.max(doc.y, branding.logo ? top + 60 : 0) + 20;
  write(doc, model.title, { size: 20, bold: true });
  gap(doc, 20, 0.5);
  for (const row of model.meta) write(doc, [{ text: `${row.label}: `, bold: true }, { text: row.value }], { size: 10 });
  gap(doc, 10);
}

function drawBlock(doc: Doc, block: PdfBlock): void {
  if (block.kind === 'text') drawText(doc, block);
  else if (block.kind === 'table') drawTable(doc, block);
  else drawTotals(doc, block);
  gap(doc, 10);
}

function drawText(doc: Doc, block: PdfTextBlock): void {
  if (block.heading) {
    ensureRoom(doc, 40);
    write(doc, block.heading, { size: 13, bold: true });
    gap(doc, 13, 0.3);
  }
  for (const line of block.text.split('\n')) {
    const heading = /^#+\s*(.*)$/.exec(line);
    if (heading) write(doc, heading[1], { size: 11, bold: true });
    else if (line.trim() === '') gap(doc, 10, 0.5);
    else write(doc, line, { size: 10 });
  }
}

/** A grid that continues on the next page, header repeated, when rows run past the bottom. */
function drawTable(doc: Doc, block: PdfTableBlock): void {
  const left = doc.page.margins.left;
  const share = block.columns.reduce((sum, c) => sum + c.width, 0);
  const widths = block.columns.map((c) => (c.width / share) * contentWidth(doc));
  const styles = block.columns.map((c, i): TextStyle => ({
    size: TABLE_SIZE,
    width: widths[i] - 2 * CELL_PADDING,
    align: c.align ?? 'left',
  }));
  const layoutRow = (cells: string[], bold = false) => {
    const lines = cells.map((text, i) => layoutText(doc, [{ text, bold }], styles[i]));
    return { lines, height: Math.max(...lines.map((cell) => cell.length)) * lineHeight(TABLE_SIZE) + 2 * CELL_PADDING };
  };
  const drawRow = (row: ReturnType<typeof layoutRow>) => {
    const top = doc.y;
    let x = left;
    doc.fillColor('black');
    row.lines.forEach((lines, i) => {
      drawLines(doc, lines, x + CELL_PADDING, top + CELL_PADDING, styles[i]);
      x += widths[i];
    });
    doc
      .moveTo(left, top + row.height)
      .lineTo(left + contentWidth(doc), top + row.height)
      .lineWidth(0.5)
      .strokeColor('#bbbbbb')
      .stroke();
    doc.x = left;
    doc.y = top + row.height;
  };
  const header = layoutRow(
    block.columns.map((c) => c.header),
    true,
  );
  const rows = block.rows.map((cells) => layoutRow(cells));
  ensureRoom(doc, header.height + (rows[0] ?? header).height);
  drawRow(header);
  for (const row of rows) {
    if (doc.y + row.height > pageBottom(doc)) {
      doc.addPage();
      drawRow(header);
    }
    drawRow(row);
  }
}

function drawTotals(doc: Doc, block: PdfTotalsBlock): void {
  const width = 220;
  const left = doc.page.margins.left + contentWidth(doc) - width;
  ensureRoom(doc, block.rows.length * lineHeight(11));
  doc.fillColor('black');
  for (const row of block.rows) {
    const top = doc.y;
    const size = row.strong ? 11 : 10;
    const cell = (text: string, x: number, align: TextStyle['align']) =>
      drawLines(doc, layoutText(doc, [{ text, bold: row.strong }], { size, width: width / 2, align }), x, top, {
        size,
        width: width / 2,
        align,
      });
    doc.y = Math.max(cell(row.label, left, 'left'), cell(row.value, left + width / 2, 'right'));
  }
  doc.x = doc.page.margins.left;
}

/** "Page n of m" in every page's footer (pages are buffered until the end). */
function numberPages(doc: Doc): void {
  const { start, count } = doc.bufferedPageRange();
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i);
    const style: TextStyle = { size: 8, width: contentWidth(doc), align: 'center' };
    doc.fillColor(GREY);
    drawLines(
      doc,
      layoutText(doc, [{ text: `Page ${i + 1} of ${count}` }], style),
      doc.page.margins.left,
      doc.page.height - MARGIN,
      style,
    );
  }
}
