// Exams through the router, with no model configured (the offline generator) on the real Python
// textbook: a teacher generates, reviews and publishes; two students attempt, one lets the deadline
// pass and the server submits for them; grading, release and item statistics; the tutor refuses
// in the course while an attempt runs; every bad input gets its code; events reach the notify queue.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bullPrefix, notifyQueue, repoRoot } from '@ai-teacher/shared';
import { errorCode } from '@ai-teacher/shared/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { uploadBook, userWithRole, waitForIngestion } from '../support/course.ts';
import { expectError, ok as okVia, waitFor } from '../support/assertions.ts';
import { ADMIN, login, type Session, startStack, type Stack } from '../support/stack.ts';

const data = join(repoRoot, '..', 'shared', 'data');
type User = { id: string; token: string };
let stack: Stack;
let admin: Session;
let teacher: User;
let otherTeacher: User;
let s1: User;
let s2: User;
let outsider: User;
let course: string;
let otherCourse: string;
let book: string;

const GENERATE = `mutation($i: GenerateExamInput!) { generateExam(input: $i) { id status progress generator title course { id } } }`;
const EXAM = `query($id: ID!) { exam(id: $id) {
  id status progress error notice generator resultsReleased opensAt closesAt durationMinutes
  items { id position type prompt points correctOptionId modelAnswer rubric review options { id text }
    source { pageStart pageEnd quote book { id title } } stats { responses difficulty discrimination optionCounts flagged } }
  myAttempt { id status deadline score }
} }`;
const UPDATE = `mutation($i: ID!, $in: ExamItemInput!) { updateExamItem(itemId: $i, input: $in) { id prompt options { id text } correctOptionId points } }`;
const REVIEW = `mutation($i: ID!, $r: ItemReview!) { reviewExamItem(itemId: $i, review: $r) { id review } }`;
const PUBLISH = `mutation($e: ID!, $o: DateTime!, $c: DateTime!, $d: Int!) { publishExam(examId: $e, opensAt: $o, closesAt: $c, durationMinutes: $d) { id status opensAt closesAt items { id position } } }`;
const START = `mutation($e: ID!) { startExamAttempt(examId: $e) { id status startedAt deadline maxScore score exam { id } } }`;
const SAVE = `mutation($a: ID!, $i: ID!, $o: ID, $t: String) { saveExamAnswer(attemptId: $a, itemId: $i, optionId: $o, text: $t) { optionId text points item { id } } }`;
const SUBMIT = `mutation($a: ID!) { submitExamAttempt(attemptId: $a) { id status submittedAt autoSubmitted score } }`;
const ATTEMPT = `query($id: ID!) { examAttempt(id: $id) { id status autoSubmitted score maxScore submittedAt student { id }
  answers { optionId text points feedback needsReview item { id type prompt correctOptionId } } } }`;
const GRADE = `mutation($a: ID!, $i: ID!, $p: Float!, $f: String) { gradeExamAnswer(attemptId: $a, itemId: $i, points: $p, feedback: $f) { points feedback needsReview } }`;
const RELEASE = `mutation($e: ID!) { releaseExamResults(examId: $e) { id resultsReleased } }`;
const COURSE_EXAMS = `query($c: ID!) { course(id: $c) { id exams { id title status } } }`;

interface Item {
  id: string;
  position: number;
  type: 'MULTIPLE_CHOICE' | 'SHORT_ANSWER';
  prompt: string;
  points: number;
  correctOptionId: string | null;
  modelAnswer: string | null;
  rubric: string[] | null;
  review: string | null;
  options: { id: string; text: string }[];
  source: { pageStart: number; pageEnd: number; quote: string; book: { id: string; title: string } } | null;
  stats: { responses: number; difficulty: number | null; discrimination: number | null; optionCounts: number[]; flagged: boolean } | null;
}

const ok = <T = Record<string, any>>(query: string, variables: Record<string, unknown>, token: string) => okVia<T>(stack, query, variables, token); // eslint-disable-line @typescript-eslint/no-explicit-any

async function generated(examId: string) {
  return waitFor(
    'generation',
    async () => {
      const e = (await ok(EXAM, { id: examId }, teacher.token)).exam;
      return e.status === 'GENERATING' ? null : e;
    },
    60_000,
    250,
  );
}

beforeAll(async () => {
  stack = await startStack();
  admin = (await login(stack, ADMIN.email, ADMIN.password)).data!.login;
  [teacher, otherTeacher, s1, s2, outsider] = await Promise.all([
    userWithRole(stack, admin, 'TEACHER'),
    userWithRole(stack, admin, 'TEACHER'),
    userWithRole(stack, admin, 'STUDENT'),
    userWithRole(stack, admin, 'STUDENT'),
    userWithRole(stack, admin, 'STUDENT'),
  ]);
  const run = (q: string, v: Record<string, unknown>) => ok(q, v, admin.accessToken);
  await run(`mutation($d: String!) { importAcademicData(format: JSON, document: $d) { applied } }`, {
    d: JSON.stringify({ faculties: [{ name: 'Engineering', departments: [{ name: 'CS', semesters: [{ name: 'Fall', courses: [{ code: 'PY1', title: 'Python' }, { code: 'BIO', title: 'Biology' }] }] }] }] }),
  });
  const tree = await run(`{ faculties { departments { semesters { courses { id code } } } } }`, {});
  const courses = tree.faculties[0].departments[0].semesters[0].courses as { id: string; code: string }[];
  course = courses.find((c) => c.code === 'PY1')!.id;
  otherCourse = courses.find((c) => c.code === 'BIO')!.id;
  await run(`mutation($c: ID!, $u: ID!) { assignTeacher(courseId: $c, userId: $u) { id } }`, { c: course, u: teacher.id });
  await run(`mutation($c: ID!, $u: ID!) { assignTeacher(courseId: $c, userId: $u) { id } }`, { c: otherCourse, u: otherTeacher.id });
  for (const s of [s1, s2]) await run(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: course, u: s.id });
  // s1 is in both courses (the tutor stays open in the other one); the outsider only in the other.
  for (const s of [s1, outsider]) await run(`mutation($c: ID!, $u: ID!) { enrollStudent(courseId: $c, userId: $u) { id } }`, { c: otherCourse, u: s.id });
  book = (await run(`mutation($c: ID!) { createBook(courseId: $c, title: "Introduction to Python Programming", authors: ["OpenStax"]) { id } }`, { c: course })).createBook.id;
  const up = await uploadBook(stack, book, readFileSync(join(data, 'textbooks', 'intro-python-programming.pdf')), 'python.pdf', teacher.token);
  expect(up.errors).toBeUndefined();
  expect(await waitForIngestion(stack, admin.accessToken, course, book)).toMatchObject({ status: 'READY' });
}, 150_000);

afterAll(async () => {
  await stack?.stop();
});

describe('generating an exam (offline generator)', () => {
  it('refuses bad requests with the field, and people who do not teach the course', async () => {
    const base = { courseId: course, title: 'Midterm' };
    expectError(await stack.query(GENERATE, { i: { ...base, multipleChoice: 51 } }, teacher.token), 'BAD_USER_INPUT', 'input.multipleChoice');
    expectError(await stack.query(GENERATE, { i: { ...base, multipleChoice: 0, shortAnswer: 0 } }, teacher.token), 'BAD_USER_INPUT', 'input.multipleChoice');
    expectError(await stack.query(GENERATE, { i: { ...base, multipleChoice: 30, shortAnswer: 30 } }, teacher.token), 'BAD_USER_INPUT', 'input.shortAnswer');
    expectError(await stack.query(GENERATE, { i: { ...base, pageStart: 150, pageEnd: 999 } }, teacher.token), 'BAD_USER_INPUT', 'input.pageEnd');
    expectError(await stack.query(GENERATE, { i: { ...base, pageStart: 60, pageEnd: 40 } }, teacher.token), 'BAD_USER_INPUT', 'input.pageEnd');
    expectError(await stack.query(GENERATE, { i: { ...base, bookIds: ['00000000-0000-4000-8000-000000000000'] } }, teacher.token), 'BAD_USER_INPUT', 'input.bookIds');
    expectError(await stack.query(GENERATE, { i: { ...base, title: ' ' } }, teacher.token), 'BAD_USER_INPUT', 'input.title');
    expectError(await stack.query(GENERATE, { i: { ...base, courseId: '00000000-0000-4000-8000-000000000000' } }, teacher.token), 'NOT_FOUND');
    expectError(await stack.query(GENERATE, { i: { ...base, courseId: otherCourse } }, otherTeacher.token), 'BAD_USER_INPUT', 'input.courseId'); // no books there
    expectError(await stack.query(GENERATE, { i: { ...base, courseId: otherCourse } }, teacher.token), 'FORBIDDEN');
    expectError(await stack.query(GENERATE, { i: base }, otherTeacher.token), 'FORBIDDEN');
    expectError(await stack.query(GENERATE, { i: base }, s1.token), 'FORBIDDEN');
    expectError(await stack.query(GENERATE, { i: base }), 'UNAUTHENTICATED');
    // Nothing was created by any of them.
    expect((await ok(COURSE_EXAMS, { c: course }, teacher.token)).course.exams).toEqual([]);
  });

  let examId: string;
  let items: Item[];

  it('returns the exam GENERATING at once; the job makes grounded items and leaves a DRAFT', async () => {
    const started = (await ok(GENERATE, { i: { courseId: course, title: 'Chapters 1–3', bookIds: [book], pageStart: 15, pageEnd: 60, multipleChoice: 6, shortAnswer: 2 } }, teacher.token)).generateExam;
    expect(started).toMatchObject({ status: 'GENERATING', generator: 'EXTRACTIVE', title: 'Chapters 1–3', course: { id: course } });
    examId = started.id;
    const exam = await generated(examId);
    expect(exam).toMatchObject({ status: 'DRAFT', progress: 1, error: null });
    items = exam.items;
    expect(items.filter((i) => i.type === 'MULTIPLE_CHOICE')).toHaveLength(6);
    expect(items.filter((i) => i.type === 'SHORT_ANSWER')).toHaveLength(2);
    expect(items.map((i) => i.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
    for (const item of items) {
      expect(item.review).toBe('PENDING');
      expect(item.source!.book).toEqual({ id: book, title: 'Introduction to Python Programming' });
      expect(item.source!.pageStart).toBeGreaterThanOrEqual(14);
      expect(item.source!.pageEnd).toBeLessThanOrEqual(61);
      // The quote stands verbatim on the cited pages.
      const found = await ok(`query($c: ID!, $q: String!) { searchCourseMaterial(courseId: $c, query: $q, limit: 20) { text pageStart pageEnd } }`, { c: course, q: item.source!.quote.slice(0, 300) }, teacher.token);
      expect(found.searchCourseMaterial.some((p: { text: string }) => squash(p.text).includes(squash(item.source!.quote)))).toBe(true);
      if (item.type === 'MULTIPLE_CHOICE') {
        expect(item.options.length).toBeGreaterThanOrEqual(2);
        expect(new Set(item.options.map((o) => o.text.toLowerCase())).size).toBe(item.options.length);
        const correct = item.options.find((o) => o.id === item.correctOptionId)!;
        expect(squash(item.source!.quote).toLowerCase()).toContain(correct.text.toLowerCase());
        expect(item.rubric).toBeNull();
      } else {
        expect(item.options).toEqual([]);
        expect(item.rubric!.length).toBeGreaterThan(0);
        expect(item.modelAnswer!.length).toBeGreaterThan(20);
      }
      expect(item.prompt).not.toMatch(/Write a (Python )?program|Try It|Checkpoint/);
    }
    const prompts = items.map((i) => squash(i.prompt).toLowerCase());
    expect(new Set(prompts).size).toBe(prompts.length);
  });

  it('students do not see a DRAFT; other courses get FORBIDDEN; unknown ids NOT_FOUND', async () => {
    expectError(await stack.query(EXAM, { id: examId }, s1.token), 'NOT_FOUND');
    expectError(await stack.query(EXAM, { id: examId }, outsider.token), 'FORBIDDEN');
    expectError(await stack.query(EXAM, { id: examId }, otherTeacher.token), 'FORBIDDEN');
    expectError(await stack.query(EXAM, { id: '00000000-0000-4000-8000-000000000000' }, teacher.token), 'NOT_FOUND');
    expectError(await stack.query(EXAM, { id: 'nope' }, teacher.token), 'BAD_USER_INPUT', 'id');
    expect((await ok(COURSE_EXAMS, { c: course }, s1.token)).course.exams).toEqual([]);
    expect((await ok(COURSE_EXAMS, { c: course }, teacher.token)).course.exams).toEqual([{ id: examId, title: 'Chapters 1–3', status: 'DRAFT' }]);
  });

  it('teachers edit DRAFT items; bad edits are refused with the field and change nothing', async () => {
    const mc = items.find((i) => i.type === 'MULTIPLE_CHOICE')!;
    const other = items.find((i) => i.type === 'MULTIPLE_CHOICE' && i.id !== mc.id)!;
    expectError(await stack.query(UPDATE, { i: mc.id, in: { correctOption: 9 } }, teacher.token), 'BAD_USER_INPUT', 'input.correctOption');
    expectError(await stack.query(UPDATE, { i: mc.id, in: { options: ['a', 'A'], correctOption: 0 } }, teacher.token), 'BAD_USER_INPUT', 'input.options');
    expectError(await stack.query(UPDATE, { i: mc.id, in: { prompt: 'x'.repeat(2_001) } }, teacher.token), 'BAD_USER_INPUT', 'input.prompt');
    expectError(await stack.query(UPDATE, { i: mc.id, in: { rubric: ['no'] } }, teacher.token), 'BAD_USER_INPUT', 'input.rubric');
    expectError(await stack.query(UPDATE, { i: mc.id, in: { prompt: 'Mine now' } }, otherTeacher.token), 'FORBIDDEN');
    expectError(await stack.query(UPDATE, { i: mc.id, in: { prompt: 'Mine now' } }, s1.token), 'NOT_FOUND');
    const edited = (await ok(UPDATE, { i: other.id, in: { prompt: `${other.prompt} (edited)`, points: 2 } }, teacher.token)).updateExamItem;
    expect(edited).toMatchObject({ prompt: `${other.prompt} (edited)`, points: 2, correctOptionId: other.correctOptionId });
    const after = (await ok(EXAM, { id: examId }, teacher.token)).exam.items.find((i: Item) => i.id === mc.id);
    expect(after).toMatchObject({ prompt: mc.prompt, correctOptionId: mc.correctOptionId, options: mc.options });
  });

  it('publishing needs an approved item and a sound window; then only approved items remain, renumbered', async () => {
    const soon = (s: number) => new Date(Date.now() + s * 1000).toISOString();
    expectError(await stack.query(PUBLISH, { e: examId, o: soon(10), c: soon(600), d: 5 }, teacher.token), 'CONFLICT');
    for (const item of items) await ok(REVIEW, { i: item.id, r: item === items[1] ? 'REJECTED' : 'APPROVED' }, teacher.token);
    expectError(await stack.query(PUBLISH, { e: examId, o: soon(-3600), c: soon(600), d: 5 }, teacher.token), 'BAD_USER_INPUT', 'opensAt');
    expectError(await stack.query(PUBLISH, { e: examId, o: soon(600), c: soon(10), d: 5 }, teacher.token), 'BAD_USER_INPUT', 'closesAt');
    expectError(await stack.query(PUBLISH, { e: examId, o: soon(10), c: soon(70), d: 5 }, teacher.token), 'BAD_USER_INPUT', 'durationMinutes');
    expectError(await stack.query(PUBLISH, { e: examId, o: soon(10), c: soon(600), d: 0 }, teacher.token), 'BAD_USER_INPUT', 'durationMinutes');
    expectError(await stack.query(PUBLISH, { e: examId, o: soon(10), c: soon(600), d: 5 }, s1.token), 'NOT_FOUND');
    // The window opens a few seconds from now; the attempt lasts one minute.
    const published = (await ok(PUBLISH, { e: examId, o: soon(6), c: soon(900), d: 1 }, teacher.token)).publishExam;
    expect(published.status).toBe('PUBLISHED');
    expect(published.items.map((i: { position: number }) => i.position)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(published.items.map((i: { id: string }) => i.id)).not.toContain(items[1]!.id);
    items = (await ok(EXAM, { id: examId }, teacher.token)).exam.items;
    expectError(await stack.query(UPDATE, { i: items[0]!.id, in: { prompt: 'too late' } }, teacher.token), 'CONFLICT');
    expectError(await stack.query(REVIEW, { i: items[0]!.id, r: 'REJECTED' }, teacher.token), 'CONFLICT');
    expectError(await stack.query(PUBLISH, { e: examId, o: soon(10), c: soon(600), d: 5 }, teacher.token), 'CONFLICT');
  });

  describe('attempts', () => {
    let a1: string;
    let a2: string;
    let s2Deadline: number;
    let s2Saved: Map<string, string>;

    it('before the window opens, nobody starts; then only enrolled students may, once each', async () => {
      expectError(await stack.query(START, { e: examId }, s1.token), 'CONFLICT');
      const opensAt = Date.parse((await ok(EXAM, { id: examId }, teacher.token)).exam.opensAt);
      await new Promise((r) => setTimeout(r, Math.max(0, opensAt - Date.now() + 200)));
      expectError(await stack.query(START, { e: examId }, teacher.token), 'FORBIDDEN');
      expectError(await stack.query(START, { e: examId }, outsider.token), 'FORBIDDEN');
      expectError(await stack.query(START, { e: examId }, admin.accessToken), 'FORBIDDEN');
      const started2 = (await ok(START, { e: examId }, s2.token)).startExamAttempt;
      a2 = started2.id;
      s2Deadline = Date.parse(started2.deadline);
      expect(s2Deadline - Date.parse(started2.startedAt)).toBe(60_000);
      const started1 = (await ok(START, { e: examId }, s1.token)).startExamAttempt;
      a1 = started1.id;
      expect(started1).toMatchObject({ status: 'IN_PROGRESS', score: null, maxScore: items.reduce((s, i) => s + i.points, 0) });
      expectError(await stack.query(START, { e: examId }, s1.token), 'CONFLICT');
    });

    it('students see their own order of items and options, the same on every reload, and never the key', async () => {
      const view = async (token: string) => (await ok(EXAM, { id: examId }, token)).exam.items as Item[];
      const first = await view(s1.token);
      expect(await view(s1.token)).toEqual(first);
      expect(first.map((i) => i.position)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(new Set(first.map((i) => i.id))).toEqual(new Set(items.map((i) => i.id)));
      for (const i of first) expect(i).toMatchObject({ correctOptionId: null, modelAnswer: null, rubric: null, review: null, source: null, stats: null });
      const second = await view(s2.token);
      const orderOf = (xs: Item[]) => xs.map((i) => `${i.id}:${i.options.map((o) => o.id).join(',')}`).join('|');
      // Two attempts and the teacher's canonical order: seven items with their options cannot all agree.
      expect(new Set([orderOf(first), orderOf(second), orderOf(items)]).size).toBeGreaterThan(1);
      // Students cannot read each other's attempts.
      expectError(await stack.query(ATTEMPT, { id: a1 }, s2.token), 'FORBIDDEN');
    });

    it('answers are saved one by one; bad answers are refused with the field', async () => {
      const mcs = items.filter((i) => i.type === 'MULTIPLE_CHOICE');
      const sa = items.find((i) => i.type === 'SHORT_ANSWER')!;
      // s1 answers every multiple-choice item correctly but the first, and the short answer from the model answer.
      for (const [n, item] of mcs.entries()) {
        const option = n === 0 ? item.options.find((o) => o.id !== item.correctOptionId)! : item.options.find((o) => o.id === item.correctOptionId)!;
        const saved = (await ok(SAVE, { a: a1, i: item.id, o: option.id }, s1.token)).saveExamAnswer;
        expect(saved).toMatchObject({ optionId: option.id, points: null, item: { id: item.id } });
      }
      await ok(SAVE, { a: a1, i: sa.id, t: sa.modelAnswer }, s1.token);
      // Changing one's mind replaces the answer.
      await ok(SAVE, { a: a1, i: mcs[1]!.id, o: mcs[1]!.options.find((o) => o.id !== mcs[1]!.correctOptionId)!.id }, s1.token);
      await ok(SAVE, { a: a1, i: mcs[1]!.id, o: mcs[1]!.correctOptionId }, s1.token);
      expectError(await stack.query(SAVE, { a: a1, i: mcs[0]!.id, o: mcs[1]!.options[0]!.id }, s1.token), 'BAD_USER_INPUT', 'optionId');
      expectError(await stack.query(SAVE, { a: a1, i: '00000000-0000-4000-8000-000000000000', o: null }, s1.token), 'BAD_USER_INPUT', 'itemId');
      expectError(await stack.query(SAVE, { a: a1, i: sa.id, t: 'x'.repeat(5_001) }, s1.token), 'BAD_USER_INPUT', 'text');
      expectError(await stack.query(SAVE, { a: a1, i: sa.id, o: mcs[0]!.options[0]!.id }, s1.token), 'BAD_USER_INPUT', 'optionId');
      expectError(await stack.query(SAVE, { a: a1, i: mcs[0]!.id, o: mcs[0]!.options[0]!.id }, s2.token), 'FORBIDDEN');
      expectError(await stack.query(SAVE, { a: '00000000-0000-4000-8000-000000000000', i: mcs[0]!.id }, s1.token), 'NOT_FOUND');
      // s2 answers two items and then walks away.
      s2Saved = new Map();
      for (const item of mcs.slice(0, 2)) {
        await ok(SAVE, { a: a2, i: item.id, o: item.options[0]!.id }, s2.token);
        s2Saved.set(item.id, item.options[0]!.id);
      }
      const mine = (await ok(ATTEMPT, { id: a1 }, s1.token)).examAttempt;
      expect(mine.answers).toHaveLength(mcs.length + 1);
      expect(mine.answers.every((x: { points: unknown; item: { correctOptionId: unknown } }) => x.points === null && x.item.correctOptionId === null)).toBe(true);
    });

    it('while the attempt runs, the tutor refuses in that course only; after submitting it helps again', async () => {
      const ask = async (courseId: string) => {
        const session = (await ok(`mutation($c: ID!) { startChatSession(courseId: $c) { id } }`, { c: courseId }, s1.token)).startChatSession.id;
        return stack.query(`mutation($s: ID!, $q: String!) { askTutor(sessionId: $s, question: $q) { id status } }`, { s: session, q: 'What is a variable?' }, s1.token);
      };
      const refused = await ask(course);
      expectError(refused, 'FORBIDDEN');
      expect(refused.errors![0]!.extensions).toMatchObject({ reason: 'EXAM_IN_PROGRESS', examId });
      expect(refused.errors![0]!.message).toMatch(/taking an exam/);
      expect((await ask(otherCourse)).errors).toBeUndefined();

      const submitted = (await ok(SUBMIT, { a: a1 }, s1.token)).submitExamAttempt;
      // The short answer waits for a teacher (graded offline by rubric coverage); no score before results.
      expect(submitted).toMatchObject({ status: 'SUBMITTED', autoSubmitted: false, score: null });
      expect((await ok(SUBMIT, { a: a1 }, s1.token)).submitExamAttempt).toMatchObject({ status: 'SUBMITTED', submittedAt: submitted.submittedAt });
      const after = await ask(course);
      expect(after.errors).toBeUndefined();
      expect(after.data!.askTutor.status).toBe('STREAMING');
      expectError(await stack.query(SAVE, { a: a1, i: items[0]!.id, o: items[0]!.options[0]?.id ?? null }, s1.token), 'CONFLICT');
    });

    it('teachers grade short answers; points outside the item are refused', async () => {
      const attempt = (await ok(ATTEMPT, { id: a1 }, teacher.token)).examAttempt;
      const sa = attempt.answers.find((x: { item: { type: string } }) => x.item.type === 'SHORT_ANSWER');
      expect(sa).toMatchObject({ needsReview: true });
      expect(sa.points).toBeGreaterThan(0); // the model answer covers its own rubric
      const item = items.find((i) => i.id === sa.item.id)!;
      expectError(await stack.query(GRADE, { a: a1, i: item.id, p: item.points + 1 }, teacher.token), 'BAD_USER_INPUT', 'points');
      expectError(await stack.query(GRADE, { a: a1, i: item.id, p: 1 }, s1.token), 'FORBIDDEN');
      expectError(await stack.query(GRADE, { a: a1, i: item.id, p: 1 }, otherTeacher.token), 'FORBIDDEN');
      expectError(await stack.query(GRADE, { a: a2, i: item.id, p: 1 }, teacher.token), 'CONFLICT'); // still running
      const reviewed = attempt.answers.filter((y: { needsReview: boolean }) => y.needsReview) as { item: { id: string } }[];
      // The short answer s1 wrote needs review; the one left blank scored 0 and needs none.
      expect(reviewed).toHaveLength(1);
      for (const x of reviewed) {
        expect((await ok(GRADE, { a: a1, i: x.item.id, p: items.find((i) => i.id === x.item.id)!.points, f: 'Well done' }, teacher.token)).gradeExamAnswer).toMatchObject({ needsReview: false, feedback: 'Well done' });
      }
      const graded = (await ok(ATTEMPT, { id: a1 }, teacher.token)).examAttempt;
      const mcPoints = items.filter((i) => i.type === 'MULTIPLE_CHOICE').slice(1).reduce((s, i) => s + i.points, 0);
      const saPoints = reviewed.reduce((s, x) => s + items.find((i) => i.id === x.item.id)!.points, 0);
      expect(graded).toMatchObject({ status: 'GRADED', score: mcPoints + saPoints });
    });

    it('results cannot be released while an attempt runs; at its deadline the server submits it with every saved answer', async () => {
      expectError(await stack.query(RELEASE, { e: examId }, teacher.token), 'CONFLICT');
      const submitted = await waitFor(
        'the deadline submission',
        async () => {
          const a = (await ok(ATTEMPT, { id: a2 }, s2.token)).examAttempt;
          return a.status === 'IN_PROGRESS' ? null : a;
        },
        s2Deadline - Date.now() + 30_000,
      );
      expect(submitted.autoSubmitted).toBe(true);
      expect(Date.parse(submitted.submittedAt)).toBeLessThanOrEqual(s2Deadline);
      for (const [itemId, optionId] of s2Saved) expect(submitted.answers.find((x: { item: { id: string } }) => x.item.id === itemId).optionId).toBe(optionId);
      const late = await stack.query(SAVE, { a: a2, i: [...s2Saved.keys()][0], o: s2Saved.values().next().value }, s2.token);
      expectError(late, 'CONFLICT');
    }, 120_000);

    it('after release students see their scores; teachers see item statistics', async () => {
      // s2 left the short answers blank: nothing to review, so results can go out now.
      const released = (await ok(RELEASE, { e: examId }, teacher.token)).releaseExamResults;
      expect(released.resultsReleased).toBe(true);
      const mine = (await ok(ATTEMPT, { id: a1 }, s1.token)).examAttempt;
      expect(mine.score).toBeGreaterThan(0);
      expect(mine.answers.find((x: { feedback: string | null }) => x.feedback === 'Well done')).toBeDefined();
      const stats = (await ok(EXAM, { id: examId }, teacher.token)).exam.items as Item[];
      for (const item of stats) {
        expect(item.stats!.responses).toBe(2);
        expect(item.stats!.difficulty).toBeGreaterThanOrEqual(0);
        expect(item.stats!.difficulty).toBeLessThanOrEqual(1);
        if (item.type === 'MULTIPLE_CHOICE') {
          expect(item.stats!.optionCounts).toHaveLength(item.options.length);
          expect(item.stats!.optionCounts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2);
        }
      }
      // The first item: s1 chose wrongly on purpose, so it cannot be answered right by both.
      const first = stats.find((i) => i.id === items.filter((x) => x.type === 'MULTIPLE_CHOICE')[0]!.id)!;
      expect(first.stats!.difficulty).toBeLessThan(1);
      expect((await ok(EXAM, { id: examId }, s1.token)).exam.items.every((i: Item) => i.stats === null)).toBe(true);
    });

    it('who may do what, once the exam has run (role × operation)', async () => {
      const published = items[0]!;
      const cases: [string, string, Record<string, unknown>, User | null, string][] = [
        ['release, student', RELEASE, { e: examId }, s1, 'FORBIDDEN'],
        ['release, other teacher', RELEASE, { e: examId }, otherTeacher, 'FORBIDDEN'],
        ['release, other course student', RELEASE, { e: examId }, outsider, 'FORBIDDEN'],
        ['release, anonymous', RELEASE, { e: examId }, null, 'UNAUTHENTICATED'],
        ['attempt, other course student', ATTEMPT, { id: a1 }, outsider, 'FORBIDDEN'],
        ['attempt, other teacher', ATTEMPT, { id: a1 }, otherTeacher, 'FORBIDDEN'],
        ['attempt, classmate', ATTEMPT, { id: a1 }, s2, 'FORBIDDEN'],
        ['grade, student', GRADE, { a: a1, i: published.id, p: 0 }, s1, 'FORBIDDEN'],
        ['review, student', REVIEW, { i: published.id, r: 'APPROVED' }, s1, 'FORBIDDEN'],
        ['review, teacher, published', REVIEW, { i: published.id, r: 'APPROVED' }, teacher, 'CONFLICT'],
        ['submit, classmate', SUBMIT, { a: a1 }, s2, 'FORBIDDEN'],
        ['submit, teacher', SUBMIT, { a: a1 }, teacher, 'FORBIDDEN'],
        ['start again', START, { e: examId }, s1, 'CONFLICT'],
        ['exam, other course student', EXAM, { id: examId }, outsider, 'FORBIDDEN'],
      ];
      const got = await Promise.all(cases.map(async ([name, q, v, user]) => [name, errorCode(await stack.query(q, v, user?.token))] as const));
      expect(Object.fromEntries(got)).toEqual(Object.fromEntries(cases.map(([name, , , , code]) => [name, code])));
      // The teachers and the admin see every attempt; students only their own.
      const teacherView = (await ok(`query($id: ID!) { exam(id: $id) { attempts { id student { id } } } }`, { id: examId }, admin.accessToken)).exam.attempts;
      expect(new Set(teacherView.map((a: { id: string }) => a.id))).toEqual(new Set([a1, a2]));
      expect((await ok(`query($id: ID!) { exam(id: $id) { attempts { id } myAttempt { id } } }`, { id: examId }, s1.token)).exam).toEqual({ attempts: [], myAttempt: { id: a1 } });
    });

    it('the exam sent its events to the notify queue, once each', async () => {
      const connection = new Redis(stack.env.REDIS_URL!, { maxRetriesPerRequest: null });
      const queue = new Queue(notifyQueue.name, { connection, prefix: bullPrefix(stack.env.REDIS_KEY_PREFIX!) });
      try {
        const events = await waitFor('events', async () => {
          const jobs = (await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])).map((j) => j.data);
          return jobs.some((e) => e.kind === 'EXAM_RESULTS') ? jobs : null;
        }, 20_000);
        const mine = events.filter((e) => e.data.examId === examId);
        expect(mine.map((e) => e.kind).sort()).toEqual(['EXAM_PUBLISHED', 'EXAM_READY_FOR_REVIEW', 'EXAM_RESULTS']);
        expect(mine.find((e) => e.kind === 'EXAM_PUBLISHED')).toMatchObject({ courseId: course, audience: { courseStudents: true } });
        expect(mine.find((e) => e.kind === 'EXAM_READY_FOR_REVIEW').audience).toMatchObject({ courseTeachers: true });
        expect(new Set(mine.find((e) => e.kind === 'EXAM_RESULTS').audience.userIds)).toEqual(new Set([s1.id, s2.id]));
      } finally {
        await queue.close();
        connection.disconnect();
      }
    });
  });
});
