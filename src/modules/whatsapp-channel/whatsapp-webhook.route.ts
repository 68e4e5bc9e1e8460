import type { HttpRouteMount } from '../../app/http-routes';
import { ErrorCode } from '../../core/errors/error-code';
import { sendJsonError } from '../../core/http/json-error';
import type { WhatsAppChannelService } from './whatsapp-channel.service';
import { WHATSAPP_WEBHOOK_PATH } from './whatsapp-channel.types';
import type { WhatsAppInbound } from './whatsapp-inbound.service';

/**
 * `GET|POST /api/v1/whatsapp/webhook`, one for every organization.
 * GET is Meta's subscription handshake: `hub.mode=subscribe` and a verify token some
 * organization chose echo `hub.challenge`; anything else is 403.
 * POST takes the raw bytes (the signature covers them exactly): a body that is not a webhook
 * payload (MALFORMED_WEBHOOK; NUL or ill-formed Unicode in it: INVALID_CHARACTERS) is 400, a
 * signature that does not verify with the app secret of every number named in it is 401
 * (INVALID_SIGNATURE), and none stores anything; errors have the one JSON shape. A verified delivery is stored, then
 * answered 200 before
 * its events become tickets, so Meta never waits on our work. Numbers no organization has
 * (e.g. removed) are answered 200 and dropped: Meta would otherwise retry them for days.
 * Failing to store is 500, so Meta delivers again.
 */
export function whatsAppWebhookRoute(
  channels: Pick<WhatsAppChannelService, 'isVerifyToken'>,
  inbound: WhatsAppInbound,
): HttpRouteMount {
  return (app, kit) => {
    app.get(WHATSAPP_WEBHOOK_PATH, async (req, res) => {
      try {
        const { 'hub.mode': mode, 'hub.verify_token': token, 'hub.challenge': challenge } = req.query;
        const valid =
          mode === 'subscribe' &&
          typeof token === 'string' &&
          typeof challenge === 'string' &&
          (await channels.isVerifyToken(token));
        if (!valid) {
          sendJsonError(res, 403, 'Verification failed', { code: ErrorCode.FORBIDDEN, reason: 'VERIFICATION_FAILED' });
          return;
        }
        res.status(200).type('text/plain').send(challenge);
      } catch (error) {
        kit.sendError(res, error);
      }
    });

    app.post(WHATSAPP_WEBHOOK_PATH, ...kit.rawJsonBody(), async (req, res) => {
      try {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const { status, eventIds } = await inbound.accept(body, req.get('x-hub-signature-256'));
        if (status === 401) {
          kit.logger.warn('whatsapp webhook refused: signature does not verify');
          sendJsonError(res, 401, 'Invalid signature', {
            code: ErrorCode.UNAUTHENTICATED,
            reason: 'INVALID_SIGNATURE',
          });
        } else if (status === 400) {
          sendJsonError(res, 400, 'Not a webhook payload', {
            code: ErrorCode.BAD_USER_INPUT,
            reason: 'MALFORMED_WEBHOOK',
          });
        } else {
          res.status(200).json({ received: eventIds.length });
          inbound.applyLater(eventIds);
        }
      } catch (error) {
        kit.sendError(res, error);
      }
    });
  };
}
