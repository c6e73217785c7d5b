import { describe, expect, it } from '@jest/globals';
import { objectivePrompt } from './objectives.ts';

describe('objectivePrompt', () => {
  it('asks explanations as they are and skills as "Describe how to …"', () => {
    expect(objectivePrompt('Explain numerical inaccuracies related to floating-point representation.')).toBe('Explain numerical inaccuracies related to floating-point representation.');
    expect(objectivePrompt('Define matter and elements')).toBe('Define matter and elements.');
    expect(objectivePrompt('Use the round() function to mitigate floating-point errors in output.')).toBe('Describe how to use the round() function to mitigate floating-point errors in output.');
    expect(objectivePrompt('Understand macromolecule synthesis')).toBe('Explain macromolecule synthesis.');
    expect(objectivePrompt('Demonstrate that lists can be changed after creation.')).toBe('Show that lists can be changed after creation.');
  });
});
