import type { HttpRouteMount } from '../../app/http-routes';
import { ErrorCode } from '../../core/errors/error-code';
import { sendJsonError } from '../../core/http/json-error';
import { ClerkSignatureError, type ClerkWebhookService } from './clerk-webhook.service';

export const CLERK_WEBHOOK_PATH = '/webhooks/clerk';

/**
 * `POST /webhooks/clerk` (Clerk → Svix). Raw body: the signature covers the exact bytes. A bad or stale
 * signature is 400 (INVALID_SIGNATURE) before anything is read or written; a processing failure is 500 (its
 * transaction rolled back, the svix-id with it), so Svix delivers again. Errors have the one JSON shape.
 */
export function clerkWebhookRoute(webhooks: ClerkWebhookService): HttpRouteMount {
  return (app, kit) => {
    // Without CLERK_WEBHOOK_SECRET and OIDC_ISSUER_URL the route does not exist (404 ROUTE_NOT_FOUND), like Stripe's.
    if (!webhooks.configured) return;
    app.post(CLERK_WEBHOOK_PATH, ...kit.rawJsonBody(), async (req, res) => {
      const headers = {
        'svix-id': req.get('svix-id'),
        'svix-timestamp': req.get('svix-timestamp'),
        'svix-signature': req.get('svix-signature'),
      };
      let event;
      try {
        event = webhooks.verify(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), headers);
      } catch (error) {
        if (!(error instanceof ClerkSignatureError)) return kit.sendError(res, error);
        kit.logger.warn({ reason: error.message }, 'clerk webhook refused: signature does not verify');
        sendJsonError(res, 400, 'Invalid signature', { code: ErrorCode.BAD_USER_INPUT, reason: 'INVALID_SIGNATURE' });
        return;
      }
      try {
        const signedAt = new Date(Number(headers['svix-timestamp']) * 1000);
        const outcome = await webhooks.process(event, headers['svix-id']!, signedAt);
        kit.logger.info({ deliveryId: headers['svix-id'], type: event.type, outcome }, 'clerk webhook');
        res.json({ received: true, outcome });
      } catch (error) {
        kit.logger.error({ err: error, deliveryId: headers['svix-id'], type: event.type }, 'clerk webhook failed');
        kit.sendError(res, error);
      }
    });
  };
}
