import type { MailContent } from '../../integrations/mail';

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** To each OWNER and ADMIN when an endpoint was disabled after repeated failures. */
export function endpointDisabledMail(p: {
  productName: string;
  firstName: string;
  organizationName: string;
  url: string;
  failures: number;
  link: string;
}): MailContent {
  const subject = `Webhook endpoint disabled for ${p.organizationName}`;
  const paragraphs = [
    `Hello ${p.firstName},`,
    `The webhook endpoint ${p.url} of ${p.organizationName} failed ${p.failures} delivery attempts in a row, so it ` +
      'was disabled: no further events are sent to it.',
    'Once the receiver answers with a 2xx status again, re-enable the endpoint (updateWebhookEndpoint with ' +
      'enabled: true) and replay the deliveries it missed (replayWebhookDelivery).',
  ];
  const text = [...paragraphs, '', `Webhook settings: ${p.link}`, '', `— ${p.productName}`].join('\n');
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>` +
    '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#111;line-height:1.5">' +
    paragraphs.map((t) => `<p style="margin:0 0 16px">${escapeHtml(t)}</p>`).join('') +
    `<p><a href="${escapeHtml(p.link)}">Webhook settings</a></p><p>— ${escapeHtml(p.productName)}</p></body></html>`;
  return { subject, html, text };
}
