/** Sandbox trade numbers derive from the order number, so one order always gets the same one. */
export function orderNoHash(orderNo: string): number {
  let h = 0;
  for (const ch of orderNo) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}
