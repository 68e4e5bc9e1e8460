import { pdfText } from '../../../test/support/pdf-text';
import { logoFromDataUrl, renderPdf, winAnsi, type PdfDocumentModel } from './index';

/** A 1×1 red PNG. */
const PNG_DATA_URL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';

const model = (patch: Partial<PdfDocumentModel> = {}): PdfDocumentModel => ({
  createdAt: new Date('2026-03-01T10:00:00Z'),
  title: 'Quote Q-2026-0007',
  branding: { companyName: 'Acme Networks', address: 'Lazimpat 12\nKathmandu', phone: '+977 1 4412345', email: 'sales@acme.example' },
  meta: [{ label: 'Customer', value: 'Everest Traders' }],
  blocks: [
    { kind: 'text', heading: 'Cover letter', text: '# Greetings\nDear Everest Traders,\n\nThank you.' },
    { kind: 'table', columns: [{ header: '#', width: 1 }, { header: 'Description', width: 6 }, { header: 'Total', width: 2, align: 'right' }], rows: [['1', 'Cable', '0.30']] },
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
    for (const expected of ['Acme Networks', 'Kathmandu', 'sales@acme.example', 'Quote Q-2026-0007', 'Customer: Everest Traders', 'Greetings', 'Dear Everest Traders,', 'Cable', '0.30 NPR', 'Page 1 of 1']) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain('# Greetings');
  });

  it('continues long tables on new pages with the header repeated, and numbers every page', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => [String(i + 1), `Item number ${i + 1}`, '1.00']);
    const pdf = await renderPdf(model({ blocks: [{ kind: 'table', columns: [{ header: '#', width: 1 }, { header: 'Description', width: 6 }, { header: 'Total', width: 2 }], rows }] }));
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

  it('keeps Windows-1252 text and shows other scripts as ? (the built-in Helvetica has no Devanagari)', async () => {
    expect(winAnsi('Café — 3 × 4 € “ok”')).toBe('Café — 3 × 4 € “ok”');
    expect(winAnsi('नेपाल Traders')).toBe('????? Traders');
    const text = await pdfText(await renderPdf(model({ meta: [{ label: 'Customer', value: 'नेपाल Traders' }] })));
    expect(text).toContain('Customer: ????? Traders');
  });
});
