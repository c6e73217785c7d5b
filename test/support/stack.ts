// Starts every subgraph, the workers and the router in this process on free ports, against a fresh database
// and Redis prefix, the way `npm start` wires them (only the ports and stores differ).
import { randomBytes } from 'node:crypto';
import { startAcademicSubgraph } from '@ai-teacher/academic';
import { startAuthSubgraph } from '@ai-teacher/auth';
import { startRetrievalSubgraph } from '@ai-teacher/retrieval';
import { createWorkers, type RunningWorkers } from '@ai-teacher/shared';
import { startTutorSubgraph } from '@ai-teacher/tutor';
import { workerDefinitions } from '@ai-teacher/workers';
import { startRouter, type RunningRouter } from '@ai-teacher/router';
import type { Env, RunningSubgraph } from '@ai-teacher/shared';
import { createTestDatabase, createTestRedis, gql, tempDir, type GraphQLResponse } from '@ai-teacher/shared/testing';

export const ADMIN = { email: 'admin@uni.test', password: 'keys to the registry 42' };

export interface Stack {
  router: RunningRouter;
  auth: RunningSubgraph;
  academic: RunningSubgraph;
  retrieval: RunningSubgraph;
  tutor: RunningSubgraph;
  workers: RunningWorkers;
  routerUrl: string;
  authUrl: string;
  identitySecret: string;
  env: Env;
  /** Through the router. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted by each test
  query<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

export async function startStack(overrides: { env?: Env; routerEnv?: Env; tutorEnv?: Env } = {}): Promise<Stack> {
  const db = await createTestDatabase();
  const redis = await createTestRedis();
  const dataDir = tempDir();
  const identitySecret = randomBytes(32).toString('hex');
  const env: Env = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', // TEST_LOG_LEVEL=error shows what a failing test's services logged
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir.path,
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    IDENTITY_SECRET: identitySecret,
    MIGRATE_ON_START: 'true',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ...overrides.env,
  };
  const cleanup = async () => {
    await db.drop();
    await redis.cleanup();
    dataDir.remove();
  };
  let auth: RunningSubgraph | undefined;
  let academic: RunningSubgraph | undefined;
  let retrieval: RunningSubgraph | undefined;
  let tutor: RunningSubgraph | undefined;
  let workers: RunningWorkers | undefined;
  let router: RunningRouter;
  try {
    auth = await startAuthSubgraph(env);
    academic = await startAcademicSubgraph({ ...env, AUTH_INTERNAL_URL: auth.url });
    const retrievalEnv = { ...env, ACADEMIC_INTERNAL_URL: academic.url, WORKERS_PORT: '0' };
    retrieval = await startRetrievalSubgraph(retrievalEnv);
    workers = await createWorkers(await workerDefinitions(), { env: retrievalEnv });
    tutor = await startTutorSubgraph({ ...env, ACADEMIC_INTERNAL_URL: academic.url, RETRIEVAL_INTERNAL_URL: retrieval.url, ...overrides.tutorEnv });
    router = await startRouter({
      ...env,
      SUBGRAPH_URL_AUTH: auth.graphqlUrl,
      SUBGRAPH_URL_ACADEMIC: academic.graphqlUrl,
      SUBGRAPH_URL_RETRIEVAL: retrieval.graphqlUrl,
      SUBGRAPH_URL_TUTOR: tutor.graphqlUrl,
      AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json`,
      ...overrides.routerEnv,
    });
  } catch (err) {
    await tutor?.stop();
    await workers?.stop();
    await retrieval?.stop();
    await academic?.stop();
    await auth?.stop();
    await cleanup();
    throw err;
  }
  return {
    router,
    auth,
    academic,
    retrieval,
    tutor,
    workers,
    routerUrl: router.graphqlUrl,
    authUrl: auth.graphqlUrl,
    identitySecret,
    env,
    query: (q, v = {}, token, headers) => gql(router.graphqlUrl, q, v, { ...(token ? { token } : {}), ...(headers ? { headers } : {}) }),
    async stop() {
      await router.stop();
      await tutor.stop();
      await workers.stop();
      await retrieval.stop();
      await academic.stop();
      await auth.stop();
      await cleanup();
    },
  };
}

export const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) { accessToken refreshToken expiresIn user { id email role createdAt } }
  }
`;
export const LOGIN = /* GraphQL */ `
  mutation Login($input: LoginInput!) {
    login(input: $input) { accessToken refreshToken expiresIn user { id email role } }
  }
`;
export const REFRESH = /* GraphQL */ `
  mutation Refresh($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken expiresIn user { id } } }
`;
export const LOGOUT = /* GraphQL */ `mutation Logout($token: String!) { logout(refreshToken: $token) }`;
export const ME = /* GraphQL */ `query Me { me { id email role } }`;
export const SET_ROLE = /* GraphQL */ `
  mutation SetRole($userId: ID!, $role: Role!) { setUserRole(userId: $userId, role: $role) { id role } }
`;

let counter = 0;
export function newEmail(tag = 'student'): string {
  counter += 1;
  return `${tag}.${counter}.${randomBytes(3).toString('hex')}@uni.test`;
}

export interface Session {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string; role: string };
}

export async function registerUser(stack: Stack, email = newEmail(), password = 'a long enough passphrase'): Promise<Session & { password: string }> {
  const res = await stack.query<{ register: Session }>(REGISTER, { input: { email, password, displayName: 'Test Student' } });
  if (!res.data?.register) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return { ...res.data.register, password };
}

export async function login(stack: Stack, email: string, password: string, headers?: Record<string, string>): Promise<GraphQLResponse<{ login: Session }>> {
  return stack.query<{ login: Session }>(LOGIN, { input: { email, password } }, undefined, headers);
}

/** Another router over the stack's subgraphs, with its own tutor (a second replica, say). */
export function startRouterWithTutor(stack: Stack, tutorGraphqlUrl: string): Promise<RunningRouter> {
  return startRouter({
    ...stack.env,
    SUBGRAPH_URL_AUTH: stack.auth.graphqlUrl,
    SUBGRAPH_URL_ACADEMIC: stack.academic.graphqlUrl,
    SUBGRAPH_URL_RETRIEVAL: stack.retrieval.graphqlUrl,
    SUBGRAPH_URL_TUTOR: tutorGraphqlUrl,
    AUTH_JWKS_URL: `${stack.auth.url}/.well-known/jwks.json`,
  });
}
