/**
 * `"as": "sweep"` in a scenario: one sweep over the whole world at its `now`, reporting the line
 * for one order. Until the sweep lands (its own issue) this reports `not_selected` for every order.
 */
import type { Services } from '../services.ts';
import type { Scenario } from './schema.ts';

export async function runSweepCheck(_svc: Services, _scenario: Scenario, _orderNo: string) {
  return { error: 'not_selected' as const };
}
