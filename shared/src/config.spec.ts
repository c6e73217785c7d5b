import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ConfigError, databaseSchema, devSecret, loadConfig, redisSchema, resolveIdentitySecret, resolveServiceSecret, subgraphUrlOverrides } from './config.ts';
import { tempDir } from './testing/index.ts';

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const cfg = loadConfig(databaseSchema.extend(redisSchema.shape), { DATABASE_URL: '', REDIS_URL: '' });
    expect(cfg.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/ai_teacher');
    expect(cfg.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(cfg.DB_POOL_MAX).toBe(10);
  });

  it('reports every invalid setting at once', () => {
    const schema = databaseSchema.extend({ PORT: z.coerce.number().int().max(65535) });
    let error: unknown;
    try {
      loadConfig(schema, { DATABASE_URL: 'not a url', DB_POOL_MAX: '-3', PORT: '70000' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.join('\n');
    expect(issues).toMatch(/DATABASE_URL/);
    expect(issues).toMatch(/DB_POOL_MAX/);
    expect(issues).toMatch(/PORT/);
  });
});

describe('secrets', () => {
  it('keeps one generated development secret per name', () => {
    const dir = tempDir();
    const a = devSecret(dir.path, 's', () => 'first');
    const b = devSecret(dir.path, 's', () => 'second');
    expect(a).toBe('first');
    expect(b).toBe('first');
    dir.remove();
  });

  it('refuses to start in production without IDENTITY_SECRET', () => {
    expect(() => resolveIdentitySecret({ NODE_ENV: 'production', LOG_LEVEL: 'info', DATA_DIR: '/nonexistent' }, {})).toThrow(/IDENTITY_SECRET/);
  });

  it('refuses to start in production without SERVICE_SECRET', () => {
    expect(() => resolveServiceSecret({ NODE_ENV: 'production', LOG_LEVEL: 'info', DATA_DIR: '/nonexistent' }, {})).toThrow(/SERVICE_SECRET: required in production/);
    expect(resolveServiceSecret({ NODE_ENV: 'production', LOG_LEVEL: 'info', DATA_DIR: '/nonexistent' }, { SERVICE_SECRET: 'k'.repeat(32) })).toBe('k'.repeat(32));
  });

  it('generates two different development keys, in two files', () => {
    const dir = tempDir();
    const base = { NODE_ENV: 'development' as const, LOG_LEVEL: 'info' as const, DATA_DIR: dir.path };
    const identity = resolveIdentitySecret(base, {});
    const service = resolveServiceSecret(base, {});
    expect(identity.length).toBeGreaterThanOrEqual(32);
    expect(service.length).toBeGreaterThanOrEqual(32);
    expect(service).not.toBe(identity);
    expect(resolveServiceSecret(base, {})).toBe(service);
    dir.remove();
  });
});

it('reads subgraph URL overrides by name', () => {
  expect(subgraphUrlOverrides({ SUBGRAPH_URL_AUTH: 'http://auth:4001/graphql' })).toMatchObject({ auth: 'http://auth:4001/graphql' });
});
