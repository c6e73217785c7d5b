import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Supergraph } from '@apollo/federation-internals';
import { repoRoot } from '@ai-teacher/shared/core';
import { buildSchema, type DocumentNode, type GraphQLSchema, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { CostCalculator, CostDirectives, CostEstimateError } from './cost.ts';

function operationOf(doc: DocumentNode): OperationDefinitionNode {
  return doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
}

function calculatorFor(sdl: string, schema: GraphQLSchema, defaultListSize = 10) {
  const calc = new CostCalculator(CostDirectives.fromSupergraph(sdl), defaultListSize);
  return {
    estimate: (query: string, variables: Record<string, unknown> = {}) => {
      const doc = parse(query);
      return calc.estimate(schema, doc, operationOf(doc), variables);
    },
    actual: (query: string, data: unknown, variables: Record<string, unknown> = {}) => {
      const doc = parse(query);
      return calc.actual(schema, doc, operationOf(doc), variables, data);
    },
  };
}

// The worked examples of Apollo's demand-control documentation, with the same schema.
describe('cost estimates under Apollo rules (the documentation examples)', () => {
  const sdl = `
    directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
    directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
    type Query {
      book(id: ID): Book
      bestsellers: [Book] @listSize(assumedSize: 5)
      newestAdditions(after: ID, limit: Int!): [Book] @listSize(slicingArguments: ["limit"])
      search(first: Int, last: Int): [Book] @listSize(slicingArguments: ["first", "last"])
      everything: [Book]
    }
    type Mutation { addBook(title: String! @cost(weight: 3)): Book }
    type Book { title: String author: Author publisher: Publisher }
    type Author { name: String }
    type Publisher { name: String address: Address }
    type Address @cost(weight: 5) { zipCode: Int! }
  `;
  const c = calculatorFor(sdl, buildSchema(sdl));
  const selection = 'title author { name } publisher { name address { zipCode } }';

  it('counts one per object and the weight of @cost types: BookQuery is 8', () => {
    expect(c.estimate(`query BookQuery { book(id: 1) { ${selection} } }`)).toBe(8);
    expect(c.estimate(`{ book(id: 1) { title author { name } } }`)).toBe(2);
  });

  it('multiplies list fields by @listSize(assumedSize): bestsellers is 40', () => {
    expect(c.estimate(`{ bestsellers { ${selection} } }`)).toBe(40);
  });

  it('sizes lists by their slicing argument, from literals and variables: 24 for 3 books, 56 for 7', () => {
    expect(c.estimate(`{ newestAdditions(limit: 3) { ${selection} } }`)).toBe(24);
    expect(c.estimate(`query($n: Int!) { newestAdditions(limit: $n) { ${selection} } }`, { n: 7 })).toBe(56);
  });

  it('refuses a field that requires exactly one slicing argument when it gets none or two', () => {
    expect(() => c.estimate(`{ search { title } }`)).toThrow(CostEstimateError);
    expect(() => c.estimate(`{ search(first: 2, last: 3) { title } }`)).toThrow(CostEstimateError);
    expect(c.estimate(`{ search(last: 4) { author { name } } }`)).toBe(8);
  });

  it('uses the configured default size for lists without @listSize', () => {
    expect(c.estimate(`{ everything { author { name } } }`)).toBe(20);
    expect(calculatorFor(sdl, buildSchema(sdl), 3).estimate(`{ everything { author { name } } }`)).toBe(6);
  });

  it('adds 10 for a mutation and the @cost of the arguments given', () => {
    expect(c.estimate(`mutation { addBook(title: "x") { title } }`)).toBe(10 + 1 + 3);
  });

  it('measures the actual cost from the response: real list lengths, nulls free', () => {
    const data = { bestsellers: [{ title: 'a', author: { name: 'x' }, publisher: null }, { title: 'b', author: null, publisher: { name: 'p', address: { zipCode: 1 } } }] };
    // book 1 + author 1, then book 1 + publisher 1 + address 5.
    expect(c.actual(`{ bestsellers { ${selection} } }`, data)).toBe(2 + 7);
    expect(c.actual(`{ bestsellers { title } }`, { bestsellers: [] })).toBe(0);
  });
});

describe('cost estimates on the AI Teacher supergraph', () => {
  const sdl = readFileSync(join(repoRoot, 'router', 'supergraph.graphql'), 'utf8');
  const schema = Supergraph.build(sdl).apiSchema().toGraphQLJSSchema();
  const c = calculatorFor(sdl, schema);

  it('composes the cost directives into the supergraph', () => {
    expect(sdl).toContain('https://specs.apollo.dev/cost/v0.1');
    expect(sdl).toMatch(/searchCourseMaterial\(.*@cost\(weight: 20\)/);
  });

  it('a signed-in user reading themselves costs 1', () => {
    expect(c.estimate('{ me { id email } }')).toBe(1);
  });

  it('the academic tree multiplies by each level’s assumed size', () => {
    // 10 faculties × (1 + 10 departments × (1 + 10 semesters × 1))
    expect(c.estimate('{ faculties { id departments { id semesters { id } } } }')).toBe(10 * (1 + 10 * (1 + 10)));
  });

  it('a search costs its weight per passage, sized by limit (literal, variable or default 5)', () => {
    const q = (limit: string) => `query($c: ID!, $q: String!, $n: Int) { searchCourseMaterial(courseId: $c, query: $q${limit}) { text book { id } } }`;
    expect(c.estimate(q(', limit: 3'), { c: '1', q: 'x' })).toBe(3 * (20 + 1));
    expect(c.estimate(q(', limit: $n'), { c: '1', q: 'x', n: 8 })).toBe(8 * 21);
    expect(c.estimate(q(''), { c: '1', q: 'x' })).toBe(5 * 21);
  });

  it('sizes a connection’s edges by first (its default when omitted)', () => {
    const q = (args: string) => `{ course(id: "1") { studentsConnection${args} { edges { node { id } } pageInfo { hasNextPage } totalCount } } }`;
    // course 1 + connection 1 + first × (edge 1 + node 1) + pageInfo 1
    expect(c.estimate(q('(first: 30)'))).toBe(1 + 1 + 30 * 2 + 1);
    expect(c.estimate(q(''))).toBe(1 + 1 + 50 * 2 + 1);
  });

  it('mutations cost 10 plus the field’s @cost', () => {
    expect(c.estimate('mutation { login(input: { email: "a@b.c", password: "p" }) { accessToken user { id } } }')).toBe(10 + 20 + 1);
    expect(c.estimate('mutation($s: ID!, $q: String!) { askTutor(sessionId: $s, question: $q) { id } }', { s: '1', q: 'why?' })).toBe(10 + 50);
  });

  it('follows @skip/@include and fragments', () => {
    const q = 'query($s: Boolean!) { me { ...M } faculties @skip(if: $s) { id } } fragment M on User { id enrolledCourses { id } }';
    expect(c.estimate(q, { s: true })).toBe(1 + 20);
    expect(c.estimate(q, { s: false })).toBe(1 + 20 + 10);
  });

  it('a subscription costs its selection', () => {
    expect(c.estimate('subscription { tutorAnswer(messageId: "m") { seq message { id answer { citations { book { id } } } } } }')).toBe(1 + 1 + 1 + 5 * 2);
  });

  it('the actual cost of a faculty tree counts what came back', () => {
    const data = { faculties: [{ id: 'f', departments: [{ id: 'd', semesters: [] }, { id: 'e', semesters: [{ id: 's' }] }] }] };
    expect(c.actual('{ faculties { id departments { id semesters { id } } } }', data)).toBe(1 + 1 + 1 + 1);
  });
});
