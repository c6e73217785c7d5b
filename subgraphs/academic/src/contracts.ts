// What the academic subgraph offers other services: the trusted course scope and book look-ups,
// and a course's members (notification recipients).
export * from './contracts/course-scope.ts';
export * from './contracts/course-members.ts';
