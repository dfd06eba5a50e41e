/**
 * `order-doctor agents create --role`, `agents list`, `agents revoke <id|name>` (issue 11 item 1),
 * called in-process on an embedded database of their own: roles recorded, the token printed once,
 * a revoked token refused by the bearer API's check, bad input one line and exit 2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { newMasterKey } from '../../src/crypto/secret-box.ts';
import { agentsCommand } from '../../src/cli/agents.ts';
import { UsageError } from '../../src/cli/args.ts';
import { createServices } from '../../src/services.ts';
import { authenticateAgent } from '../../src/engine/agents.ts';

const dir = mkdtempSync(join(tmpdir(), 'od-agents-cli-'));
const config = loadConfig({ DATA_DIR: dir, CARD_KEY_SECRET: newMasterKey() });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    return { code: await agentsCommand(args, config), out: lines.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

describe('agents create / list / revoke', { timeout: 120_000 }, () => {
  it('creates with a role, lists, revokes by name: the token stops working', async () => {
    const made = await run('create', '--name', 'alice', '--role', 'supervisor');
    expect(made.code).toBe(0);
    expect(made.out).toMatch(/^agent 1 \(alice, supervisor\) created/m);
    const token = /^agent token: (od_\S+)$/m.exec(made.out)![1]!;
    expect((await run('create', '--name', 'bob')).out).toMatch(/\(bob, agent\)/);

    const listed = JSON.parse((await run('list', '--json')).out) as { id: number; name: string; role: string; revokedAt: string | null }[];
    expect(listed.map((a) => [a.id, a.name, a.role, a.revokedAt])).toEqual([[1, 'alice', 'supervisor', null], [2, 'bob', 'agent', null]]);
    expect(JSON.stringify(listed)).not.toContain(token);

    expect((await run('revoke', 'alice')).out).toMatch(/agent 1 \(alice\) revoked/);
    expect((await run('revoke', '1')).out).toMatch(/was revoked already/);
    expect((await run('list')).out).toMatch(/^1\talice\tsupervisor\t\S+\t20\d\d-/m);

    const svc = await createServices(config);
    try {
      expect(await authenticateAgent(svc, token)).toBeNull();
    } finally {
      await svc.close();
    }
  });

  it('bad input is a usage error (one line, exit 2)', async () => {
    await expect(run('create', '--name', 'x', '--role', 'admin')).rejects.toThrow(UsageError);
    await expect(run('revoke')).rejects.toThrow(/usage: order-doctor agents revoke/);
    await expect(run('revoke', 'nobody')).rejects.toThrow(/no agent 'nobody'/);
    await expect(run('create', '--name', 'bob')).rejects.toThrow(/an active agent named 'bob' exists already/);
    await expect(run('frobnicate')).rejects.toThrow(/usage: order-doctor agents create/);
  });
});
