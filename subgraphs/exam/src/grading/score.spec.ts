import { describe, expect, it } from '@jest/globals';
import { contentStems, gradeByRubric, gradeChoice, stem } from './score.ts';

describe('gradeChoice', () => {
  it('gives full points for the correct option only', () => {
    expect(gradeChoice('opt-b', 'opt-b', 2)).toBe(2);
    expect(gradeChoice('opt-b', 'opt-a', 2)).toBe(0);
    expect(gradeChoice('opt-b', null, 2)).toBe(0);
    expect(gradeChoice(null, null, 2)).toBe(0);
  });
});

describe('stem', () => {
  it('brings inflections of one word together', () => {
    for (const group of [
      ['heat', 'heats', 'heated', 'heating'],
      ['evaporate', 'evaporates', 'evaporated', 'evaporating'],
      ['study', 'studies', 'studied', 'studying'],
      ['run', 'runs', 'running'],
      ['store', 'stored', 'storing', 'stores'],
      ['class', 'classes'],
      ['box', 'boxes'],
      ['gas', 'gases'],
      ['hundred', 'hundreds'],
      ['building', 'buildings'],
    ]) {
      expect(new Set(group.map(stem))).toEqual(new Set([stem(group[0]!)]));
    }
  });

  it('leaves words alone that only look inflected', () => {
    expect(stem('add')).toBe('add');
    expect(stem('added')).toBe('add');
    expect(stem('string')).toBe('string');
    expect(stem('speed')).toBe('speed');
    expect(stem('analysis')).toBe('analysis');
    expect(stem('bus')).toBe('bus');
  });
});

describe('contentStems', () => {
  it('drops function words but keeps numbers and negations', () => {
    expect(contentStems('The process is not reversible at 100 degrees')).toEqual(new Set(['process', 'not', 'reversibl', '100', 'degree']));
  });
});

describe('gradeByRubric', () => {
  const rubric = ['Heated water evaporates into vapour', 'Condensation releases heat to the surroundings'];

  it('credits a paraphrased point and names the missed one', () => {
    // Point 1: {heat, water, evaporat, vapour} — the answer has heat (heating), water, evaporat
    // (evaporate): 3/4 = 0.75 ≥ 0.5, covered. Point 2: {condensation, releas, heat, surrounding}
    // — only heat: 1/4 < 0.5, missed. 2 points × 1/2 = 1.
    const graded = gradeByRubric('Heating the water makes it evaporate.', rubric, 2);
    expect(graded.coverage).toEqual([0.75, 0.25]);
    expect(graded.points).toBe(1);
    expect(graded.feedback).toBe('Covers 1 of 2 rubric points. Missing: “Condensation releases heat to the surroundings”.');
  });

  it('gives full points when every point is covered', () => {
    const graded = gradeByRubric('When water is heated it evaporates to vapour; condensation releases that heat into the surroundings.', rubric, 2);
    expect(graded).toEqual({ points: 2, coverage: [1, 1], feedback: 'Covers all 2 rubric points.' });
  });

  it('rounds to half points', () => {
    // 1 of 3 covered: 2 × 1/3 = 0.667 → 0.5.
    expect(gradeByRubric('Heated water evaporates', [...rubric, 'Ice melts at zero degrees'], 2).points).toBe(0.5);
    // 2 of 3 covered: 2 × 2/3 = 1.333 → 1.5.
    expect(gradeByRubric('Heated water evaporates; ice melts at zero', [...rubric, 'Ice melts at zero degrees'], 2).points).toBe(1.5);
  });

  it('counts a point as covered at exactly the threshold (half its words)', () => {
    expect(gradeByRubric('copper wire', ['copper conducts electricity wire'], 1)).toMatchObject({ coverage: [0.5], points: 1 });
  });

  it('gives a blank answer 0', () => {
    expect(gradeByRubric('   \n', rubric, 2)).toEqual({ points: 0, coverage: [0, 0], feedback: 'No answer given.' });
  });

  it('gives 0 without a rubric, and says a teacher grades it', () => {
    expect(gradeByRubric('Something', [], 3)).toMatchObject({ points: 0, coverage: [] });
  });

  it('shortens long missed points in the feedback', () => {
    const long = 'The second law of thermodynamics states that the total entropy of an isolated system can never decrease over time';
    const { feedback } = gradeByRubric('Heated water evaporates into vapour', [rubric[0]!, long], 2);
    expect(feedback).toBe('Covers 1 of 2 rubric points. Missing: “The second law of thermodynamics states that the total…”.');
  });
});
