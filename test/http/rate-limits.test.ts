import { describe, expect, it } from 'vitest';
import { createBuyerLimits } from '../../src/http/rate-limits.ts';

describe('buyer rate limits', () => {
  it('30 lookups per 10 minutes per IP, then a wait; the window slides', () => {
    let t = 0;
    const limits = createBuyerLimits(true, () => t);
    for (let i = 0; i < 30; i++) expect(limits.lookup('1.2.3.4', `K${i}`)).toBe(0);
    expect(limits.lookup('1.2.3.4', 'K99')).toBeGreaterThan(0);
    expect(limits.lookup('5.6.7.8', 'K99')).toBe(0);
    t += 10 * 60_000 + 1;
    expect(limits.lookup('1.2.3.4', 'K99')).toBe(0);
  });

  it('20 lookups per 10 minutes per order, whatever the IPs', () => {
    const limits = createBuyerLimits(true, () => 0);
    for (let i = 0; i < 20; i++) expect(limits.lookup(`10.0.0.${i}`, 'K1')).toBe(0);
    expect(limits.lookup('10.0.1.1', 'K1')).toBeGreaterThan(0);
    expect(limits.lookup('10.0.1.1', 'K2')).toBe(0);
  });

  it('8 reveals per order and IP, 40 per IP', () => {
    const limits = createBuyerLimits(true, () => 0);
    for (let i = 0; i < 8; i++) expect(limits.reveal('1.1.1.1', 'K1')).toBe(0);
    expect(limits.reveal('1.1.1.1', 'K1')).toBeGreaterThan(0);
    for (let o = 2; o <= 5; o++) for (let i = 0; i < 8; i++) limits.reveal('1.1.1.1', `K${o}`);
    expect(limits.reveal('1.1.1.1', 'K6')).toBeGreaterThan(0);
  });

  it('RATE_LIMITS=off lifts them', () => {
    const limits = createBuyerLimits(false);
    for (let i = 0; i < 100; i++) expect(limits.lookup('1.1.1.1', 'K1')).toBe(0);
  });
});
