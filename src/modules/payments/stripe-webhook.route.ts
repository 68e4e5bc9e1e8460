import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ErrorCode } from '../../core/errors/error-code';
import { sendJsonError } from '../../core/http/json-error';
import { reportInternalError } from '../../core/observability/error-reporting';
import { WebhookSignatureError } from '../../integrations/stripe';
import type { StripeWebhookService } from './stripe-webhook.service';

/**
 * `POST /webhooks/stripe`. Mounted with a raw body parser: the signature covers the
 * exact bytes Stripe sent. A bad signature is 400 before anything is read or written;
 * a validly signed event that lacks fields is recorded and acknowledged (MALFORMED: a
 * redelivery would be the same); a processing failure is 500 (the transaction rolled back,
 * the event id with it), so Stripe delivers the event again. Errors have the one JSON shape.
 */
export function stripeWebhookHandler(webhooks: StripeWebhookService, logger: Logger): RequestHandler {
  return async (req: Request, res: Response) => {
    if (!webhooks.configured) {
      const message = 'Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)';
      sendJsonError(res, 503, message, { code: ErrorCode.INTERNAL_SERVER_ERROR, reason: 'STRIPE_NOT_CONFIGURED' });
      return;
    }
    let event;
    try {
      event = webhooks.verify(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.get('stripe-signature'));
    } catch (error) {
      if (!(error instanceof WebhookSignatureError)) throw error;
      logger.warn({ reason: error.message }, 'stripe webhook refused: signature does not verify');
      sendJsonError(res, 400, 'Invalid signature', { code: ErrorCode.BAD_USER_INPUT, reason: 'INVALID_SIGNATURE' });
      return;
    }
    try {
      const { outcome, invalidField } = await webhooks.process(event);
      const described = { eventId: event.id, type: event.type };
      if (invalidField)
        logger.warn({ ...described, invalidField }, 'stripe webhook event malformed; recorded, not applied');
      else logger.info({ ...described, outcome }, 'stripe webhook');
      res.json({ received: true, outcome });
    } catch (error) {
      logger.error(
        { err: error, eventId: event.id, type: event.type },
        'stripe webhook failed; Stripe will deliver it again',
      );
      reportInternalError(error);
      sendJsonError(res, 500, 'Processing failed', { code: ErrorCode.INTERNAL_SERVER_ERROR });
    }
  };
}
