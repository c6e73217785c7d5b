// Starts every subgraph listed in supergraph.yaml, the workers (unless `workers: false`) and the
// router in this process on free ports, against a fresh database and Redis prefix, the way
// `npm start` wires them (only the ports and stores differ). A new subgraph is picked up with no edit here: its src/subgraph.ts
// default-exports its definition, and it finds other subgraphs through `<NAME>_INTERNAL_URL`.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startRouter, type RunningRouter } from '@ai-teacher/router';
import { createSubgraph, createWorkers, readSupergraphConfig, repoRoot, type Env, type RunningSubgraph, type RunningWorkers, type SubgraphDefinition } from '@ai-teacher/shared';
import { createTestDatabase, createTestRedis, freePort, gql, subgraphAddresses, tempDir, type GraphQLResponse } from '@ai-teacher/shared/testing';
import { workerDefinitions } from '@ai-teacher/workers';

export const ADMIN = { email: 'admin@uni.test', password: 'keys to the registry 42' };

export interface Stack {
  router: RunningRouter;
  /** Every subgraph by name. */
  subgraphs: Record<string, RunningSubgraph>;
  auth: RunningSubgraph;
  academic: RunningSubgraph;
  retrieval: RunningSubgraph;
  tutor: RunningSubgraph;
  workers: RunningWorkers;
  routerUrl: string;
  authUrl: string;
  /** The router's identity-proof key (IDENTITY_SECRET). */
  identitySecret: string;
  /** The internal routes' service-token key (SERVICE_SECRET). */
  serviceSecret: string;
  env: Env;
  /** Through the router. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted by each test
  query<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

/** A subgraph's definition, as its src/subgraph.ts exports it by default. */
async function definitionOf(name: string): Promise<SubgraphDefinition<never, unknown, never>> {
  const mod = (await import(pathToFileURL(join(repoRoot, 'subgraphs', name, 'src', 'subgraph.ts')).href)) as { default?: SubgraphDefinition<never, unknown, never> };
  if (!mod.default?.service) throw new Error(`subgraphs/${name}/src/subgraph.ts must export its defineSubgraph(...) as default`);
  return mod.default;
}

export interface StackOptions {
  env?: Env;
  routerEnv?: Env;
  tutorEnv?: Env;
  subgraphEnv?: Record<string, Env>;
  /** false: no in-process workers (a test runs the worker process itself); default true. */
  workers?: boolean;
}

/** A stack started with `workers: false`: nothing consumes the queues until the test starts a worker. */
export type StackWithoutWorkers = Omit<Stack, 'workers'> & { workers: null };

/**
 * `env` goes to every process; `subgraphEnv[name]` to one subgraph only (`tutorEnv` is
 * `subgraphEnv.tutor`); `routerEnv` to the router.
 */
export async function startStack(overrides?: StackOptions & { workers?: true }): Promise<Stack>;
export async function startStack(overrides: StackOptions & { workers: false }): Promise<StackWithoutWorkers>;
export async function startStack(overrides: StackOptions): Promise<Stack | StackWithoutWorkers>;
export async function startStack(overrides: StackOptions = {}): Promise<Stack | StackWithoutWorkers> {
  const db = await createTestDatabase();
  const redis = await createTestRedis();
  const dataDir = tempDir();
  const identitySecret = randomBytes(32).toString('hex');
  const serviceSecret = randomBytes(32).toString('hex');
  const names = readSupergraphConfig().map((sg) => sg.name);
  const ports = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await freePort()] as const)));
  const env: Env = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', // TEST_LOG_LEVEL=error shows what a failing test's services logged
    HOST: '127.0.0.1',
    PORT: '0', // each subgraph gets its own below
    METRICS_PORT: '0', // the router's metrics port
    DATA_DIR: dataDir.path,
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    IDENTITY_SECRET: identitySecret,
    SERVICE_SECRET: serviceSecret,
    MIGRATE_ON_START: 'true',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ...subgraphAddresses(ports),
    // Many test users share 127.0.0.1: the router's rate limits are generous unless a test sets its own.
    ...TEST_RATE_LIMITS,
    ...overrides.env,
  };
  const subgraphEnv: Record<string, Env> = { ...overrides.subgraphEnv, tutor: { ...overrides.subgraphEnv?.tutor, ...overrides.tutorEnv } };
  const cleanup = async () => {
    await db.drop();
    await redis.cleanup();
    dataDir.remove();
  };
  const subgraphs: Record<string, RunningSubgraph> = {};
  let workers: RunningWorkers | undefined;
  let router: RunningRouter;
  const stopServices = async () => {
    await workers?.stop();
    for (const name of [...names].reverse()) await subgraphs[name]?.stop();
  };
  try {
    // Loaded one after the other: Jest's module linker fails on concurrent dynamic imports.
    const definitions: SubgraphDefinition<never, unknown, never>[] = [];
    for (const name of names) definitions.push(await definitionOf(name));
    // Each on its own port, so every one knows where the others are before any starts.
    const started = await Promise.allSettled(
      names.map(async (name, i) => (subgraphs[name] = await createSubgraph(definitions[i]!, { ...env, PORT: String(ports[name]), ...subgraphEnv[name] }))),
    );
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (overrides.workers !== false) workers = await createWorkers(await workerDefinitions(), { env: { ...env, WORKERS_PORT: '0' } });
    router = await startRouter({ ...env, ...overrides.routerEnv });
  } catch (err) {
    await stopServices();
    await cleanup();
    throw err;
  }
  const get = (name: string) => {
    const sg = subgraphs[name];
    if (!sg) throw new Error(`no subgraph ${name} in supergraph.yaml`);
    return sg;
  };
  return {
    router,
    subgraphs,
    auth: get('auth'),
    academic: get('academic'),
    retrieval: get('retrieval'),
    tutor: get('tutor'),
    workers: workers ?? null,
    routerUrl: router.graphqlUrl,
    authUrl: get('auth').graphqlUrl,
    identitySecret,
    serviceSecret,
    env,
    query: (q, v = {}, token, headers) => gql(router.graphqlUrl, q, v, { ...(token ? { token } : {}), ...(headers ? { headers } : {}) }),
    async stop() {
      await router.stop();
      await stopServices();
      await cleanup();
    },
  };
}

/** Router rate limits for tests that are not about rate limits (every test user signs in from 127.0.0.1). */
export const TEST_RATE_LIMITS: Env = { RATE_LIMIT_SIGN_IN: '100000', RATE_LIMIT_ANONYMOUS_COST: '10000000', RATE_LIMIT_USER_COST: '10000000' };

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
  return startRouter({ ...stack.env, SUBGRAPH_URL_TUTOR: tutorGraphqlUrl });
}
