// The exam subgraph's schema and resolvers executed in process (Apollo's executeOperation) with the
// context the kit builds for each request, against a real Postgres and Redis and the real auth and
// academic subgraphs behind the course scope: every @key's reference resolver (`_entities`, what
// the router sends when another subgraph points at exam's types) with who may see what, the
// tutor's lock route, and submissions that race the deadline job.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import academicSubgraph from '@ai-teacher/academic';
import { startAuthSubgraph } from '@ai-teacher/auth';
import { createSubgraph, type Env, type Identity, InternalClient, type RunningSubgraph } from '@ai-teacher/shared';
import {
  createTestDatabase,
  createTestRedis,
  freePort,
  type InProcessSubgraph,
  openSubgraphInProcess,
  type OperationResult,
  registerStudent,
  signedOp,
  tempDir,
  type TestDatabase,
  type TestRedis,
} from '@ai-teacher/shared/testing';
import type { ExamConfig } from '../src/config.ts';
import { ExamLockClient } from '../src/contracts.ts';
import { ExamRepository } from '../src/repositories/exam.repository.ts';
import type { ExamServices } from '../src/service.ts';
import { LlmGrader } from '../src/generation/llm.ts';
import { gradeAttempt } from '../src/grading/grade-attempt.ts';
import { submitAttempt } from '../src/services/submission.ts';
import { LlmJsonStub } from './llm-json-stub.ts';
import { examSubgraph } from '../src/subgraph.ts';

const dataDir = tempDir();
const secret = randomBytes(32).toString('hex');
const serviceSecret = randomBytes(32).toString('hex');
let db: TestDatabase;
let redis: TestRedis;
let auth: RunningSubgraph;
let academic: RunningSubgraph;
let examHttp: RunningSubgraph;
let exam: InProcessSubgraph<ExamConfig, ExamServices>;

const admin: Identity = { userId: '00000000-0000-4000-8000-00000000a0a0', role: 'ADMIN' };
let student: Identity;
let outsider: Identity;
let courseId: string;
let examId: string;
let draftId: string;
let attemptId: string;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

const run = (query: string, variables: Record<string, unknown>, identity: Identity | null) => exam.run(query, variables, identity);

/** An operation on academic over HTTP, signed as the router signs it. */
const academicOp = (query: string, variables: Record<string, unknown>) => signedOp(academic, secret, admin, query, variables);
const register = async (email: string): Promise<Identity> => ({ userId: await registerStudent(auth, secret, email), role: 'STUDENT' });

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) {
  __typename
  ... on Exam { id title status items { id correctOptionId } }
  ... on ExamAttempt { id attemptStatus: status student { id } }
  ... on Course { id exams { id status } }
} }`;
const entity = (typename: string, id: string, identity: Identity | null) => run(ENTITIES, { r: [{ __typename: typename, id }] }, identity);
const code = (res: OperationResult) => res.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  db = await createTestDatabase();
  redis = await createTestRedis();
  const [authPort, academicPort, examPort] = [await freePort(), await freePort(), await freePort()];
  const env: Env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir.path,
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    IDENTITY_SECRET: secret,
    SERVICE_SECRET: serviceSecret,
    MIGRATE_ON_START: 'true',
    AUTH_INTERNAL_URL: `http://127.0.0.1:${authPort}`,
    ACADEMIC_INTERNAL_URL: `http://127.0.0.1:${academicPort}`,
  };
  auth = await startAuthSubgraph({ ...env, PORT: String(authPort) });
  academic = await createSubgraph(academicSubgraph, { ...env, PORT: String(academicPort) });
  // The same service over HTTP too, for the internal route other services call.
  examHttp = await createSubgraph(examSubgraph, { ...env, PORT: String(examPort) });
  exam = await openSubgraphInProcess(examSubgraph, env);

  student = await register('exam-student@uni.test');
  outsider = await register('exam-outsider@uni.test');
  await academicOp(`mutation($d: String!) { importAcademicData(format: JSON, document: $d) { applied } }`, {
    d: JSON.stringify({ faculties: [{ name: 'Science', departments: [{ name: 'CS', semesters: [{ name: 'Fall', courses: [{ code: 'C1', title: 'One' }, { code: 'C2', title: 'Two' }] }] }] }] }),
  });
  const tree = await academicOp(`{ faculties { departments { semesters { courses { id code } } } } }`, {});
  const courses = tree.faculties[0].departments[0].semesters[0].courses as { id: string; code: string }[];
  courseId = courses.find((c) => c.code === 'C1')!.id;
  await academicOp(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: courseId, u: student.userId });
  await academicOp(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: courses.find((c) => c.code === 'C2')!.id, u: outsider.userId });

  // Two exams written as the generation job writes them: one published (open now), one a draft.
  const repo = new ExamRepository(exam.opened.deps.orm.em.fork());
  const request = { bookIds: null, pageStart: null, pageEnd: null, multipleChoice: 1, shortAnswer: 0 };
  const item = {
    type: 'MULTIPLE_CHOICE' as const,
    prompt: 'Which term is defined as "a named value"?',
    options: [
      { id: '10000000-0000-4000-8000-000000000001', text: 'variable' },
      { id: '10000000-0000-4000-8000-000000000002', text: 'loop' },
    ],
    correctOptionId: '10000000-0000-4000-8000-000000000001',
    modelAnswer: null,
    rubric: [],
    points: 1,
    sourceBookId: UNKNOWN,
    sourcePageStart: 1,
    sourcePageEnd: 1,
    sourceQuote: 'A variable is a named value.',
    origin: 'a variable is a named value.',
  };
  const event = { kind: 'EXAM_READY_FOR_REVIEW' as const, courseId, title: 't', body: 'b', audience: {}, data: {} };
  for (const title of ['Published', 'Draft']) {
    const exam = await repo.createExam({ courseId, title, generator: 'EXTRACTIVE', request, createdBy: admin.userId });
    await repo.finishGeneration(exam.id, { items: [item], generator: 'EXTRACTIVE', notice: null }, event);
    if (title === 'Draft') draftId = exam.id;
    else examId = exam.id;
  }
  const [published] = await repo.itemsOf([examId]);
  await repo.updateDraftItem(published!.id, examId, { review: 'APPROVED' });
  await repo.publish(examId, { opensAt: new Date(Date.now() - 1_000), closesAt: new Date(Date.now() + 3_600_000), durationMinutes: 30 }, { ...event, kind: 'EXAM_PUBLISHED' });
}, 60_000);

afterAll(async () => {
  await exam?.stop();
  await examHttp?.stop();
  await academic?.stop();
  await auth?.stop();
  await db?.drop();
  await redis?.cleanup();
  dataDir.remove();
});

describe('_entities', () => {
  it('Exam: teachers see the key; enrolled students see a published exam without it; drafts and other courses are hidden', async () => {
    const asAdmin = await entity('Exam', examId, admin);
    if (!asAdmin.data) throw new Error(JSON.stringify(asAdmin.errors));
    expect(asAdmin.data!._entities[0]).toMatchObject({ __typename: 'Exam', id: examId, status: 'PUBLISHED', items: [{ correctOptionId: '10000000-0000-4000-8000-000000000001' }] });
    const asStudent = await entity('Exam', examId, student);
    // Not started: no items yet.
    expect(asStudent.data!._entities[0]).toMatchObject({ id: examId, items: [] });
    expect(code(await entity('Exam', draftId, student))).toBe('NOT_FOUND');
    expect(code(await entity('Exam', examId, outsider))).toBe('FORBIDDEN');
    expect(code(await entity('Exam', UNKNOWN, admin))).toBe('NOT_FOUND');
    expect(code(await entity('Exam', examId, null))).toBe('UNAUTHENTICATED');
  });

  it('Course: its exams, published only for students', async () => {
    expect((await entity('Course', courseId, admin)).data!._entities[0].exams.map((e: { id: string }) => e.id).sort()).toEqual([examId, draftId].sort());
    expect((await entity('Course', courseId, student)).data!._entities[0].exams).toEqual([{ id: examId, status: 'PUBLISHED' }]);
  });

  it('ExamAttempt: the student and the course teachers only', async () => {
    const started = await run(`mutation($e: ID!) { startExamAttempt(examId: $e) { id status } }`, { e: examId }, student);
    expect(started.errors).toBeUndefined();
    attemptId = started.data!.startExamAttempt.id;
    expect((await entity('ExamAttempt', attemptId, student)).data!._entities[0]).toMatchObject({ id: attemptId, attemptStatus: 'IN_PROGRESS', student: { id: student.userId } });
    expect((await entity('ExamAttempt', attemptId, admin)).data!._entities[0]).toMatchObject({ id: attemptId });
    expect(code(await entity('ExamAttempt', attemptId, outsider))).toBe('FORBIDDEN');
    // Started: the student now sees the item, never its key.
    expect((await entity('Exam', examId, student)).data!._entities[0].items).toEqual([{ id: expect.any(String), correctOptionId: null }]);
  });
});

describe('the tutor lock', () => {
  it('is served to other services, cached, and never stale: an attempt that starts or ends shows at once', async () => {
    const lock = new ExamLockClient(new InternalClient({ secret: serviceSecret, service: 'tutor', baseUrl: examHttp.url }), exam.opened.deps.redis);
    const second = await register('exam-second@uni.test');
    await academicOp(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: courseId, u: second.userId });
    expect(await lock.running(courseId, second.userId)).toBeNull(); // now cached as "no attempt"
    const started = await run(`mutation($e: ID!) { startExamAttempt(examId: $e) { id } }`, { e: examId }, second);
    const secondAttempt = started.data!.startExamAttempt.id as string;
    expect(await lock.running(courseId, second.userId)).toMatchObject({ attemptId: secondAttempt, examId });
    expect(await lock.running(courseId, outsider.userId)).toBeNull();

    // The deadline job and the student submit at the same moment: one submission, graded once.
    const repo = () => new ExamRepository(exam.opened.deps.orm.em.fork());
    const effects = { redis: exam.opened.deps.redis, gradings: null };
    const [a, b] = await Promise.all([submitAttempt(repo(), secondAttempt, true, effects), submitAttempt(repo(), secondAttempt, false, effects)]);
    expect(a!.status).toBe('GRADED');
    expect(b!.submittedAt).toEqual(a!.submittedAt);
    expect(b!.autoSubmitted).toBe(a!.autoSubmitted);
    expect(await lock.running(courseId, second.userId)).toBeNull();
    // The first student's attempt still runs and still locks.
    expect(await lock.running(courseId, student.userId)).toMatchObject({ attemptId });
  });
});

describe('short answers graded by a model (grade-attempt job)', () => {
  it('replaces the provisional rubric-coverage points, clears the review flag and totals the attempt; a model failure leaves it for the teacher', async () => {
    const stub = new LlmJsonStub((req) => {
      const prompt = req.messages.map((m) => m.content).join('\n');
      if (prompt.includes('MODEL DOWN')) return { status: 500, message: 'overloaded' };
      return JSON.stringify({ points: 1.5, feedback: 'Mentions a named value; misses assignment.' });
    });
    await stub.start();
    try {
      const repo = () => new ExamRepository(exam.opened.deps.orm.em.fork());
      const request = { bookIds: null, pageStart: null, pageEnd: null, multipleChoice: 0, shortAnswer: 2 };
      const shortExam = await repo().createExam({ courseId, title: 'Short answers', generator: 'LLM', request, createdBy: admin.userId });
      const sa = (prompt: string) => ({
        type: 'SHORT_ANSWER' as const, prompt, options: [], correctOptionId: null, modelAnswer: 'A variable is a named value.', rubric: ['A variable is a named value.', 'It is assigned with ='],
        points: 2, sourceBookId: UNKNOWN, sourcePageStart: 1, sourcePageEnd: 1, sourceQuote: 'A variable is a named value.', origin: prompt,
      });
      const event = { kind: 'EXAM_READY_FOR_REVIEW' as const, courseId, title: 't', body: 'b', audience: {}, data: {} };
      await repo().finishGeneration(shortExam.id, { items: [sa('What is a variable?'), sa('What is assignment?')], generator: 'LLM', notice: null }, event);
      for (const item of await repo().itemsOf([shortExam.id])) await repo().updateDraftItem(item.id, shortExam.id, { review: 'APPROVED' });
      await repo().publish(shortExam.id, { opensAt: new Date(Date.now() - 1_000), closesAt: new Date(Date.now() + 3_600_000), durationMinutes: 30 }, { ...event, kind: 'EXAM_PUBLISHED' });
      const third = await register('exam-third@uni.test');
      await academicOp(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: courseId, u: third.userId });
      const started = await run(`mutation($e: ID!) { startExamAttempt(examId: $e) { id exam { items { id prompt } } } }`, { e: shortExam.id }, third);
      const attempt = started.data!.startExamAttempt;
      for (const item of attempt.exam.items) {
        const text = item.prompt === 'What is assignment?' ? 'MODEL DOWN: a variable gets a value' : 'a named value';
        expect((await run(`mutation($a: ID!, $i: ID!, $t: String) { saveExamAnswer(attemptId: $a, itemId: $i, text: $t) { text } }`, { a: attempt.id, i: item.id, t: text }, third)).errors).toBeUndefined();
      }
      const submitted = await submitAttempt(repo(), attempt.id, false, { redis: exam.opened.deps.redis, gradings: null });
      expect(submitted!.status).toBe('SUBMITTED');

      const grader = new LlmGrader({ baseURL: stub.url, model: 'grader', timeoutMs: 5_000 });
      expect(await gradeAttempt(attempt.id, { exams: repo(), grader, logger: exam.logger })).toEqual({ graded: 1 });
      const answers = await repo().answersOf([attempt.id]);
      const items = await repo().itemsOf([shortExam.id]);
      const byPrompt = (p: string) => answers.find((a) => a.itemId === items.find((i) => i.prompt === p)!.id)!;
      expect(byPrompt('What is a variable?')).toMatchObject({ points: 1.5, needsReview: false, feedback: 'Mentions a named value; misses assignment.' });
      expect(byPrompt('What is assignment?')).toMatchObject({ needsReview: true });
      const after = await repo().attempt(attempt.id);
      expect(after).toMatchObject({ status: 'SUBMITTED' });
      expect(after!.score).toBe(1.5 + (byPrompt('What is assignment?').points ?? 0));
    } finally {
      await stub.stop();
    }
  });
});

