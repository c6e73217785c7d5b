import { describe, expect, it } from '@jest/globals';
import { parseImport } from './parse.ts';
import { planImport } from './plan.ts';

const csv = (...lines: string[]) => parseImport('CSV', ['faculty,department,semester,course_code,course_title,teacher_email,student_email', ...lines].join('\n'));

describe('planImport', () => {
  it('reports each bad value with its row and column, and plans nothing from that row', () => {
    const { plan, errors } = planImport(
      csv(
        'Science,Physics,Y1,PHY1,Mechanics,,', // fine
        '   ,Physics,Y1,PHY2,Optics,,', // blank faculty
        'Science,Physics,Y1,!!,Waves,,', // bad code
        'Science,Physics,Y1,PHY3,Heat,,not-an-email',
        `Science,Physics,Y1,PHY4,${'x'.repeat(301)},,`,
      ),
    );
    expect(errors).toEqual([
      { row: 2, field: 'faculty', message: 'must not be blank' },
      { row: 3, field: 'course_code', message: 'may contain letters, digits, spaces, dots, dashes and underscores' },
      { row: 4, field: 'student_email', message: 'must be a valid email address' },
      { row: 5, field: 'course_title', message: 'must be at most 300 characters' },
    ]);
    expect([...plan.courses.values()].map((c) => c.code)).toEqual(['PHY1']);
    expect(plan.students).toEqual([]);
  });

  it('reports a missing parent column for a value to its right', () => {
    const { plan, errors } = planImport(
      csv(
        'Arts,,Y1,,,,', // semester without department
        'Arts,History,,HIS1,Ancient,,', // course without semester
        'Arts,History,Y1,,,teacher@uni.test,', // teacher without course
        'Arts,History,Y1,,,,student@uni.test', // student without course
      ),
    );
    const missing = 'is required by the columns to its right';
    expect(errors).toEqual([
      { row: 1, field: 'department', message: missing },
      { row: 2, field: 'semester', message: missing },
      { row: 3, field: 'course_code', message: missing },
      { row: 4, field: 'course_code', message: missing },
    ]);
    expect(plan.faculties.size).toBe(0);
  });

  it('merges repeated rows case-insensitively into one record each; a course takes the first title given', () => {
    const { plan, errors } = planImport(
      csv(
        'Science,Physics,Fall,phy1,,,',
        'SCIENCE,physics,FALL, PHY1 ,Mechanics,,',
        'science,Physics,fall,PHY1,Other title,,',
        'Science,Physics,Fall,PHY1,,,  Ann@Uni.Test ',
        'Science,Physics,Fall,PHY1,,,ann@uni.test',
        'Science,Chemistry,,,,,',
      ),
    );
    expect(errors).toEqual([]);
    expect([...plan.faculties.values()]).toEqual(['Science']);
    expect([...plan.departments.values()]).toEqual([
      { faculty: 'Science', name: 'Physics' },
      { faculty: 'Science', name: 'Chemistry' },
    ]);
    expect([...plan.semesters.values()]).toEqual([{ faculty: 'Science', department: 'Physics', name: 'Fall' }]);
    expect([...plan.courses.values()]).toEqual([{ faculty: 'Science', department: 'Physics', semester: 'Fall', code: 'PHY1', title: 'Mechanics', row: 1 }]);
    // Emails are normalised; repeated links stay one per row (the repository writes each pair once).
    const [courseKey] = plan.courses.keys();
    expect(plan.students).toEqual([
      { courseKey, email: 'ann@uni.test', row: 4 },
      { courseKey, email: 'ann@uni.test', row: 5 },
    ]);
  });

  it('plans a JSON document like the same CSV', () => {
    const json = parseImport(
      'JSON',
      JSON.stringify({ faculties: [{ name: 'Arts', departments: [{ name: 'History', semesters: [{ name: 'Y1', courses: [{ code: 'his1', title: 'Ancient', teachers: ['t@uni.test'], students: ['s@uni.test'] }] }] }] }] }),
    );
    const fromCsv = csv('Arts,History,Y1,his1,Ancient,,', 'Arts,History,Y1,his1,Ancient,t@uni.test,', 'Arts,History,Y1,his1,Ancient,,s@uni.test');
    expect(planImport(json)).toEqual(planImport(fromCsv));
  });
});
