import { gatewayRequest } from '../gateway-http';

export interface KhaltiClientOptions {
  /** e.g. https://khalti.com/api/v2 (sandbox: https://dev.khalti.com/api/v2). */
  baseUrl: string;
  secretKey: string;
}

export interface KhaltiInitiateRequest {
  /** Paisa (NPR minor units). */
  amount: number;
  purchaseOrderId: string;
  purchaseOrderName: string;
  returnUrl: string;
  websiteUrl: string;
}

export interface KhaltiInitiation {
  pidx: string;
  paymentUrl: string;
  expiresAt: string | null;
}

/** Khalti's lookup states; only `Completed` means the money arrived. */
export type KhaltiStatus =
  'Completed' | 'Pending' | 'Initiated' | 'Refunded' | 'Expired' | 'User canceled' | 'Partially Refunded' | string;

export interface KhaltiLookup {
  pidx: string;
  /** Paisa. */
  totalAmount: number;
  status: KhaltiStatus;
  transactionId: string | null;
  /** The gateway's answer as received (kept with the payment). */
  raw: Record<string, unknown>;
}

interface InitiateResponse {
  pidx: string;
  payment_url: string;
  expires_at?: string;
}

interface LookupResponse {
  pidx: string;
  total_amount: number;
  status: string;
  transaction_id: string | null;
}

/** Khalti ePayment (KPG-2): initiate a payment, then look it up server-side with the secret key. */
export class KhaltiClient {
  constructor(private readonly options: KhaltiClientOptions) {}

  async initiate(request: KhaltiInitiateRequest): Promise<KhaltiInitiation> {
    const body = await gatewayRequest<InitiateResponse>('Khalti', `${this.options.baseUrl}/epayment/initiate/`, {
      method: 'POST',
      headers: this.authorization(),
      body: {
        return_url: request.returnUrl,
        website_url: request.websiteUrl,
        amount: request.amount,
        purchase_order_id: request.purchaseOrderId,
        purchase_order_name: request.purchaseOrderName,
      },
    });
    return { pidx: body.pidx, paymentUrl: body.payment_url, expiresAt: body.expires_at ?? null };
  }

  async lookup(pidx: string): Promise<KhaltiLookup> {
    const body = await gatewayRequest<LookupResponse>('Khalti', `${this.options.baseUrl}/epayment/lookup/`, {
      method: 'POST',
      headers: this.authorization(),
      body: { pidx },
    });
    return {
      pidx: body.pidx,
      totalAmount: Number(body.total_amount),
      status: body.status,
      transactionId: body.transaction_id ?? null,
      raw: body as unknown as Record<string, unknown>,
    };
  }

  private authorization() {
    return { authorization: `Key ${this.options.secretKey}` };
  }
}
