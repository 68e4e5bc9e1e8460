import { z } from 'zod';

/** The delivery statuses Meta reports for a message a business sent. */
export type WhatsAppStatus = 'sent' | 'delivered' | 'read' | 'failed';

/** A customer's message, flattened out of one webhook change. */
export interface WhatsAppInboundMessage {
  kind: 'message';
  phoneNumberId: string;
  wamid: string;
  /** The sender's number, digits only (Meta's `from`). */
  from: string;
  name?: string;
  timestamp: string;
  /** The text, or a placeholder such as `[image]` (with its caption) for other message types. */
  body: string;
}

/** What Meta learnt about a message the business sent. */
export interface WhatsAppStatusUpdate {
  kind: 'status';
  phoneNumberId: string;
  wamid: string;
  status: WhatsAppStatus;
  recipientId?: string;
  error?: string;
}

export type WhatsAppEvent = WhatsAppInboundMessage | WhatsAppStatusUpdate;

const message = z.object({
  from: z.string().regex(/^\d{1,20}$/),
  id: z.string().min(1).max(200),
  timestamp: z.string(),
  type: z.string(),
  text: z.object({ body: z.string() }).optional(),
  image: z.object({ caption: z.string().optional() }).passthrough().optional(),
  video: z.object({ caption: z.string().optional() }).passthrough().optional(),
  document: z.object({ caption: z.string().optional() }).passthrough().optional(),
});

const status = z.object({
  id: z.string().min(1).max(200),
  status: z.string(),
  recipient_id: z.string().optional(),
  errors: z
    .array(z.object({ code: z.number().optional(), title: z.string().optional(), message: z.string().optional() }))
    .optional(),
});

const change = z.object({
  field: z.string().optional(),
  value: z
    .object({
      metadata: z.object({ phone_number_id: z.string().min(1).max(40) }).optional(),
      contacts: z
        .array(
          z.object({ wa_id: z.string().optional(), profile: z.object({ name: z.string().optional() }).optional() }),
        )
        .optional(),
      messages: z.array(message).optional(),
      statuses: z.array(status).optional(),
    })
    .optional(),
});

const payload = z.object({
  object: z.string().optional(),
  entry: z.array(z.object({ changes: z.array(change).optional() })).default([]),
});

const KNOWN_STATUSES = new Set<string>(['sent', 'delivered', 'read', 'failed']);
const CAPTIONED = ['image', 'video', 'document'] as const;

/** Non-text messages are kept as a placeholder naming their type (media is not downloaded). */
function bodyOf(m: z.infer<typeof message>): string {
  if (m.type === 'text' && m.text) return m.text.body;
  const caption = (CAPTIONED as readonly string[]).includes(m.type)
    ? m[m.type as (typeof CAPTIONED)[number]]?.caption
    : undefined;
  return caption ? `[${m.type}] ${caption}` : `[${m.type}]`;
}

export interface WebhookDelivery {
  /** Every number the body speaks for: each must be verified, even one whose change carries no event. */
  phoneNumberIds: string[];
  events: WhatsAppEvent[];
}

/**
 * What a webhook body says, or null when it is not JSON of the expected shape. Changes
 * without a phone number id (other webhook fields) and unknown status values are skipped.
 */
export function parseWebhookDelivery(rawBody: Buffer): WebhookDelivery | null {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return null;
  }
  const parsed = payload.safeParse(json);
  if (!parsed.success) return null;
  const events: WhatsAppEvent[] = [];
  const phoneNumberIds = new Set<string>();
  for (const { value } of parsed.data.entry.flatMap((e) => e.changes ?? [])) {
    const phoneNumberId = value?.metadata?.phone_number_id;
    if (!value || !phoneNumberId) continue;
    phoneNumberIds.add(phoneNumberId);
    const names = new Map((value.contacts ?? []).map((c) => [c.wa_id, c.profile?.name]));
    for (const m of value.messages ?? []) {
      events.push({
        kind: 'message',
        phoneNumberId,
        wamid: m.id,
        from: m.from,
        name: names.get(m.from),
        timestamp: m.timestamp,
        body: bodyOf(m),
      });
    }
    for (const s of value.statuses ?? []) {
      if (!KNOWN_STATUSES.has(s.status)) continue;
      const error = s.errors?.map((e) => [e.code, e.title, e.message].filter(Boolean).join(' ')).join('; ');
      events.push({
        kind: 'status',
        phoneNumberId,
        wamid: s.id,
        status: s.status as WhatsAppStatus,
        recipientId: s.recipient_id,
        error: error || undefined,
      });
    }
  }
  return { phoneNumberIds: [...phoneNumberIds], events };
}
