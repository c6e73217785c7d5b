// What the academic subgraph offers other services: the trusted course scope and book look-ups.
export * from './contracts/course-scope.ts';
