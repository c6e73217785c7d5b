// One auth service against the real Postgres and Redis, for this subgraph's integration tests: a
// fresh database (migrated) and Redis prefix per test file, and AuthService instances built the way
// service.ts builds them (one per request, sharing the long-lived parts).
import { Writable } from 'node:stream';
import { createLogger, createOrm, createRedis, loadConfig, type Logger, migrate, type MikroORM, type Redis, TokenRevocation } from '@ai-teacher/shared';
import { createTestDatabase, createTestRedis, tempDir, type TestDatabase, type TestRedis } from '@ai-teacher/shared/testing';
import pg from 'pg';
import { type AuthConfig, authConfigSchema } from '../src/config.ts';
import { ormDefinition } from '../src/database.ts';
import { RefreshTokenRepository } from '../src/repositories/refresh-token.repository.ts';
import { UserRepository } from '../src/repositories/user.repository.ts';
import { AuthService } from '../src/services/auth.service.ts';
import { LoginThrottle } from '../src/services/login-throttle.service.ts';
import { PasswordHasher } from '../src/services/password.service.ts';
import { RegistrationThrottle } from '../src/services/registration-throttle.service.ts';
import { TokenService } from '../src/services/token.service.ts';

export interface Harness {
  db: TestDatabase;
  redisT: TestRedis;
  orm: MikroORM;
  redis: Redis;
  sql: pg.Client;
  config: AuthConfig;
  tokens: TokenService;
  hasher: PasswordHasher;
  dataDir: string;
  /** What was logged (JSON lines), for assertions on operator messages. */
  logs: Record<string, unknown>[];
  logger: Logger;
  /** A service as one request gets it (its own EntityManager fork); `settings` override the file's. */
  service(settings?: Partial<AuthConfig>): AuthService;
  close(): Promise<void>;
}

/** `env`: auth settings for this file (strings, as in the environment). */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const db = await createTestDatabase();
  const redisT = await createTestRedis();
  const dbConfig = { DATABASE_URL: db.url, DB_POOL_MAX: 5, DB_DEBUG: false };
  const orm = await createOrm(ormDefinition, dbConfig);
  await migrate(orm, 'auth', db.url);
  const redis = createRedis({ REDIS_URL: redisT.url, REDIS_KEY_PREFIX: redisT.prefix });
  const config = loadConfig(authConfigSchema, env);
  const dir = tempDir();
  const tokens = await TokenService.create(config, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dir.path });
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const hasher = new PasswordHasher(19_456, 2);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger('auth-test', 'info', sink);
  const throttle = new LoginThrottle(redis, config);
  const registrations = new RegistrationThrottle(redis, config);
  const revocation = new TokenRevocation(redis, config.ACCESS_TOKEN_TTL);
  return {
    db,
    redisT,
    orm,
    redis,
    sql,
    config,
    tokens,
    hasher,
    dataDir: dir.path,
    logs,
    logger,
    service(settings = {}) {
      const em = orm.em.fork();
      return new AuthService({ users: new UserRepository(em), refreshTokens: new RefreshTokenRepository(em), hasher, tokens, throttle, registrations, revocation, config: { ...config, ...settings }, logger });
    },
    async close() {
      await sql.end();
      await orm.close();
      redis.disconnect();
      await db.drop();
      await redisT.cleanup();
      dir.remove();
    },
  };
}

let ipCounter = 0;
/** A client address no other test in the process uses (so per-address limits do not interfere). */
export function newIp(): string {
  ipCounter += 1;
  return `198.18.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
}
