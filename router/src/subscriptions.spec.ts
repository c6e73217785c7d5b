// Subscription events shaped directly (no rest of the plan) must reach the client exactly as the
// gateway's plan executor would have completed them: both paths run on the same events here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import { QueryPlanner } from '@apollo/query-planner';
import { createLogger, repoRoot } from '@ai-teacher/shared/core';
import { execute, type ExecutionArgs, GraphQLError, parse } from 'graphql';
import { EventCompletion, type PlannedSubscription, type SubscriptionEvent } from './subscriptions.ts';

const supergraph = Supergraph.build(readFileSync(join(repoRoot, 'router', 'supergraph.graphql'), 'utf8'));
const apiSchema = supergraph.apiSchema();
const apiGraphQLSchema = apiSchema.toGraphQLJSSchema();
const planner = new QueryPlanner(supergraph);
const tutorSchema = supergraph.subgraphs().get('tutor')!.schema.toGraphQLJSSchema();

/** The academic subgraph, as far as book titles go (the federated case); it records what it was asked. */
const academicCalls: unknown[] = [];
const academic = {
  process: async ({ request }: { request: { variables?: Record<string, unknown> } }) => {
    const representations = (request.variables?.representations ?? []) as { id: string }[];
    academicCalls.push(representations);
    return { data: { _entities: representations.map((r) => ({ __typename: 'Book', title: `Title of ${r.id}` })) } };
  },
} as unknown as GraphQLDataSource;
const serviceMap: ServiceMap = { academic };
const completion = new EventCompletion({ apiSchema, apiGraphQLSchema, supergraphSchema: supergraph.schema.toGraphQLJSSchema(), serviceMap, logger: createLogger('test', 'silent') });

function subscription(query: string, variableValues: Record<string, unknown>, operationName?: string): { planned: PlannedSubscription; args: ExecutionArgs } {
  const document = parse(query);
  const args: ExecutionArgs = { schema: apiGraphQLSchema, document, variableValues, operationName: operationName ?? null, contextValue: { identity: null, requestId: 'r', clientIp: '127.0.0.1' } };
  const planned = completion.plan(() => planner.buildQueryPlan(operationFromDocument(apiSchema, document, { operationName })), args);
  if (planned instanceof GraphQLError) throw planned;
  return { planned, args };
}

/** What the tutor subgraph sends for the primary fetch when its resolver yields `event`. */
function subgraphEvent(planned: PlannedSubscription, variables: Record<string, unknown>, event: Record<string, unknown>): SubscriptionEvent {
  const result = execute({ schema: tutorSchema, document: parse(planned.primary.operation), rootValue: { tutorAnswer: event }, variableValues: variables, operationName: planned.primary.operationName ?? null });
  return JSON.parse(JSON.stringify(result)) as SubscriptionEvent; // as it arrives over graphql-ws
}

const message = (status: string, content: string, answer: unknown = null) => ({ id: 'm1', role: 'TUTOR', content, status, answer, mode: 'EXPLAIN', error: null, createdAt: '2026-01-01T00:00:00.000Z' });
const stream = [
  { messageId: 'm1', seq: 1, delta: 'Loops ', done: false, message: null },
  { messageId: 'm1', seq: 2, delta: 'repeat.', done: false, message: null },
  { messageId: 'm1', seq: 3, delta: null, done: true, message: message('COMPLETE', 'Loops repeat.', { summary: 's', explanation: 'e', steps: [], example: null, checkQuestions: [], citations: [{ book: { id: 'b1' }, pageStart: 1, pageEnd: 2, quote: 'q' }], generator: 'MODEL', cached: false, grounded: true }) },
];

/** Both paths over the same events: the JSON each sends to the client. */
async function bothPaths(planned: PlannedSubscription, args: ExecutionArgs, events: SubscriptionEvent[]): Promise<{ direct: string[]; executed: string[] }> {
  const direct = completion.completer(planned, args);
  const executed = completion.completer(planned, args, { direct: false });
  const out = { direct: [] as string[], executed: [] as string[] };
  for (const event of events) {
    // Each path gets its own copy, as each event is parsed afresh from the socket.
    out.direct.push(JSON.stringify(await direct(structuredClone(event))));
    out.executed.push(JSON.stringify(await executed(structuredClone(event))));
  }
  return out;
}

describe('subscription events: direct shaping and the plan executor agree', () => {
  it('shapes a tutor-only subscription directly, with the same results', async () => {
    const vars = { m: 'm1' };
    const { planned, args } = subscription(`subscription($m: ID!) { tutorAnswer(messageId: $m) { seq delta done message { status content } } }`, vars);
    expect(planned.rest).toBeUndefined();
    expect(planned.shaping).toBeDefined();
    const { direct, executed } = await bothPaths(planned, args, stream.map((e) => subgraphEvent(planned, vars, e)));
    expect(direct).toEqual(executed);
    expect(JSON.parse(direct[0]!)).toEqual({ data: { tutorAnswer: { seq: 1, delta: 'Loops ', done: false, message: null } } });
    expect(JSON.parse(direct[2]!)).toEqual({ data: { tutorAnswer: { seq: 3, delta: null, done: true, message: { status: 'COMPLETE', content: 'Loops repeat.' } } } });
  });

  it('keeps aliases, __typename, fragments, @include/@skip and defaulted variables', async () => {
    const query = `
      subscription Live($m: ID!, $after: Int, $withMessage: Boolean = true, $noDelta: Boolean!) {
        answer: tutorAnswer(messageId: $m, afterSeq: $after) {
          __typename
          kind: __typename
          n: seq
          ...Step
          message @include(if: $withMessage) { t: __typename ... on ChatMessage { id role text: content } status }
        }
      }
      fragment Step on TutorStreamEvent { delta @skip(if: $noDelta) done messageId }`;
    for (const vars of [{ m: 'm1', noDelta: false }, { m: 'm1', after: 1, noDelta: true, withMessage: false }]) {
      const { planned, args } = subscription(query, vars, 'Live');
      expect(planned.shaping).toBeDefined();
      const { direct, executed } = await bothPaths(planned, args, stream.map((e) => subgraphEvent(planned, vars, e)));
      expect(direct).toEqual(executed);
      const last = JSON.parse(direct[2]!) as { data: { answer: Record<string, unknown> } };
      expect(Object.keys(last.data.answer)).toEqual(vars.noDelta ? ['__typename', 'kind', 'n', 'done', 'messageId'] : ['__typename', 'kind', 'n', 'delta', 'done', 'messageId', 'message']);
      expect(last.data.answer.__typename).toBe('TutorStreamEvent');
    }
  });

  it('reports invalid events the same way: null in a non-null field, an unknown enum value, subgraph errors', async () => {
    const vars = { m: 'm1' };
    const { planned, args } = subscription(`subscription($m: ID!) { tutorAnswer(messageId: $m) { seq done message { status content } } }`, vars);
    const events: SubscriptionEvent[] = [
      { data: { tutorAnswer: { seq: null, done: false, message: null } } },
      { data: { tutorAnswer: { seq: 4, done: true, message: { status: 'NOT_A_STATUS', content: 'x' } } } },
      { data: { tutorAnswer: { seq: 5, done: true, message: { status: 'COMPLETE', content: null } } } },
      { data: { tutorAnswer: { seq: 6, done: true, message: null } }, errors: [{ message: 'partial', path: ['tutorAnswer', 'message'], extensions: { code: 'INTERNAL' } }] },
      { data: { tutorAnswer: { seq: 'seven', done: true, message: null } } },
      { data: { tutorAnswer: null } },
    ];
    const { direct, executed } = await bothPaths(planned, args, events);
    expect(direct).toEqual(executed);
    expect(direct[0]).toContain('valueCompletion');
  });

  it('runs the rest of the plan for fields of another subgraph (book titles from academic)', async () => {
    const vars = { m: 'm1' };
    const { planned, args } = subscription(`subscription($m: ID!) { tutorAnswer(messageId: $m) { seq done message { status answer { citations { pageStart book { title } } } } } }`, vars);
    expect(planned.rest).toBeDefined();
    expect(planned.shaping).toBeUndefined();
    academicCalls.length = 0;
    const { direct, executed } = await bothPaths(planned, args, stream.map((e) => subgraphEvent(planned, vars, e)));
    expect(direct).toEqual(executed);
    expect(JSON.parse(direct[2]!)).toEqual({ data: { tutorAnswer: { seq: 3, done: true, message: { status: 'COMPLETE', answer: { citations: [{ pageStart: 1, book: { title: 'Title of b1' } }] } } } } });
    expect(academicCalls).toEqual([[{ __typename: 'Book', id: 'b1' }], [{ __typename: 'Book', id: 'b1' }]]); // once per path, for the final event only
  });
});
