import type { AppEnv } from '../env.ts';
import type { AgentAccount } from '../../agents/accounts.ts';
import type { Form } from '../pages/form.ts';

/** What a console handler behind the session check can reach: the signed-in agent, and a POST's form (CSRF-checked). */
export type ConsoleEnv = AppEnv & { Variables: AppEnv['Variables'] & { agent: AgentAccount; form: Form } };
