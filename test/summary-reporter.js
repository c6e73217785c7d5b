// Ends the run with one plain line, "N passed, N failed, N skipped", that CI and humans can read.
// Written at exit so it comes after Jest's own summary.
import { writeSync } from 'node:fs';

export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped`;
    process.once('exit', () => writeSync(1, `\n${line}\n`));
  }
}
