import PDFDocument from 'pdfkit';
import { pdfText } from '../../../test/support/pdf-text';
import { logoFromDataUrl, renderPdf, type PdfDocumentModel } from './index';
import { fontRuns, registerFonts } from './pdf-fonts';
import { drawLines, layoutText } from './pdf-text-layout';

/** A 1×1 red PNG. */
const PNG_DATA_URL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';

const model = (patch: Partial<PdfDocumentModel> = {}): PdfDocumentModel => ({
  createdAt: new Date('2026-03-01T10:00:00Z'),
  title: 'Quote Q-2026-0007',
  branding: {
    companyName: 'Acme Networks',
    address: 'Lazimpat 12\nKathmandu',
    phone: '+977 1 4412345',
    email: 'sales@acme.example',
  },
  meta: [{ label: 'Customer', value: 'Everest Traders' }],
  blocks: [
    { kind: 'text', heading: 'Cover letter', text: '# Greetings\nDear Everest Traders,\n\nThank you.' },
    {
      kind: 'table',
      columns: [
        { header: '#', width: 1 },
        { header: 'Description', width: 6 },
        { header: 'Total', width: 2, align: 'right' },
      ],
      rows: [['1', 'Cable', '0.30']],
    },
    { kind: 'totals', rows: [{ label: 'Total', value: '0.30 NPR', strong: true }] },
  ],
  ...patch,
});

describe('PDF renderer (pdfkit)', () => {
  it('is deterministic: the same model gives the same bytes, another date other bytes', async () => {
    const first = await renderPdf(model());
    expect(first.subarray(0, 5).toString()).toBe('%PDF-');
    expect((await renderPdf(model())).equals(first)).toBe(true);
    expect((await renderPdf(model({ createdAt: new Date('2026-03-02T10:00:00Z') }))).equals(first)).toBe(false);
  });

  it('draws the letterhead, meta, markup, table and totals as text', async () => {
    const text = await pdfText(await renderPdf(model()));
    for (const expected of [
      'Acme Networks',
      'Kathmandu',
      'sales@acme.example',
      'Quote Q-2026-0007',
      'Customer: Everest Traders',
      'Greetings',
      'Dear Everest Traders,',
      'Cable',
      '0.30 NPR',
      'Page 1 of 1',
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain('# Greetings');
  });

  it('continues long tables on new pages with the header repeated, and numbers every page', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => [String(i + 1), `Item number ${i + 1}`, '1.00']);
    const pdf = await renderPdf(
      model({
        blocks: [
          {
            kind: 'table',
            columns: [
              { header: '#', width: 1 },
              { header: 'Description', width: 6 },
              { header: 'Total', width: 2 },
            ],
            rows,
          },
        ],
      }),
    );
    const text = await pdfText(pdf);
    const pages = Number(/Page 1 of (\d+)/.exec(text)![1]);
    expect(pages).toBeGreaterThan(2);
    for (let page = 1; page <= pages; page++) expect(text).toContain(`Page ${page} of ${pages}`);
    expect(text.match(/Description/g)).toHaveLength(pages);
    expect(text).toMatch(/^1\s+Item number 1\s/m);
    expect(text).toContain('Item number 150');
  });

  it('draws a data: URL logo and never fetches a remote one', async () => {
    expect(logoFromDataUrl('https://cdn.example/logo.png')).toBeNull();
    expect(logoFromDataUrl('data:image/svg+xml;base64,PHN2Zz4=')).toBeNull();
    const logo = logoFromDataUrl(PNG_DATA_URL)!;
    expect(logo.subarray(1, 4).toString()).toBe('PNG');
    const withLogo = await renderPdf(model({ branding: { companyName: 'Acme Networks', logo } }));
    const without = await renderPdf(model({ branding: { companyName: 'Acme Networks' } }));
    expect(withLogo.toString('latin1')).toContain('/Subtype /Image');
    expect(without.toString('latin1')).not.toContain('/Subtype /Image');
  });

  it('draws Devanagari names and descriptions with the embedded Noto Sans Devanagari, in the text layer too', async () => {
    const nepali = model({
      title: 'कोटेशन Q-2026-0007',
      branding: { companyName: 'सगरमाथा सेवा', address: 'पोखरा ८' },
      meta: [{ label: 'नाम', value: 'नमस्ते पोखरा' }],
      blocks: [
        {
          kind: 'table',
          columns: [
            { header: '#', width: 1 },
            { header: 'सामान', width: 6 },
            { header: 'Total', width: 2, align: 'right' },
          ],
          rows: [['१', 'केबल जडान, क्षेत्र ३ (Cat6)', 'रु 0.30']],
        },
      ],
    });
    const pdf = await renderPdf(nepali);
    expect((await renderPdf(nepali)).equals(pdf)).toBe(true);
    const fonts = pdf.toString('latin1').match(/\/BaseFont \/[A-Z]{6}\+[\w-]+/g);
    expect(fonts).toEqual(
      expect.arrayContaining([
        expect.stringContaining('+NotoSansDevanagari-Regular'),
        expect.stringContaining('+NotoSansDevanagari-Bold'),
      ]),
    );
    const text = await pdfText(pdf);
    for (const expected of [
      'सगरमाथा सेवा',
      'पोखरा ८',
      'कोटेशन Q-2026-0007',
      'नाम: नमस्ते पोखरा',
      'सामान',
      'केबल जडान, क्षेत्र ३ (Cat6)',
      'Page 1 of 1',
    ]) {
      expect(text).toContain(expected);
    }
    // pdf.js gives the glyph "रु" (र + ु, one ligature) no width, so it sees a gap before the amount.
    expect(text).toMatch(/रु\s+0\.30/);
    expect(text).not.toContain('?');
  });

  it('shapes conjuncts, reph and pre-base vowel signs; their text layer holds every character, in visual order', async () => {
    // pdf-parse reads glyphs left to right: "हि" (ह + ि) comes back as "िह", a reph after its consonants, and
    // it may split "ग्रा" into "ग्र" and "ा" with a space or line break between them.
    const names = ['हिमालय नेटवर्क्स', 'श्री गणेश कृषि', 'ग्राहक प्रा. लि.'];
    const text = await pdfText(await renderPdf(model({ meta: names.map((value) => ({ label: 'Customer', value })) })));
    const devanagari = (s: string) =>
      [...s]
        .filter((c) => /[\u0900-\u097F]/.test(c))
        .sort()
        .join('');
    expect(devanagari(text)).toBe(devanagari(names.join('')));
    expect(text).toContain('Customer: ');
    expect(text).not.toContain('?');
  });

  it('draws Windows-1252 signs the Noto subsets lack with Helvetica, and anything no font has as ?, without failing', async () => {
    expect(fontRuns('नेपाल Traders ± 5 中😀\u0007 Łódź', 'regular')).toEqual([
      { font: 'NotoSansDevanagari-devanagari-400', text: 'नेपाल ' },
      { font: 'NotoSansDevanagari-latin-400', text: 'Traders ' },
      { font: 'Helvetica', text: '± ' },
      { font: 'NotoSansDevanagari-latin-400', text: '5 ??? ' },
      { font: 'NotoSansDevanagari-latin-ext-400', text: 'Ł' },
      { font: 'NotoSansDevanagari-latin-400', text: 'ód' },
      { font: 'NotoSansDevanagari-latin-ext-400', text: 'ź' },
    ]);
    expect(fontRuns('श्री Ltd', 'bold').map((run) => run.font)).toEqual([
      'NotoSansDevanagari-devanagari-700',
      'NotoSansDevanagari-latin-700',
    ]);
    const text = await pdfText(
      await renderPdf(model({ meta: [{ label: 'Customer', value: 'Café — 3 × 4 € “ok” ± ½ 中文 Łódź' }] })),
    );
    expect(text).toContain('Customer: Café — 3 × 4 € “ok” ± ½ ?? Łódź');
  });

  it('wraps mixed-script text at spaces within the width and right-aligns it by the widths of its runs', async () => {
    const doc = new PDFDocument({ compress: false });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    registerFonts(doc);
    const style = { size: 9, width: 120, align: 'right' as const };
    const description = 'श्री क्षेत्र कार्यालय नेटवर्क जडान तथा परीक्षण, floor 3, supplied and tested';
    const lines = layoutText(doc, [{ text: description }], style);
    const texts = lines.map((line) => line.runs.map((run) => run.text).join(''));
    expect(lines.length).toBeGreaterThan(2);
    expect(texts.join('')).toBe(description);
    texts.slice(0, -1).forEach((text) => expect(text).toMatch(/\S $/));
    lines.forEach((line) => expect(line.width).toBeLessThanOrEqual(style.width));

    const [amount] = layoutText(doc, [{ text: 'रु 1,000.00' }], style);
    expect(amount.runs.map((run) => run.font)).toEqual([
      'NotoSansDevanagari-devanagari-400',
      'NotoSansDevanagari-latin-400',
    ]);
    drawLines(doc, [amount], 100, 200, style);
    await new Promise((resolve) => doc.on('end', resolve).end());
    // Each run is placed after the one before, the last ending at the column's right edge.
    const starts = [
      ...Buffer.concat(chunks)
        .toString('latin1')
        .matchAll(/1 0 0 1 ([\d.]+) [\d.]+ Tm/g),
    ].map((match) => Number(match[1]));
    expect(starts).toHaveLength(2);
    expect(starts[1]).toBeCloseTo(starts[0] + amount.runs[0].width);
    expect(starts[1] + amount.runs[1].width).toBeCloseTo(100 + style.width);

    // A word wider than the column is cut between graphemes (never inside a conjunct).
    const cut = layoutText(doc, [{ text: 'क्षेत्र'.repeat(12) }], { size: 9, width: 40 });
    expect(cut.length).toBeGreaterThan(1);
    for (const line of cut) {
      expect(line.width).toBeLessThanOrEqual(40);
      expect(line.runs.map((run) => run.text).join('')).toMatch(/^(क्षे|त्र)+$/);
    }
  });
});
