/**
 * The benches' world: supplier orders whose payment is verified and whose supplier is still
 * working, so every check needs the gateway AND the supplier, answers DELIVERY_IN_PROGRESS and
 * changes nothing, however often it is asked. Its `now` is this moment (serve --world shifts it by
 * ~0; the sandbox plays it on the real clock).
 */
export function inProgressWorld(name: string, count: number, day: string) {
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const orders = Array.from({ length: count }, (_, i) => ({
    orderNo: `L${day}00${String(i).padStart(3, '0')}`, sku: 'APPSTORE-100', quantity: 1, amountCents: 10000,
    channel: (['alipay', 'wechat', 'epay'] as const)[i % 3], status: 'paid', createdAt: at(10), paidAt: at(9),
    querySecret: '8462', keys: [], supplier: { state: 'processing', since: at(8) },
  }));
  return {
    name, now: at(0),
    // a long window: the checks stay DELIVERY_IN_PROGRESS however long the run
    products: [{ sku: 'APPSTORE-100', title: 'App Store 充值卡 100元', priceCents: 10000, fulfilment: 'supplier', deliveryWindowMinutes: 24 * 60 }],
    orders,
    gateway: Object.fromEntries(orders.map((o, i) => [o.orderNo, { state: 'paid', amountCents: 10000, paidAt: at(9), tradeNo: `${day}220015${String(i).padStart(6, '0')}` }])),
  };
}
