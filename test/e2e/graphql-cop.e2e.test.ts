// graphql-cop's 13 checks (https://github.com/dolevf/graphql-cop, lib/tests), reproduced request for
// request against the router in production mode: each returns true when graphql-cop would report a
// finding. The same checks against a development router (introspection on, schema hints in errors)
// do find something, so they are known to detect what they look for.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type RunningRouter, startRouter } from '@ai-teacher/router';
import { startStack, type StackWithoutWorkers as Stack } from '../support/stack.ts';

let stack: Stack;
let production: RunningRouter;

beforeAll(async () => {
  stack = await startStack({ workers: false });
  production = await startRouter({ ...stack.env, NODE_ENV: 'production', CORS_ORIGINS: 'https://app.uni.test' });
});
afterAll(async () => {
  await production?.stop();
  await stack?.stop();
});

const HEADERS = { 'user-agent': 'graphql-cop/1.14' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- graphql-cop reads whatever JSON comes back
type Json = any;

async function post(url: string, body: unknown): Promise<Json> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { ...HEADERS, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return await res.json();
  } catch {
    return {};
  }
}

async function get(url: string, query?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(query === undefined ? url : `${url}?${new URLSearchParams({ query })}`, { headers: HEADERS });
  return { status: res.status, text: await res.text() };
}

function json(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

/** Each check as graphql-cop runs it: true means a finding. */
const CHECKS: Record<string, (url: string) => Promise<boolean>> = {
  'Alias Overloading': async (url) => {
    const aliases = Array.from({ length: 101 }, (_, i) => `alias${i}:__typename`).join('\n');
    return Boolean((await post(url, { query: `query { ${aliases} }` }))?.data?.alias100);
  },
  'Array-based Query Batching': async (url) => {
    const body = await post(url, Array.from({ length: 11 }, () => ({ query: 'query { __typename }' })));
    return Array.isArray(body) ? body.length >= 10 : (body?.data?.length ?? 0) >= 10;
  },
  'Field Suggestions': async (url) => String((await post(url, { query: 'query { __schema { directive } }' }))?.errors?.[0]?.message ?? '').includes('Did you mean'),
  'Directive Overloading': async (url) => (await post(url, { query: 'query { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }' }))?.errors?.length === 10,
  'Introspection-based Circular Query': async (url) =>
    ((await post(url, { query: 'query { __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }' }))?.data?.__schema?.types?.length ?? 0) > 25,
  Introspection: async (url) => Boolean((await post(url, { query: 'query cop { __schema { types { name fields { name } } } }' }))?.data?.__schema),
  'GraphQL IDE': async (url) => {
    const origin = new URL(url).origin;
    for (const path of ['/graphiql', '/playground', '/console', '/graphql']) {
      const { text } = await get(origin + path);
      if (['graphiql.min.css', 'GraphQL Playground', 'GraphiQL', 'graphql-playground'].some((w) => text.includes(w))) return true;
    }
    return false;
  },
  'GET Method Query Support': async (url) => Boolean(json((await get(url, 'query cop {__typename}')).text)?.data?.__typename),
  'Mutation is allowed over GET': async (url) => Boolean(json((await get(url, 'mutation {__typename}')).text)?.data?.__typename),
  'POST based url-encoded query': async (url) => {
    const res = await fetch(`${url}?${new URLSearchParams({ query: 'query {__typename}' })}`, { method: 'POST', headers: HEADERS });
    return Boolean(json(await res.text())?.data?.__typename);
  },
  'Trace Mode': async (url) => {
    const body = await post(url, { query: 'query { __typename }' });
    return Boolean(body?.errors?.extensions?.tracing || body?.errors?.extensions?.exception || JSON.stringify(body).toLowerCase().includes('stacktrace'));
  },
  'Unhandled Errors Detection': async (url) => {
    const body = await post(url, { query: 'qwerty cop { abc }' });
    return Boolean(body?.errors?.[0]?.extensions?.exception) || JSON.stringify(body).toLowerCase().includes('"exception"') || JSON.stringify(body).toLowerCase().includes('stacktrace');
  },
  'Field Duplication': async (url) => Boolean((await post(url, { query: `query { ${'__typename \n'.repeat(500)}} ` }))?.data?.__typename),
};

async function findings(url: string): Promise<string[]> {
  const found: string[] = [];
  for (const [name, check] of Object.entries(CHECKS)) if (await check(url)) found.push(name);
  return found;
}

describe('graphql-cop', () => {
  it('has 13 checks', () => {
    expect(Object.keys(CHECKS)).toHaveLength(13);
  });

  it('finds nothing on the production router', async () => {
    expect(await findings(production.graphqlUrl)).toEqual([]);
  });

  it('finds what development deliberately allows (introspection, schema hints), so the checks work', async () => {
    const found = await findings(stack.routerUrl);
    expect(found).toEqual(expect.arrayContaining(['Introspection', 'Field Suggestions']));
    // Limits hold in development too.
    expect(found).not.toContain('Alias Overloading');
    expect(found).not.toContain('Field Duplication');
    expect(found).not.toContain('Directive Overloading');
    expect(found).not.toContain('Introspection-based Circular Query');
    expect(found).not.toContain('Array-based Query Batching');
  });
});
