import type { LegacyOrder } from './order.ts';

/** Decrypts a legacy record's delivered keys (the migration checker and a restore need them). */
export async function legacyKeys(box: { decrypt(enc: string): Promise<string> }, legacy: LegacyOrder): Promise<string[]> {
  return legacy.keyCount ? (JSON.parse(await box.decrypt(legacy.keysEnc)) as string[]) : [];
}
