/**
 * Security headers for the buyer's pages: a CSP with no inline script or style and no framing,
 * no referrer to other sites (an order number in a URL must not travel), and `no-store` on
 * everything that can show order data or a key.
 */
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

export const pageSecureHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  xFrameOptions: 'DENY',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on our own form posts
  referrerPolicy: 'same-origin',
  crossOriginResourcePolicy: 'same-origin',
  crossOriginOpenerPolicy: 'same-origin',
  permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
});

/** Pages and their form posts are never cached by anyone. */
export const noStore: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('cache-control', 'no-store');
  c.header('pragma', 'no-cache');
  c.header('vary', 'cookie');
};
