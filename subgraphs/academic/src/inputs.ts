// The shapes of academic input, shared by the GraphQL mutations and the bulk import so that a name
// accepted by one is accepted by the other.
import { z } from 'zod';

export const id = z.uuid({ message: 'must be a valid id' });

/** Unicode-normalised, trimmed, inner whitespace collapsed, then not blank and at most `max`. */
const cleanText = (max: number) =>
  z
    .string()
    .transform((s) => s.normalize('NFC').trim().replace(/\s+/g, ' '))
    .pipe(z.string().min(1, 'must not be blank').max(max, `must be at most ${max} characters`));

export const nameInput = cleanText(200);
export const titleInput = cleanText(300);
export const bookTitleInput = cleanText(500);
export const authorsInput = z.array(cleanText(200)).max(50, 'at most 50 authors');
export const displayNameInput = cleanText(100);

/** Stored upper-case, so codes are unique within a semester whatever their case. */
export const courseCodeInput = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .pipe(
    z
      .string()
      .min(1, 'must not be blank')
      .max(32, 'must be at most 32 characters')
      .regex(/^[A-Z0-9][A-Z0-9 ._-]*$/, 'may contain letters, digits, spaces, dots, dashes and underscores'),
  );

export const pageSize = (max: number) => z.number().int().min(1, 'must be at least 1').max(max, `must be at most ${max}`);
