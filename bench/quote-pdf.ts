import { renderPdf } from '../src/integrations/pdf';
import { pricedBlocks } from '../src/modules/quotes';
import type { BenchContext, BenchSection } from './bench-context';
import { formatMs, percentile, timed, type SectionResult } from './report';

/**
 * A quote's PDF as sendQuote and GET /quotes/:id/pdf render it: letterhead, four documents, `lines` priced lines;
 * `nepali` writes the company, customer and line descriptions in Devanagari (shaped with Noto Sans Devanagari).
 */
function quoteModel(lines: number, nepali = false) {
  const lineItems = Array.from({ length: lines }, (_, i) => ({
    position: i + 1,
    description: nepali
      ? `क्याट ६ केबल जडान, तल्ला ${1 + (i % 9)}, आपूर्ति र परीक्षण सहित`
      : `Cat6 cable run, floor ${1 + (i % 9)}, supplied, laid and tested`,
    quantity: '120.000',
    unitPrice: '0.35',
    discountPercent: '0.000',
    taxRate: '13.000',
    total: '47.46',
  }));
  const paragraph = 'We will deliver the work described below within the agreed schedule. '.repeat(8);
  return {
    createdAt: new Date('2026-03-01T10:00:00Z'),
    title: 'Quote Q-2026-0001',
    branding: {
      companyName: nepali ? 'हिमालय नेटवर्क्स प्रा. लि.' : 'Himalaya Networks Pvt Ltd',
      address: 'Lazimpat 12\nKathmandu',
      phone: '+977 1 4412345',
      email: 'sales@himalaya.example',
    },
    meta: [{ label: 'Customer', value: nepali ? 'सगरमाथा ट्रेडर्स' : 'Everest Traders' }],
    blocks: [
      ...['Cover letter', 'Quote', 'Scope of work', 'Terms and conditions'].map((heading) => ({
        kind: 'text' as const,
        heading,
        text: `${paragraph}\n\n${paragraph}`,
      })),
      ...pricedBlocks({ currency: 'NPR', subtotal: '1.00', discount: '0.00', tax: '0.13', total: '1.13', lineItems }),
    ],
  };
}

async function renderTimes(
  lines: number,
  samples: number,
  nepali = false,
): Promise<{ p50: number; p95: number; bytes: number }> {
  const model = quoteModel(lines, nepali);
  let bytes = 0;
  for (let i = 0; i < 3; i++) bytes = (await renderPdf(model)).length; // warm-up
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) ms.push((await timed(() => renderPdf(model))).ms);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), bytes };
}

/** Rendering runs inside sendQuote's transaction and per download: it should stay well under a request's budget. */
export const quotePdfSection: BenchSection = {
  title: 'Quote PDFs',
  async run(context: BenchContext): Promise<SectionResult> {
    const samples = context.options.quick ? 10 : 50;
    const small = await renderTimes(10, samples);
    const large = await renderTimes(500, samples);
    const nepali = await renderTimes(500, samples, true);
    context.print(
      `  10 lines: p50 ${formatMs(small.p50)}, ${small.bytes} bytes; 500 lines: p50 ${formatMs(large.p50)}, ${large.bytes} bytes; 500 Devanagari lines: p50 ${formatMs(nepali.p50)}, ${nepali.bytes} bytes`,
    );
    const figure = (times: { p50: number; p95: number; bytes: number }) =>
      `${formatMs(times.p50)} / ${formatMs(times.p95)}, ${Math.round(times.bytes / 1024)} KiB`;
    return {
      rows: [
        { section: 'Quote PDFs', measurement: 'render, 10 lines (p50 / p95, size)', figure: figure(small) },
        { section: 'Quote PDFs', measurement: 'render, 500 lines (p50 / p95, size)', figure: figure(large) },
        {
          section: 'Quote PDFs',
          measurement: 'render, 500 Devanagari lines (p50 / p95, size)',
          figure: figure(nepali),
        },
      ],
      targets: [
        { name: 'PDF of a 500-line quote (p95)', figure: formatMs(large.p95), goal: '< 500 ms', met: large.p95 < 500 },
        {
          name: 'PDF of a 500-line Devanagari quote (p95)',
          figure: formatMs(nepali.p95),
          goal: '< 500 ms',
          met: nepali.p95 < 500,
        },
      ],
    };
  },
};
