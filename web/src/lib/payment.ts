// Online payment on the provider's hosted page: open a session, remember it for the order page
// the provider sends the guest back to, and there ask until the payment is settled.
import { api, idempotencyKey, type TokenStore } from './api';

interface PaymentSession {
  id: string;
  status: string;
  redirectUrl?: string | null;
}

const key = (orderId: string) => `sous:payment:${orderId}`;

export async function startPayment(orderId: string, returnUrl: string, tokens: TokenStore): Promise<PaymentSession> {
  const s = await api<PaymentSession>(`/api/orders/${orderId}/payment-sessions`, {
    body: { returnUrl },
    tokens,
    headers: { 'idempotency-key': idempotencyKey() },
  });
  sessionStorage.setItem(key(orderId), s.id);
  return s;
}

/** The payment session the guest went to pay with, once (it is forgotten when read). */
export function pendingPayment(orderId: string): string | null {
  const id = sessionStorage.getItem(key(orderId));
  sessionStorage.removeItem(key(orderId));
  return id;
}

/** Asks for the session's status (each ask also asks the provider) until it is no longer
 *  pending, at most `tries` times a second apart. */
export async function settle(sessionId: string, tokens: TokenStore, tries = 30, delayMs = 1000): Promise<string> {
  let status = 'pending';
  for (let i = 0; i < tries; i++) {
    try {
      status = (await api<PaymentSession>(`/api/payment-sessions/${sessionId}`, { tokens })).status;
    } catch {
      /* keep asking */
    }
    if (status !== 'pending') return status;
    await new Promise((r) => setTimeout(r, delayMs));
  }
  return status;
}
