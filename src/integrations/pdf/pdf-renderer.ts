import PDFDocument from 'pdfkit';
import type { PdfBlock, PdfDocumentModel, PdfTableBlock, PdfTextBlock, PdfTotalsBlock } from './pdf-document';

type Doc = PDFKit.PDFDocument;

const MARGIN = 50;
const FOOTER_HEIGHT = 30;
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const GREY = '#555555';
const CELL_PADDING = 4;

/** Windows-1252 characters outside Latin-1 that the built-in fonts can draw. */
const CP1252_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/**
 * The built-in Helvetica only knows Windows-1252 (WinAnsi): other characters (e.g. Devanagari)
 * are drawn as `?` rather than as broken glyphs. Bundling a Unicode font would lift this.
 */
export function winAnsi(text: string): string {
  return [...text.replace(/\t/g, '    ')]
    .map((c) => {
      const code = c.codePointAt(0)!;
      return c === '\n' || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || CP1252_EXTRA.has(c) ? c : '?';
    })
    .join('');
}

/** Renders the model to an A4 PDF with page numbers. Deterministic: equal models give equal bytes. */
export function renderPdf(model: PdfDocumentModel): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + FOOTER_HEIGHT },
    bufferPages: true,
    info: { Title: winAnsi(model.title), Author: winAnsi(model.branding.companyName), Producer: 'tenantql', Creator: 'tenantql', CreationDate: model.createdAt },
  });
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

function drawHeader(doc: Doc, model: PdfDocumentModel): void {
  const { branding } = model;
  const left = doc.page.margins.left;
  const top = doc.y;
  let textLeft = left;
  if (branding.logo) {
    doc.image(branding.logo, left, top, { fit: [80, 60] });
    textLeft = left + 90;
  }
  const contact = [branding.address, branding.phone, branding.email].filter((part): part is string => !!part).join('\n');
  doc.font(BOLD).fontSize(16).fillColor('black').text(winAnsi(branding.companyName), textLeft, top);
  if (contact) doc.font(FONT).fontSize(9).fillColor(GREY).text(winAnsi(contact));
  doc.x = left;
  doc.y = Math.max(doc.y, branding.logo ? top + 60 : 0) + 20;
  doc.font(BOLD).fontSize(20).fillColor('black').text(winAnsi(model.title));
  doc.moveDown(0.5);
  for (const row of model.meta) {
    doc.font(BOLD).fontSize(10).text(`${winAnsi(row.label)}: `, { continued: true }).font(FONT).text(winAnsi(row.value));
  }
  doc.moveDown();
}

function drawBlock(doc: Doc, block: PdfBlock): void {
  if (block.kind === 'text') drawText(doc, block);
  else if (block.kind === 'table') drawTable(doc, block);
  else drawTotals(doc, block);
  doc.moveDown();
}

function drawText(doc: Doc, block: PdfTextBlock): void {
  if (block.heading) {
    ensureRoom(doc, 40);
    doc.font(BOLD).fontSize(13).fillColor('black').text(winAnsi(block.heading));
    doc.moveDown(0.3);
  }
  for (const line of winAnsi(block.text).split('\n')) {
    const heading = /^#+\s*(.*)$/.exec(line);
    if (heading) doc.font(BOLD).fontSize(11).text(heading[1]);
    else if (line.trim() === '') doc.moveDown(0.5);
    else doc.font(FONT).fontSize(10).text(line);
  }
}

/** A grid that continues on the next page, header repeated, when rows run past the bottom. */
function drawTable(doc: Doc, block: PdfTableBlock): void {
  const left = doc.page.margins.left;
  const share = block.columns.reduce((sum, c) => sum + c.width, 0);
  const widths = block.columns.map((c) => (c.width / share) * contentWidth(doc));
  const rowHeight = (cells: string[], font = FONT) =>
    Math.max(...cells.map((c, i) => doc.font(font).fontSize(9).heightOfString(winAnsi(c), { width: widths[i] - 2 * CELL_PADDING }))) + 2 * CELL_PADDING;
  const drawRow = (cells: string[], font: string, height = rowHeight(cells, font)) => {
    doc.font(font).fontSize(9).fillColor('black');
    const top = doc.y;
    let x = left;
    cells.forEach((text, i) => {
      doc.text(winAnsi(text), x + CELL_PADDING, top + CELL_PADDING, { width: widths[i] - 2 * CELL_PADDING, align: block.columns[i].align ?? 'left' });
      x += widths[i];
    });
    doc.moveTo(left, top + height).lineTo(left + contentWidth(doc), top + height).lineWidth(0.5).strokeColor('#bbbbbb').stroke();
    doc.x = left;
    doc.y = top + height;
  };
  const header = block.columns.map((c) => c.header);
  ensureRoom(doc, rowHeight(header, BOLD) + rowHeight(block.rows[0] ?? header));
  drawRow(header, BOLD);
  for (const row of block.rows) {
    const height = rowHeight(row);
    if (doc.y + height > pageBottom(doc)) {
      doc.addPage();
      drawRow(header, BOLD);
    }
    drawRow(row, FONT, height);
  }
}

function drawTotals(doc: Doc, block: PdfTotalsBlock): void {
  const width = 220;
  const left = doc.page.margins.left + contentWidth(doc) - width;
  ensureRoom(doc, block.rows.length * 16);
  for (const row of block.rows) {
    const top = doc.y;
    doc.font(row.strong ? BOLD : FONT).fontSize(row.strong ? 11 : 10).fillColor('black');
    doc.text(winAnsi(row.label), left, top, { width: width / 2 });
    doc.text(winAnsi(row.value), left + width / 2, top, { width: width / 2, align: 'right' });
  }
  doc.x = doc.page.margins.left;
}

/** "Page n of m" in every page's footer (pages are buffered until the end). */
function numberPages(doc: Doc): void {
  const { start, count } = doc.bufferedPageRange();
  for (let i = start; i < start + count; i++) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    // Writing inside the bottom margin would start a new page.
    doc.page.margins.bottom = 0;
    doc.font(FONT).fontSize(8).fillColor(GREY).text(`Page ${i + 1} of ${count}`, doc.page.margins.left, doc.page.height - MARGIN, {
      width: contentWidth(doc),
      align: 'center',
      lineBreak: false,
    });
    doc.page.margins.bottom = bottom;
  }
}
