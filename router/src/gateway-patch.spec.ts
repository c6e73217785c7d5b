// The router runs @apollo/gateway with patches/@apollo+gateway+2.14.4.patch (the operation cached
// per query plan, plan execution without trace nodes when traces are not captured, result shaping
// compiled per selection set). This suite proves the patched gateway answers exactly as the stock
// 2.14.4 one: every expected response below was produced by the unpatched gateway over the same
// subgraphs, and is compared key order included (JSON text), errors and extensions too. It covers
// what the patch touches: aliases, __typename, fragments on abstract types, @skip/@include (literal,
// variable, defaulted), entity fetches over lists and nested lists with @requires, subgraph errors,
// null bubbling and invalid values from a subgraph, and an operation run again with other variables.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, LocalGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { type GraphQLSchema, parse } from 'graphql';

interface Lesson { id: string; title: string; minutes: number }
interface Course { id: string; title: string; level: string; lessons: string[]; weeks: string[][] }

const lessons: Record<string, Lesson> = {
  l1: { id: 'l1', title: 'Sets', minutes: 30 },
  l2: { id: 'l2', title: 'Groups', minutes: 45 },
  l3: { id: 'l3', title: 'Ownership', minutes: 90 },
};
const courses: Record<string, Course> = {
  c1: { id: 'c1', title: 'Algebra', level: 'BEGINNER', lessons: ['l1', 'l2'], weeks: [['l1'], ['l2', 'l3']] },
  c2: { id: 'c2', title: 'Rust', level: 'ADVANCED', lessons: ['l3'], weeks: [[], ['l3']] },
};
const lesson = (id: string) => lessons[id];
const kindOf = (o: object) => ('lessons' in o ? 'Course' : 'Lesson');

const federation = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])`;

interface Subgraph {
  name: string;
  /** The schema the supergraph is composed from. */
  typeDefs: string;
  /** The schema the subgraph actually runs, when it drifted from the composed one. */
  served?: string;
  resolvers: GraphQLResolverMap<unknown>;
}

const subgraphs: Subgraph[] = [
  {
    name: 'catalog',
    typeDefs: `${federation}
      type Query { course(id: ID!): Course courses: [Course!]! picks: [Course] search(term: String!): [SearchResult!]! featured: Node announcement: String }
      interface Node { id: ID! }
      type Course implements Node @key(fields: "id") { id: ID! title: String! level: Level! lessons: [Lesson!]! weeks: [[Lesson!]!]! }
      type Lesson implements Node @key(fields: "id") { id: ID! title: String! minutes: Int! }
      union SearchResult = Course | Lesson
      enum Level { BEGINNER ADVANCED }`,
    resolvers: {
      Query: {
        course: (_: unknown, { id }: { id: string }) => courses[id] ?? null,
        courses: () => Object.values(courses),
        picks: () => [courses.c2, null, courses.c1],
        search: () => [courses.c1, lessons.l2],
        featured: () => lessons.l3,
        announcement: () => {
          throw new Error('announcements are down');
        },
      },
      Node: { __resolveType: kindOf },
      SearchResult: { __resolveType: kindOf },
      Course: {
        __resolveReference: (ref: { id: string }) => courses[ref.id],
        lessons: (c: Course) => c.lessons.map(lesson),
        weeks: (c: Course) => c.weeks.map((week) => week.map(lesson)),
      },
      Lesson: { __resolveReference: (ref: { id: string }) => lessons[ref.id] },
    },
  },
  {
    name: 'progress',
    typeDefs: `${federation}
      type Query { me: Student }
      type Student { name: String! }
      type Course @key(fields: "id") { id: ID! enrolled: Int! streak: Int }
      type Lesson @key(fields: "id") { id: ID! minutes: Int! @external estimate: String! @requires(fields: "minutes") done: Boolean! }`,
    resolvers: {
      Query: {
        me: () => {
          throw new Error('who are you?');
        },
      },
      Course: {
        __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
        enrolled: (c: { id: string }) => (c.id === 'c1' ? 120 : 80),
        streak: (c: { id: string }) => {
          if (c.id === 'c2') throw new Error('streak unavailable');
          return 5;
        },
      },
      Lesson: {
        __resolveReference: (ref: { id: string; minutes?: number }) => ref,
        estimate: (l: { minutes: number }) => (l.minutes >= 60 ? `${l.minutes / 60} h` : `${l.minutes} min`),
        done: (l: { id: string }) => l.id !== 'l2',
      },
    },
  },
  {
    // Deployed ahead of the supergraph: a new enum value, a looser nullability, a changed scalar
    // and a new union member, so the gateway sees values its API schema does not allow.
    name: 'awards',
    typeDefs: `${federation}
      type Query { badges: [Badge!] profile: Profile award: Award shelf: Shelf! }
      type Shelf { owner: String top: [Badge!]! }
      type Badge { name: String! kind: BadgeKind }
      enum BadgeKind { GOLD SILVER }
      type Trophy { title: String! }
      union Award = Badge | Trophy
      type Profile { nickname: String! points: Int rank: BadgeKind! }`,
    served: `${federation}
      type Query { badges: [Badge!] profile: Profile award: Award shelf: Shelf! }
      type Shelf { owner: String top: [Badge!]! }
      type Badge { name: String kind: BadgeKind }
      enum BadgeKind { GOLD SILVER PLATINUM }
      type Trophy { title: String! }
      type Medal { title: String! }
      union Award = Badge | Trophy | Medal
      type Profile { nickname: String! points: String rank: BadgeKind! }`,
    resolvers: {
      Query: {
        badges: () => [{ name: 'Early bird', kind: 'GOLD' }, { name: null, kind: 'SILVER' }, { name: 'Night owl', kind: 'PLATINUM' }],
        profile: () => ({ nickname: 'ada', points: 'lots', rank: 'PLATINUM' }),
        award: () => ({ __typename: 'Medal', title: 'Best in show' }),
        shelf: () => ({ owner: 'ada', top: [{ name: null }] }),
      },
      Award: { __resolveType: (o: { __typename: string }) => o.__typename },
    },
  },
];

interface Context { traces?: boolean }

// Turns on usage-reporting trace capture for a request, as the usage-reporting plugin would, so
// that the plan is executed by the gateway's traced path.
const captureTraces: ApolloServerPlugin<Context> = {
  async requestDidStart({ contextValue, metrics }) {
    if (contextValue.traces) metrics.captureTraces = true;
  },
};

let server: ApolloServer<Context>;
const traced: boolean[] = [];

beforeAll(async () => {
  const composed = composeServices(subgraphs.map((s) => ({ name: s.name, url: `http://${s.name}.invalid/graphql`, typeDefs: parse(s.typeDefs) })));
  if (composed.errors || !composed.supergraphSdl) throw new Error(`composition failed: ${composed.errors?.map((e) => e.message).join('; ')}`);
  const schemas = new Map<string, GraphQLSchema>(
    subgraphs.map((s) => [s.name, buildSubgraphSchema([{ typeDefs: parse(s.served ?? s.typeDefs), resolvers: s.resolvers }])]),
  );
  const gateway = new ApolloGateway({
    supergraphSdl: composed.supergraphSdl,
    buildService: ({ name }) => new LocalGraphQLDataSource(schemas.get(name)!),
  });
  const recordTraced: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      return { willSendResponse: async ({ metrics }) => void traced.push(metrics.queryPlanTrace !== undefined) };
    },
  };
  server = new ApolloServer<Context>({ gateway, includeStacktraceInErrorResponses: false, plugins: [captureTraces, recordTraced] });
  await server.start();
});

afterAll(async () => {
  await server?.stop();
});

async function run(query: string, variables?: Record<string, unknown>, operationName?: string, context: Context = {}) {
  const res = await server.executeOperation({ query, variables, operationName }, { contextValue: context });
  if (res.body.kind !== 'single') throw new Error('expected a single result');
  return res.body.singleResult;
}

/** Equal as values (for a readable diff) and as JSON text: same keys in the same order. */
function expectExactly(actual: unknown, expected: unknown) {
  expect(JSON.parse(JSON.stringify(actual))).toEqual(expected);
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

/** The gateway's own result-shaping error (under extensions.valueCompletion). */
const invalid = (message: string, path: (string | number)[]) => ({ message, path, extensions: { code: 'INVALID_GRAPHQL' } });
/** A subgraph's error as the gateway reports it. */
const downstream = (message: string, path: (string | number)[], serviceName: string) => ({ message, path, extensions: { serviceName, code: 'DOWNSTREAM_SERVICE_ERROR' } });

describe('the patched @apollo/gateway', () => {
  it('is the one installed (npm ci applies patches/ in postinstall)', () => {
    const file = createRequire(import.meta.url).resolve('@apollo/gateway/dist/executeQueryPlan.js');
    const source = readFileSync(file, 'utf8');
    if (!source.includes('operationsByQueryPlan')) {
      throw new Error(`${file} is not patched: run \`npm ci\` (its postinstall applies patches/@apollo+gateway+2.14.4.patch)`);
    }
    expect(source).toContain('operationsByQueryPlan');
  });
});

describe('the patched gateway answers as the stock one', () => {
  it('aliases', async () => {
    expectExactly(
      await run(`{ first: course(id: "c1") { name: title t2: title id } c: courses { title ident: id } }`),
      {
        data: {
          first: { name: 'Algebra', t2: 'Algebra', id: 'c1' },
          c: [{ title: 'Algebra', ident: 'c1' }, { title: 'Rust', ident: 'c2' }],
        },
      },
    );
  });

  it('__typename on the root and on objects, plain and aliased', async () => {
    expectExactly(
      await run(`{ __typename q: __typename course(id: "c2") { kind: __typename __typename title } courses { __typename } }`),
      {
        data: {
          __typename: 'Query',
          q: 'Query',
          course: { kind: 'Course', __typename: 'Course', title: 'Rust' },
          courses: [{ __typename: 'Course' }, { __typename: 'Course' }],
        },
      },
    );
  });

  it('__typename and inline fragments on an interface field and a union field', async () => {
    expectExactly(
      await run(`{
        featured { __typename id ... on Lesson { t: __typename title } ... on Course { level } }
        search(term: "x") { __typename kind: __typename ... on Course { title level } ... on Lesson { title minutes } }
      }`),
      {
        data: {
          featured: { __typename: 'Lesson', id: 'l3', t: 'Lesson', title: 'Ownership' },
          search: [
            { __typename: 'Course', kind: 'Course', title: 'Algebra', level: 'BEGINNER' },
            { __typename: 'Lesson', kind: 'Lesson', title: 'Groups', minutes: 45 },
          ],
        },
      },
    );
  });

  it('named fragments with type conditions, nested, on an interface and a union', async () => {
    expectExactly(
      await run(`query Frags { featured { ...NodeBits ...LessonBits } search(term: "x") { ...CourseBits ...LessonBits ... on Node { ...NodeBits } } }
        fragment NodeBits on Node { id typename: __typename }
        fragment LessonBits on Lesson { title minutes __typename }
        fragment CourseBits on Course { title lessons { ...LessonBits } }`),
      {
        data: {
          featured: { id: 'l3', typename: 'Lesson', title: 'Ownership', minutes: 90, __typename: 'Lesson' },
          search: [
            {
              title: 'Algebra',
              lessons: [
                { title: 'Sets', minutes: 30, __typename: 'Lesson' },
                { title: 'Groups', minutes: 45, __typename: 'Lesson' },
              ],
              id: 'c1',
              typename: 'Course',
            },
            { title: 'Groups', minutes: 45, __typename: 'Lesson', id: 'l2', typename: 'Lesson' },
          ],
        },
      },
    );
  });

  it('@skip and @include with literal arguments, on fields, inline fragments and fragment spreads', async () => {
    expectExactly(
      await run(`{ course(id: "c1") {
        id title @skip(if: true) level @include(if: false) t: title @skip(if: false) l: level @include(if: true)
        ... on Course @include(if: false) { lessons { id } } ... on Course @skip(if: false) { weeks { id } }
        ...B @skip(if: true) ...C @include(if: true)
      } }
      fragment B on Course { enrolled } fragment C on Course { __typename }`),
      {
        data: {
          course: {
            id: 'c1',
            t: 'Algebra',
            l: 'BEGINNER',
            weeks: [[{ id: 'l1' }], [{ id: 'l2' }, { id: 'l3' }]],
            __typename: 'Course',
          },
        },
      },
    );
  });

  it('@skip and @include with variables, true and false, then the first variables again', async () => {
    const query = `query Q($a: Boolean!, $b: Boolean!) { course(id: "c1") {
      id title @skip(if: $a) level @include(if: $b) ... on Course @include(if: $a) { lessons { id done } } ...P @skip(if: $b)
    } }
    fragment P on Course { enrolled streak }`;
    expectExactly(await run(query, { a: true, b: false }), {
      data: {
        course: { id: 'c1', lessons: [{ id: 'l1', done: true }, { id: 'l2', done: false }], enrolled: 120, streak: 5 },
      },
    });
    expectExactly(await run(query, { a: false, b: true }), { data: { course: { id: 'c1', title: 'Algebra', level: 'BEGINNER' } } });
    expectExactly(await run(query, { a: true, b: false }), {
      data: {
        course: { id: 'c1', lessons: [{ id: 'l1', done: true }, { id: 'l2', done: false }], enrolled: 120, streak: 5 },
      },
    });
  });

  it('@skip and @include on the same field, every combination', async () => {
    const query = `query S($a: Boolean!, $b: Boolean!) { course(id: "c1") { title @skip(if: $a) @include(if: $b) id title @include(if: $a) enrolled @skip(if: $a) @include(if: $b) } }`;
    expectExactly(await run(query, { a: true, b: true }), { data: { course: { id: 'c1', title: 'Algebra' } } });
    expectExactly(await run(query, { a: true, b: false }), { data: { course: { id: 'c1', title: 'Algebra' } } });
    expectExactly(await run(query, { a: false, b: true }), { data: { course: { title: 'Algebra', id: 'c1', enrolled: 120 } } });
    expectExactly(await run(query, { a: false, b: false }), { data: { course: { id: 'c1' } } });
  });

  it('@include on variables with defaults: defaults, given values, no variables at all', async () => {
    const query = `query D($withLessons: Boolean = true, $withTitle: Boolean! = false) { courses { id title @include(if: $withTitle) lessons @include(if: $withLessons) { title done } } }`;
    expectExactly(await run(query, {}), {
      data: {
        courses: [
          { id: 'c1', lessons: [{ title: 'Sets', done: true }, { title: 'Groups', done: false }] },
          { id: 'c2', lessons: [{ title: 'Ownership', done: true }] },
        ],
      },
    });
    expectExactly(await run(query, { withLessons: false, withTitle: true }), { data: { courses: [{ id: 'c1', title: 'Algebra' }, { id: 'c2', title: 'Rust' }] } });
    expectExactly(await run(query), {
      data: {
        courses: [
          { id: 'c1', lessons: [{ title: 'Sets', done: true }, { title: 'Groups', done: false }] },
          { id: 'c2', lessons: [{ title: 'Ownership', done: true }] },
        ],
      },
    });
  });

  it('@skip and @include on root fields of different subgraphs (conditions in the plan)', async () => {
    const query = `query R($x: Boolean!) { badges @include(if: $x) { kind } courses @skip(if: $x) { id enrolled } me @include(if: $x) { name } }`;
    expectExactly(await run(query, { x: true }), {
      errors: [
        downstream('who are you?', ['me'], 'progress'),
      ],
      data: { badges: [{ kind: 'GOLD' }, { kind: 'SILVER' }, { kind: null }], me: null },
    });
    expectExactly(await run(query, { x: false }), { data: { courses: [{ id: 'c1', enrolled: 120 }, { id: 'c2', enrolled: 80 }] } });
  });

  it('entity fetches across subgraphs over lists and nested lists, with a @requires field', async () => {
    expectExactly(
      await run(`{ courses { id enrolled lessons { id done estimate } weeks { title done estimate } } }`),
      {
        data: {
          courses: [
            {
              id: 'c1',
              enrolled: 120,
              lessons: [{ id: 'l1', done: true, estimate: '30 min' }, { id: 'l2', done: false, estimate: '45 min' }],
              weeks: [
                [{ title: 'Sets', done: true, estimate: '30 min' }],
                [
                  { title: 'Groups', done: false, estimate: '45 min' },
                  { title: 'Ownership', done: true, estimate: '1.5 h' },
                ],
              ],
            },
            {
              id: 'c2',
              enrolled: 80,
              lessons: [{ id: 'l3', done: true, estimate: '1.5 h' }],
              weeks: [[], [{ title: 'Ownership', done: true, estimate: '1.5 h' }]],
            },
          ],
        },
      },
    );
  });

  it('entity fetches over a list with a null entry, and under a null root field', async () => {
    expectExactly(
      await run(`{ picks { id enrolled lessons { done } } missing: course(id: "zz") { enrolled } }`),
      {
        data: {
          picks: [
            { id: 'c2', enrolled: 80, lessons: [{ done: true }] },
            null,
            { id: 'c1', enrolled: 120, lessons: [{ done: true }, { done: false }] },
          ],
          missing: null,
        },
      },
    );
  });

  it('the same field selected again through fragments is merged into the first one', async () => {
    expectExactly(
      await run(`{ courses { title lessons { id } ... on Course { title lessons { title done } } ...F } } fragment F on Course { lessons { estimate id } id }`),
      {
        data: {
          courses: [
            {
              title: 'Algebra',
              lessons: [
                { id: 'l1', title: 'Sets', done: true, estimate: '30 min' },
                { id: 'l2', title: 'Groups', done: false, estimate: '45 min' },
              ],
              id: 'c1',
            },
            { title: 'Rust', lessons: [{ id: 'l3', title: 'Ownership', done: true, estimate: '1.5 h' }], id: 'c2' },
          ],
        },
      },
    );
  });

  it('a nullable field whose subgraph fails: null, and the error with its path', async () => {
    expectExactly(await run(`{ courses { title streak enrolled } }`), {
      errors: [
        downstream('streak unavailable', ['courses', 1, 'streak'], 'progress'),
      ],
      data: { courses: [{ title: 'Algebra', streak: 5, enrolled: 120 }, { title: 'Rust', streak: null, enrolled: 80 }] },
    });
  });

  it('errors of parallel and nested fetches, in the order the stock gateway gives them', async () => {
    expectExactly(
      await run(`{ badges { kind } courses { streak lessons { done estimate } } announcement me { name } picks { streak } }`),
      {
        errors: [
          downstream('announcements are down', ['announcement'], 'catalog'),
          downstream('who are you?', ['me'], 'progress'),
          downstream('streak unavailable', ['courses', 1, 'streak'], 'progress'),
          downstream('streak unavailable', ['picks', 0, 'streak'], 'progress'),
        ],
        data: {
          badges: [{ kind: 'GOLD' }, { kind: 'SILVER' }, { kind: null }],
          courses: [
            { streak: 5, lessons: [{ done: true, estimate: '30 min' }, { done: false, estimate: '45 min' }] },
            { streak: null, lessons: [{ done: true, estimate: '1.5 h' }] },
          ],
          announcement: null,
          me: null,
          picks: [{ streak: null }, null, { streak: 5 }],
        },
      },
    );
    expectExactly(
      await run(`{ me { name } picks { title streak weeks { done } } course(id: "c2") { streak } announcement }`),
      {
        errors: [
          downstream('who are you?', ['me'], 'progress'),
          downstream('announcements are down', ['announcement'], 'catalog'),
          downstream('streak unavailable', ['picks', 0, 'streak'], 'progress'),
          downstream('streak unavailable', ['course', 'streak'], 'progress'),
        ],
        data: {
          me: null,
          picks: [
            { title: 'Rust', streak: null, weeks: [[], [{ done: true }]] },
            null,
            { title: 'Algebra', streak: 5, weeks: [[{ done: true }], [{ done: false }, { done: true }]] },
          ],
          course: { streak: null },
          announcement: null,
        },
      },
    );
  });

  // The gateway's own result-shaping errors go to extensions.valueCompletion, not to errors, and
  // are left out altogether when a subgraph fetch failed (stock 2.14.4 behaviour).
  it('a null for a non-null field bubbles to the nearest nullable parent, with the gateway error', async () => {
    expectExactly(await run(`{ badges { name } profile { nickname } }`), {
      extensions: {
        valueCompletion: [
          invalid('Cannot return null for non-nullable field Badge.name.', ['badges', 1, 'name']),
        ],
      },
      data: { badges: null, profile: { nickname: 'ada' } },
    });
  });

  it('a null for a non-null field bubbles to the root: data is null', async () => {
    expectExactly(await run(`{ courses { id } shelf { owner top { name } } }`), {
      extensions: {
        valueCompletion: [
          invalid('Cannot return null for non-nullable field Badge.name.', ['shelf', 'top', 0, 'name']),
        ],
      },
      data: null,
    });
  });

  it('an invalid enum and an invalid scalar value from a subgraph', async () => {
    expectExactly(await run(`{ badges { kind } profile { nickname points } }`), {
      extensions: {
        valueCompletion: [
          invalid('Invalid value found for field Badge.kind.', ['badges', 2, 'kind']),
          invalid('Invalid value found for field Profile.points.', ['profile', 'points']),
        ],
      },
      data: { badges: [{ kind: 'GOLD' }, { kind: 'SILVER' }, { kind: null }], profile: { nickname: 'ada', points: null } },
    });
  });

  it('an invalid value in a non-null field bubbles without a second error', async () => {
    expectExactly(await run(`{ p: profile { nickname rank } n: profile { nickname } }`), {
      extensions: {
        valueCompletion: [
          invalid('Invalid value found for field Profile.rank.', ['p', 'rank']),
        ],
      },
      data: { p: null, n: { nickname: 'ada' } },
    });
  });

  it('a null bubbling and an invalid value in the same list: both errors, in order', async () => {
    expectExactly(await run(`{ badges { name kind } }`), {
      extensions: {
        valueCompletion: [
          invalid('Cannot return null for non-nullable field Badge.name.', ['badges', 1, 'name']),
          invalid('Invalid value found for field Badge.kind.', ['badges', 2, 'kind']),
        ],
      },
      data: { badges: null },
    });
    expectExactly(
      await run(`{ badges { kind } ... on Query { badges { name } } ... on Query { badges { kind name } } profile { nickname } }`),
      {
        extensions: {
          valueCompletion: [
            invalid('Invalid value found for field Badge.kind.', ['badges', 2, 'kind']),
            invalid('Cannot return null for non-nullable field Badge.name.', ['badges', 1, 'name']),
          ],
        },
        data: { badges: null, profile: { nickname: 'ada' } },
      },
    );
  });

  it('an invalid __typename from a subgraph (and its error left out when a fetch failed)', async () => {
    expectExactly(
      await run(`{ award { __typename ... on Badge { name } ... on Trophy { title } } courses { id } }`),
      {
        extensions: {
          valueCompletion: [
            invalid('Invalid __typename found for object at field Query.award.', ['award']),
          ],
        },
        data: { award: null, courses: [{ id: 'c1' }, { id: 'c2' }] },
      },
    );
    expectExactly(await run(`{ award { __typename ... on Trophy { title } } courses { streak } }`), {
      errors: [
        downstream('streak unavailable', ['courses', 1, 'streak'], 'progress'),
      ],
      data: { award: null, courses: [{ streak: 5 }, { streak: null }] },
    });
  });

  it('the same operation twice, then with other variables, then the first ones again', async () => {
    const query = `query Again($id: ID!, $more: Boolean!) { course(id: $id) { title lessons @include(if: $more) { title done } enrolled @skip(if: $more) } }`;
    const first = {
      data: { course: { title: 'Algebra', lessons: [{ title: 'Sets', done: true }, { title: 'Groups', done: false }] } },
    };
    expectExactly(await run(query, { id: 'c1', more: true }), first);
    expectExactly(await run(query, { id: 'c1', more: true }), first);
    expectExactly(await run(query, { id: 'c2', more: false }), { data: { course: { title: 'Rust', enrolled: 80 } } });
    expectExactly(await run(query, { id: 'c1', more: true }), first);
  });

  it('the same operation run concurrently with different variables', async () => {
    const query = `query C($id: ID!, $l: Boolean!) { course(id: $id) { title lessons @include(if: $l) { title done } enrolled @skip(if: $l) } }`;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => run(query, { id: i % 3 ? 'c1' : 'c2', l: i % 2 === 0 })));
    expectExactly(results, [
      { data: { course: { title: 'Rust', lessons: [{ title: 'Ownership', done: true }] } } },
      { data: { course: { title: 'Algebra', enrolled: 120 } } },
      {
        data: { course: { title: 'Algebra', lessons: [{ title: 'Sets', done: true }, { title: 'Groups', done: false }] } },
      },
      { data: { course: { title: 'Rust', enrolled: 80 } } },
      {
        data: { course: { title: 'Algebra', lessons: [{ title: 'Sets', done: true }, { title: 'Groups', done: false }] } },
      },
      { data: { course: { title: 'Algebra', enrolled: 120 } } },
      { data: { course: { title: 'Rust', lessons: [{ title: 'Ownership', done: true }] } } },
      { data: { course: { title: 'Algebra', enrolled: 120 } } },
    ]);
  });

  it('two operations in one document, each picked by name, one with a defaulted variable', async () => {
    const doc = `query Titles { courses { title } } query Lessons($done: Boolean = false) { courses { lessons { title done @include(if: $done) } } }`;
    const titles = { data: { courses: [{ title: 'Algebra' }, { title: 'Rust' }] } };
    expectExactly(await run(doc, undefined, 'Titles'), titles);
    expectExactly(await run(doc, undefined, 'Lessons'), {
      data: { courses: [{ lessons: [{ title: 'Sets' }, { title: 'Groups' }] }, { lessons: [{ title: 'Ownership' }] }] },
    });
    expectExactly(await run(doc, { done: true }, 'Lessons'), {
      data: {
        courses: [
          { lessons: [{ title: 'Sets', done: true }, { title: 'Groups', done: false }] },
          { lessons: [{ title: 'Ownership', done: true }] },
        ],
      },
    });
    expectExactly(await run(doc, undefined, 'Titles'), titles);
  });

  it('the traced execution path (traces captured) gives the same response as the untraced one', async () => {
    const query = `{ courses { id enrolled streak lessons { done estimate } } badges { name } }`;
    traced.length = 0;
    const expected = {
      errors: [
        downstream('streak unavailable', ['courses', 1, 'streak'], 'progress'),
      ],
      data: {
        courses: [
          {
            id: 'c1',
            enrolled: 120,
            streak: 5,
            lessons: [{ done: true, estimate: '30 min' }, { done: false, estimate: '45 min' }],
          },
          { id: 'c2', enrolled: 80, streak: null, lessons: [{ done: true, estimate: '1.5 h' }] },
        ],
        badges: null,
      },
    };
    expectExactly(await run(query, undefined, undefined, { traces: true }), expected);
    expectExactly(await run(query), expected);
    expect(traced).toEqual([true, false]);
  });

  it('introspection next to __typename and a subgraph field', async () => {
    expectExactly(
      await run(`{ __typename t: __type(name: "Level") { enumValues { name } } course(id: "c1") { title } }`),
      {
        data: {
          __typename: 'Query',
          t: { enumValues: [{ name: 'BEGINNER' }, { name: 'ADVANCED' }] },
          course: { title: 'Algebra' },
        },
      },
    );
  });
});
