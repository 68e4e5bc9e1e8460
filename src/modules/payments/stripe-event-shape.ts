import { z } from 'zod';

/** Unix seconds PostgreSQL can store (years 1970–9999). */
const unixSeconds = z.number().int().min(0).max(253_402_300_799);
const idRef = z.union([z.string().max(255), z.object({ id: z.string().max(255) }).passthrough()]).nullish();

const event = z
  .object({
    id: z.string().min(1).max(255),
    type: z.string().min(1).max(100),
    created: unixSeconds,
    data: z.object({ object: z.object({ customer: idRef }).passthrough() }).passthrough(),
  })
  .passthrough();

const invoicePaid = z
  .object({
    id: z.string().min(1).max(255),
    amount_paid: z.number().int().min(0),
    currency: z.string().length(3),
    status_transitions: z.object({ paid_at: unixSeconds.nullish() }).passthrough().nullish(),
    parent: z
      .object({ subscription_details: z.object({ subscription: idRef }).passthrough().nullish() })
      .passthrough()
      .nullish(),
    lines: z
      .object({
        data: z.array(
          z
            .object({
              period: z.object({ start: unixSeconds, end: unixSeconds }).passthrough(),
              pricing: z
                .object({ price_details: z.object({ price: idRef }).passthrough().nullish() })
                .passthrough()
                .nullish(),
            })
            .passthrough(),
        ),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();

const paymentFailed = z.object({ amount_due: z.number().int().min(0), currency: z.string().length(3) }).passthrough();
const subscriptionDeleted = z.object({ id: z.string().min(1).max(255) }).passthrough();

/** The fields each event type we act on is read for; other types are only recorded. */
const OBJECT_SHAPES: Record<string, z.ZodTypeAny> = {
  'invoice.paid': invoicePaid,
  'invoice.payment_failed': paymentFailed,
  'customer.subscription.deleted': subscriptionDeleted,
};

/**
 * Why a validly signed event cannot be applied (a field missing or of the wrong type), or undefined
 * when it has the shape its type is read with.
 */
export function malformedEventReason(candidate: unknown): string | undefined {
  const envelope = event.safeParse(candidate);
  if (!envelope.success) return envelope.error.issues[0]?.path.join('.') || 'event';
  const shape = OBJECT_SHAPES[envelope.data.type];
  const object = shape?.safeParse(envelope.data.data.object);
  if (object && !object.success) return `data.object.${object.error.issues[0]?.path.join('.')}`;
  return undefined;
}

/** The event id, when it is one that can be stored. */
export function storableEventId(candidate: unknown): { id: string; type: string } | undefined {
  const { id, type } = (candidate ?? {}) as { id?: unknown; type?: unknown };
  if (typeof id !== 'string' || !id || id.length > 255) return undefined;
  return { id, type: typeof type === 'string' ? type.slice(0, 100) : 'unknown' };
}
