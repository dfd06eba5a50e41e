/**
 * Agents' bearer tokens on the API (hono's bearerAuth with our verifier), checked before anything
 * of the body is read. A missing, malformed or unknown token is 401 problem+json with
 * `WWW-Authenticate: Bearer ...`; the agent it names is `c.get('agent')` downstream.
 *
 * @example
 * createRoute({ ..., middleware: [agentAuth, apiBodyLimit, jsonOnly] })
 */
import type { MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { HTTPException } from 'hono/http-exception';
import { authenticateAgent } from '../engine/agents.ts';
import type { AppEnv } from './env.ts';
import { problem } from './problem.ts';

export type Agent = { id: number; name: string; role: 'agent' | 'supervisor' };
export type AgentEnv = AppEnv & { Variables: { agent: Agent } };

const CHALLENGE = 'Bearer realm="order-doctor"';
const unauthorized = (detail: string, challenge = CHALLENGE) => ({
  wwwAuthenticateHeader: challenge,
  message: (c: Parameters<typeof problem>[0]) => problem(c, 'unauthorized', detail),
});
const MISSING = 'an agent token is required: Authorization: Bearer <token>';

const bearer = bearerAuth<AgentEnv>({
  verifyToken: async (token, c) => {
    const agent = await authenticateAgent(c.get('svc'), token);
    if (agent) c.set('agent', agent);
    return agent !== null;
  },
  noAuthenticationHeader: unauthorized(MISSING),
  // another scheme, or no token after "Bearer": the same 401 (RFC 6750 3.1: no error code)
  invalidAuthenticationHeader: unauthorized(MISSING),
  invalidToken: unauthorized('the token is not valid', `${CHALLENGE}, error="invalid_token"`),
});

export const agentAuth: MiddlewareHandler<AgentEnv> = async (c, next) => {
  let passed = false;
  try {
    return await bearer(c, async () => {
      passed = true;
      await next();
    });
  } catch (err) {
    // bearerAuth throws its 401 (our problem body, its WWW-Authenticate): answered here, whatever
    // the app's error handler makes of exceptions
    if (passed || !(err instanceof HTTPException)) throw err;
    const thrown = err.getResponse();
    thrown.headers.forEach((value, name) => c.header(name, value));
    return c.body(await thrown.text(), 401);
  }
};
