import express from 'express';
import type { HttpRouteMount } from '../../app/http-routes';
import type { WhatsAppChannelService } from './whatsapp-channel.service';
import { WHATSAPP_WEBHOOK_PATH } from './whatsapp-channel.types';
import type { WhatsAppInbound } from './whatsapp-inbound.service';

/**
 * `GET|POST /api/v1/whatsapp/webhook`, one for every organization.
 * GET is Meta's subscription handshake: `hub.mode=subscribe` and a verify token some
 * organization chose echo `hub.challenge`; anything else is 403.
 * POST takes the raw bytes (the signature covers them exactly): a body that is not a webhook
 * payload is 400, a signature that does not verify with the app secret of every number named
 * in it is 401, and both store nothing. A verified delivery is stored, then answered 200 before
 * its events become tickets, so Meta never waits on our work. Numbers no organization has
 * (e.g. removed) are answered 200 and dropped: Meta would otherwise retry them for days.
 * Failing to store is 500, so Meta delivers again.
 */
export function whatsAppWebhookRoute(channels: Pick<WhatsAppChannelService, 'isVerifyToken'>, inbound: WhatsAppInbound): HttpRouteMount {
  return (app, kit) => {
    app.get(WHATSAPP_WEBHOOK_PATH, async (req, res) => {
      try {
        const { 'hub.mode': mode, 'hub.verify_token': token, 'hub.challenge': challenge } = req.query;
        const valid = mode === 'subscribe' && typeof token === 'string' && typeof challenge === 'string' && (await channels.isVerifyToken(token));
        if (!valid) {
          res.status(403).json({ error: 'Verification failed' });
          return;
        }
        res.status(200).type('text/plain').send(challenge);
      } catch (error) {
        kit.sendError(res, error);
      }
    });

    app.post(WHATSAPP_WEBHOOK_PATH, express.raw({ type: () => true, limit: kit.config.maxRequestSize }), async (req, res) => {
      try {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const { status, eventIds } = await inbound.accept(body, req.get('x-hub-signature-256'));
        if (status === 401) kit.logger.warn('whatsapp webhook refused: signature does not verify');
        res.status(status).json(status === 200 ? { received: eventIds.length } : { error: status === 401 ? 'Invalid signature' : 'Not a webhook payload' });
        inbound.applyLater(eventIds);
      } catch (error) {
        kit.sendError(res, error);
      }
    });
  };
}
