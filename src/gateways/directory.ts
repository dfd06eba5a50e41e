/**
 * Which gateway can answer for an order's payment. A channel configured in order-doctor's own
 * settings wins; with SHOP_GATEWAYS=shop, a shop that keeps its channels' credentials (dujiaoka's
 * `pays` rows) lends them, one gateway per channel record; otherwise there is no way to ask, and
 * the decision says PAYMENT_UNVERIFIABLE rather than guessing.
 */
import type { Channel } from '../domain/verdicts.ts';
import type { ShopOrder } from '../domain/order.ts';
import type { Unverifiable } from '../domain/findings.ts';
import type { ShopChannel, ShopCredentials } from '../shops/port.ts';
import type { PaymentGateway } from './types.ts';

export type GatewayChoice = { gateway: PaymentGateway } | { unverifiable: Unverifiable };

export interface GatewayDirectory {
  forOrder(order: ShopOrder): Promise<GatewayChoice>;
  /** every gateway a buyer's transaction number could belong to */
  all(): Promise<PaymentGateway[]>;
}

export interface DirectoryDeps {
  /** per channel, the gateway order-doctor's settings (or the sandbox) give; absent: none */
  fixed: Partial<Record<Channel, PaymentGateway>>;
  /** the shop's own channel records, when SHOP_GATEWAYS=shop */
  shopChannels?: () => Promise<ShopChannel[]>;
  /** builds a gateway from credentials read from the shop */
  build: (credentials: ShopCredentials) => PaymentGateway;
  now: () => Date;
}

/** Channel records are re-read at most this often: an owner who changes a key sees it used soon. */
const CHANNELS_TTL_MS = 60_000;

export function createGatewayDirectory(deps: DirectoryDeps): GatewayDirectory {
  let cached: { at: number; byRef: Map<string, ShopChannel> } | null = null;
  // one gateway (and HTTP client) per distinct set of credentials, kept while they stay the same
  const built = new Map<string, PaymentGateway>();

  async function shopChannels(): Promise<Map<string, ShopChannel>> {
    if (!deps.shopChannels) return new Map();
    const now = deps.now().getTime();
    if (!cached || now - cached.at > CHANNELS_TTL_MS) {
      cached = { at: now, byRef: new Map((await deps.shopChannels()).map((c) => [c.ref, c])) };
    }
    return cached.byRef;
  }

  function gatewayFor(credentials: ShopCredentials): PaymentGateway {
    const key = JSON.stringify(credentials);
    let g = built.get(key);
    if (!g) built.set(key, (g = deps.build(credentials)));
    return g;
  }

  return {
    async forOrder(order) {
      if (!order.channel) {
        return { unverifiable: { reason: 'unsupported_gateway', method: order.payment?.name, handler: order.payment?.handler } };
      }
      const fixed = deps.fixed[order.channel];
      if (fixed) return { gateway: fixed };
      const record = order.payment ? (await shopChannels()).get(order.payment.ref) : undefined;
      if (record?.credentials) return { gateway: gatewayFor(record.credentials) };
      return { unverifiable: { reason: 'no_credentials', channel: order.channel, method: order.payment?.name, handler: order.payment?.handler } };
    },
    async all() {
      const out = new Set<PaymentGateway>(Object.values(deps.fixed));
      for (const c of (await shopChannels()).values()) {
        if (c.open && c.credentials && !(c.channel && deps.fixed[c.channel])) out.add(gatewayFor(c.credentials));
      }
      return [...out];
    },
  };
}
