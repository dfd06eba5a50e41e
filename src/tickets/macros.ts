/**
 * Macros: canned replies with the order's facts filled in ({orderNo}, {verdict}, {paidAt},
 * {product}, {quantity}, {amount}, {ticket}), so an agent never retypes what the system knows.
 * Pure: the console fills the reply box with the result (no script needed).
 */
export interface MacroFacts {
  orderNo: string;
  ticket: string;
  verdict?: string;
  paidAt?: string;
  product?: string;
  quantity?: number;
  amount?: string;
}

export const MACROS = {
  keys_delivered: {
    title: 'Keys delivered',
    text: 'Hello, your order {orderNo} ({product}, paid {paidAt}) now holds its card keys: open the check page and enter the order\'s query password to see them. Sorry for the wait.',
  },
  checking_payment: {
    title: 'Checking the payment',
    text: 'Hello, we are checking the payment of order {orderNo} ({amount}) with the payment provider (our diagnosis: {verdict}). We will reply on ticket {ticket} as soon as we know.',
  },
  need_payment_proof: {
    title: 'Ask for payment proof',
    text: 'Hello, we could not confirm the payment of order {orderNo} ({amount}). Could you reply with a screenshot of the payment record showing its transaction number? The ticket {ticket} waits for your answer.',
  },
  out_of_stock: {
    title: 'Out of stock',
    text: 'Hello, {product} sold out right after your payment for order {orderNo} ({quantity} × {product}). Your keys will be delivered as soon as stock is back; nothing else is needed from you.',
  },
} as const;
export type MacroName = keyof typeof MACROS;

export const isMacro = (v: unknown): v is MacroName => typeof v === 'string' && Object.hasOwn(MACROS, v);

/** The macro's text with the facts put in; a fact the order lacks reads "-". */
export function expandMacro(name: MacroName, facts: MacroFacts): string {
  return MACROS[name].text.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = (facts as unknown as Record<string, unknown>)[k];
    return v === undefined || v === null || v === '' ? '-' : String(v);
  });
}
