/** One test file of vitest's JSON report (the fields the re-run reads). */
export interface FileResult {
  name: string;
  status: string;
  startTime: number;
  endTime: number;
  assertionResults: { status: string }[];
}
export interface RunReport {
  numPassedTests?: number;
  numFailedTests?: number;
  numRuntimeErrorTestSuites?: number;
  testResults: FileResult[];
}
export function deathTimes(logText: string): number[];
export function filesToRerun(results: RunReport | undefined, deaths: number[]): string[];
export function mergeRerun(first: RunReport, second: RunReport): RunReport & { success: boolean; rerun: string[] };
