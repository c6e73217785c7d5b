import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { tempDir } from '@ai-teacher/shared/testing';
import { PersistedOperations, persistedOperationsMode, readManifest } from './persisted-operations.ts';

const dir = tempDir('ait-pq-spec-');
afterAll(() => dir.remove());

const ME = 'query Me {\n  me { id }\n}';
const list = (mode: 'allow' | 'safelist') => new PersistedOperations(mode, [{ id: 'me-1', name: 'Me', type: 'query', body: ME }]);
const byId = (id: string) => ({ persistedQuery: { version: 1, sha256Hash: id } });

describe('persisted operation manifest', () => {
  it('reads Apollo’s manifest format and refuses anything else with the reason', () => {
    const good = join(dir.path, 'good.json');
    writeFileSync(good, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'a', name: 'Me', type: 'query', body: ME }] }));
    expect(readManifest(good)).toHaveLength(1);
    const bad = join(dir.path, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'something', version: 2, operations: [] }));
    expect(() => readManifest(bad)).toThrow(/not an Apollo persisted query manifest/);
    expect(() => readManifest(join(dir.path, 'missing.json'))).toThrow(/cannot read/);
    expect(() => new PersistedOperations('safelist', [{ id: 'x', body: '{ me { ' }])).toThrow(/not valid GraphQL/);
  });

  it('safelist: listed by id or by body (ignoring whitespace, commas and comments); nothing else', () => {
    const pq = list('safelist');
    expect(pq.isAllowedOperation(undefined, byId('me-1'))).toBe(true);
    expect(pq.isAllowedOperation(ME, undefined)).toBe(true);
    expect(pq.isAllowedOperation('# a comment\nquery Me { me { id, } }', undefined)).toBe(true);
    expect(pq.isAllowedOperation('query Me { me { id email } }', undefined)).toBe(false);
    expect(pq.isAllowedOperation('query Me { me { id email } }', byId('me-1'))).toBe(false);
    expect(pq.isAllowedOperation(undefined, byId('unknown'))).toBe(false);
    expect(pq.isAllowedOperation('{ __schema { types { name } } }', undefined)).toBe(false);
    expect(pq.isAllowedOperation('not graphql {', undefined)).toBe(false);
  });

  it('allow and off refuse nothing', () => {
    expect(list('allow').isAllowedOperation('{ anything }', undefined)).toBe(true);
    expect(new PersistedOperations('off', []).isAllowedOperation('{ anything }', undefined)).toBe(true);
  });

  it('default mode: off without a manifest; with one, safelist in production and allow elsewhere', () => {
    expect(persistedOperationsMode({ NODE_ENV: 'production' })).toBe('off');
    expect(persistedOperationsMode({ NODE_ENV: 'production', PERSISTED_OPERATIONS_PATH: 'm.json' })).toBe('safelist');
    expect(persistedOperationsMode({ NODE_ENV: 'development', PERSISTED_OPERATIONS_PATH: 'm.json' })).toBe('allow');
    expect(persistedOperationsMode({ NODE_ENV: 'production', PERSISTED_OPERATIONS_PATH: 'm.json', PERSISTED_OPERATIONS_MODE: 'off' })).toBe('off');
    expect(() => PersistedOperations.fromConfig({ NODE_ENV: 'development', PERSISTED_OPERATIONS_MODE: 'safelist' })).toThrow(/needs a manifest/);
  });
});
