import { GatewayRequestError, gatewayRequest } from '../gateway-http';

export interface WhatsAppTextMessage {
  phoneNumberId: string;
  accessToken: string;
  /** The customer's number, digits only. */
  to: string;
  body: string;
}

/**
 * The Cloud API refused or did not answer. `retryable`: no answer, 429 or 5xx (try again
 * later); otherwise permanent (invalid token, outside the 24-hour window, bad number).
 */
export class WhatsAppSendError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WhatsAppSendError';
  }
}

interface SendResponse {
  messages?: { id?: string }[];
}

/** Meta's error body: `{ error: { message, code, error_subcode } }`. */
function describe(error: GatewayRequestError): string {
  const detail = (error.body as { error?: { message?: string; code?: number } } | null)?.error;
  return detail?.message ? `${error.message}: ${detail.code ?? ''} ${detail.message}`.trim() : error.message;
}

/** Sends text messages through the WhatsApp Cloud API (`WHATSAPP_API_BASE_URL`, Meta's Graph API by default). */
export class WhatsAppClient {
  constructor(private readonly baseUrl: string) {}

  /** Returns the message's wamid. */
  async sendText(message: WhatsAppTextMessage): Promise<string> {
    let answer: SendResponse;
    try {
      answer = await gatewayRequest<SendResponse>(
        'WhatsApp',
        `${this.baseUrl}/${encodeURIComponent(message.phoneNumberId)}/messages`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${message.accessToken}` },
          body: {
            messaging_product: 'whatsapp',
            recipient_type: 'individual',
            to: message.to,
            type: 'text',
            text: { preview_url: false, body: message.body },
          },
        },
      );
    } catch (error) {
      if (!(error instanceof GatewayRequestError)) throw error;
      const retryable = error.status === 0 || error.status === 429 || error.status >= 500;
      throw new WhatsAppSendError(describe(error), retryable, { cause: error });
    }
    const wamid = answer?.messages?.[0]?.id;
    if (!wamid) throw new WhatsAppSendError('WhatsApp answered without a message id', true);
    return wamid;
  }
}
