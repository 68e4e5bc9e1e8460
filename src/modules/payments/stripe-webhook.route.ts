import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { reportInternalError } from '../../core/observability/error-reporting';
import { WebhookSignatureError } from '../../integrations/stripe';
import type { StripeWebhookService } from './stripe-webhook.service';

/**
 * `POST /webhooks/stripe`. Mounted with a raw body parser: the signature covers the
 * exact bytes Stripe sent. A bad signature is 400 before anything is read or written;
 * a processing failure is 500 (the transaction rolled back, the event id with it), so
 * Stripe delivers the event again.
 */
export function stripeWebhookHandler(webhooks: StripeWebhookService, logger: Logger): RequestHandler {
  return async (req: Request, res: Response) => {
    if (!webhooks.configured) {
      res.status(503).json({ error: 'Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)' });
      return;
    }
    let event;
    try {
      event = webhooks.verify(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.get('stripe-signature'));
    } catch (error) {
      if (!(error instanceof WebhookSignatureError)) throw error;
      logger.warn({ reason: error.message }, 'stripe webhook refused: signature does not verify');
      res.status(400).json({ error: 'Invalid signature' });
      return;
    }
    try {
      const outcome = await webhooks.process(event);
      logger.info({ eventId: event.id, type: event.type, outcome }, 'stripe webhook');
      res.json({ received: true, outcome });
    } catch (error) {
      logger.error({ err: error, eventId: event.id, type: event.type }, 'stripe webhook failed; Stripe will deliver it again');
      reportInternalError(error);
      res.status(500).json({ error: 'Processing failed' });
    }
  };
}
