import { describe, expect, it } from '@jest/globals';
import { isImportOperation } from './body-limits.ts';
import { parseByteSize } from './config.ts';
import { formatBytes } from './http-refusal.ts';

describe('body limits', () => {
  it('parses sizes the way Express writes them', () => {
    expect(parseByteSize('256kb')).toBe(256 * 1024);
    expect(parseByteSize('10MB')).toBe(10 * 1024 * 1024);
    expect(parseByteSize('1.5mb')).toBe(1.5 * 1024 * 1024);
    expect(parseByteSize('4096')).toBe(4096);
    expect(parseByteSize('lots')).toBeNull();
    expect(parseByteSize('0')).toBeNull();
  });

  it('names limits in the units they are set in', () => {
    expect(formatBytes(256 * 1024)).toBe('256 KB');
    expect(formatBytes(10 * 1024 * 1024)).toBe('10 MB');
    expect(formatBytes(1000)).toBe('1000 bytes');
  });

  it('recognises the import mutation, and only it', () => {
    expect(isImportOperation('mutation($d: String!) { importAcademicData(format: CSV, document: $d) { applied } }', 2_000)).toBe(true);
    expect(isImportOperation('mutation A { r: importAcademicData(format: CSV, document: "") { ...F } } fragment F on ImportReport { applied }', 2_000)).toBe(true);
    expect(isImportOperation('query { me { id } }', 2_000)).toBe(false);
    expect(isImportOperation('mutation { importAcademicData(format: CSV, document: "") { applied } logout(refreshToken: "x") }', 2_000)).toBe(false);
    expect(isImportOperation('mutation A { importAcademicData(format: CSV, document: "") { applied } } query B { me { id } }', 2_000)).toBe(false);
    expect(isImportOperation('mutation { ... on Mutation { importAcademicData(format: CSV, document: "") { applied } } }', 2_000)).toBe(false);
    expect(isImportOperation(undefined, 2_000)).toBe(false);
  });
});
