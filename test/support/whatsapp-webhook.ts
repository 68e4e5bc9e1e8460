import { createHmac } from 'node:crypto';

/** The WhatsApp webhook's path, as the channel reports it. */
export const WHATSAPP_WEBHOOK = '/api/v1/whatsapp/webhook';

/** As Meta signs: HMAC-SHA256 of the exact bytes with the app secret. */
export const signWhatsApp = (raw: string, secret: string) =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

/** A WhatsApp webhook body shaped like Meta's, with Meta's compact spacing; `customer` is the sender's number. */
export function whatsAppWebhookBody(
  phoneNumberId: string,
  customer: string,
  value: { messages?: unknown[]; statuses?: unknown[] },
): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA-ID',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001111', phone_number_id: phoneNumberId },
              ...(value.messages ? { contacts: [{ profile: { name: 'Ram Bahadur' }, wa_id: customer }] } : {}),
              ...value,
            },
          },
        ],
      },
    ],
  });
}
