import { readFileSync } from 'node:fs';
import {
  AppError,
  createRedis,
  createSubgraph,
  type Env,
  InternalClient,
  loadConfig,
  parseInput,
  Producer,
  type PurgeBookPayload,
  purgeBookQueue,
  type Redis,
  requireServiceProof,
  type RunningSubgraph,
  UserDirectory,
} from '@ai-teacher/shared';
import express from 'express';
import { parse } from 'graphql';
import { z } from 'zod';
import { academicConfigSchema } from './config.ts';
import type { AcademicContext } from './context.ts';
import { ormDefinition } from './database.ts';
import { resolvers } from './resolvers/index.ts';
import { BookRepository } from './repositories/book.repository.ts';
import { HierarchyRepository } from './repositories/hierarchy.repository.ts';
import { MembershipRepository } from './repositories/membership.repository.ts';
import { ProfileRepository } from './repositories/profile.repository.ts';
import { AcademicService } from './services/academic.service.ts';
import { ImportService } from './services/import.service.ts';
import { createLoaders } from './services/loaders.ts';

export const ACADEMIC_DEFAULT_PORT = 4002;
export const academicTypeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

const membershipInput = z.object({ courseId: z.uuid(), userId: z.uuid() });

/** Builds and starts the academic subgraph. `env` is merged over process.env. */
export async function startAcademicSubgraph(env: Env = {}): Promise<RunningSubgraph> {
  const config = loadConfig(academicConfigSchema, env);
  let directory: UserDirectory | undefined;
  let purgeBooks: Producer<PurgeBookPayload> | undefined;
  let queueConnection: Redis | undefined;

  return createSubgraph<AcademicContext>({
    name: 'academic',
    typeDefs: academicTypeDefs,
    resolvers: resolvers as never,
    orm: ormDefinition,
    defaultPort: ACADEMIC_DEFAULT_PORT,
    env,
    async onStart(deps) {
      directory = new UserDirectory(new InternalClient({ secret: deps.identitySecret, service: 'academic', baseUrl: config.AUTH_INTERNAL_URL }));
      queueConnection = createRedis(deps.config, 'queue');
      purgeBooks = new Producer(purgeBookQueue, queueConnection, deps.config.REDIS_KEY_PREFIX);
    },
    async onStop() {
      await purgeBooks?.close();
      queueConnection?.disconnect();
    },
    routes(app, deps) {
      // The trusted course scope for tutor, retrieval and exam (see CourseScopeClient in the kit).
      app.post('/internal/course-membership', requireServiceProof(deps.identitySecret), express.json(), async (req, res, next) => {
        try {
          const { courseId, userId } = parseInput(membershipInput, req.body);
          const em = deps.orm.em.fork();
          const hierarchy = new HierarchyRepository(em);
          const members = new MembershipRepository(em);
          const [course] = await hierarchy.coursesByIds([courseId]);
          if (!course) return void res.json({ course: null, enrolled: false, teaches: false });
          const [semester] = await hierarchy.semestersByIds([course.semesterId]);
          const [department] = await hierarchy.departmentsByIds([semester!.departmentId]);
          const [enrolled, teaches] = await Promise.all([members.isEnrolled(courseId, userId), members.teaches(courseId, userId)]);
          res.json({
            course: { courseId, semesterId: semester!.id, departmentId: department!.id, facultyId: department!.facultyId },
            enrolled,
            teaches,
          });
        } catch (err) {
          if (err instanceof AppError) return void res.status(400).json({ error: err.message });
          next(err);
        }
      });
      // Which course a book belongs to (retrieval checks uploads and reads against the course).
      app.post('/internal/book', requireServiceProof(deps.identitySecret), express.json(), async (req, res, next) => {
        try {
          const { bookId } = parseInput(z.object({ bookId: z.uuid() }), req.body);
          const [book] = await new BookRepository(deps.orm.em.fork()).byIds([bookId]);
          res.json({ book: book ? { bookId: book.id, courseId: book.courseId, title: book.title } : null });
        } catch (err) {
          if (err instanceof AppError) return void res.status(400).json({ error: err.message });
          next(err);
        }
      });
    },
    context(base) {
      const em = base.em;
      const repos = {
        hierarchy: new HierarchyRepository(em),
        books: new BookRepository(em),
        members: new MembershipRepository(em),
        profiles: new ProfileRepository(em),
      };
      const loaders = createLoaders(repos, directory!);
      return {
        ...base,
        academic: new AcademicService({ identity: base.identity, ...repos, loaders, directory: directory!, redis: base.redis, purgeBooks: purgeBooks!, requestId: base.requestId, logger: base.logger }),
        imports: new ImportService({ em, directory: directory!, redis: base.redis, logger: base.logger }),
      };
    },
  });
}
