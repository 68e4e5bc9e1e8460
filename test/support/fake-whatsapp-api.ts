import { startFakeHttpServer, type FakeHttpServer } from './fake-http-server';

export interface SentWhatsAppMessage {
  path: string;
  /** The bearer token the request carried. */
  bearer: string | undefined;
  body: { messaging_product?: string; to?: string; type?: string; text?: { body?: string } };
}

export interface FakeWhatsAppApi {
  /** What WHATSAPP_API_BASE_URL should be. */
  url: string;
  /** Every send request received, oldest first (failed ones too). */
  sent: SentWhatsAppMessage[];
  /** The next `times` sends answer 500 (Meta's transient error). */
  failNext(times: number): void;
  /** The next send answers 400 with Meta's error for a message outside the 24-hour window. */
  rejectNext(): void;
  close(): Promise<void>;
}

/**
 * A stand-in for the Cloud API's `POST /{phone-number-id}/messages`: answers a fresh wamid
 * like Meta, or the failures a test asks for.
 */
export async function startFakeWhatsAppApi(): Promise<FakeWhatsAppApi> {
  const sent: SentWhatsAppMessage[] = [];
  let failures = 0;
  let rejectOnce = false;
  let counter = 0;
  const server: FakeHttpServer = await startFakeHttpServer((request) => {
    if (request.method !== 'POST' || !/^\/\d+\/messages$/.test(request.path)) return undefined;
    sent.push({
      path: request.path,
      bearer: /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1],
      body: JSON.parse(request.body),
    });
    if (failures > 0) {
      failures--;
      return {
        status: 500,
        body: { error: { message: 'An unexpected error has occurred. Please retry your request later.', code: 2 } },
      };
    }
    if (rejectOnce) {
      rejectOnce = false;
      return {
        status: 400,
        body: { error: { message: 'Re-engagement message: more than 24 hours have passed', code: 131047 } },
      };
    }
    const body = JSON.parse(request.body) as { to: string };
    return {
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: body.to, wa_id: body.to }],
        messages: [{ id: `wamid.FAKE${++counter}` }],
      },
    };
  });
  return {
    url: server.url,
    sent,
    failNext: (times) => void (failures = times),
    rejectNext: () => void (rejectOnce = true),
    close: () => server.close(),
  };
}
