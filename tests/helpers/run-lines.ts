// Histories as `exec` writes them, for tests of the run history's size and bounds.

/** `n` finished runs of a dead exec, 10 ms apart from `from` (as `exec` writes them: a start line and an update line). */
export function runLines(n: number, from: number, run: Record<string, unknown> = {}): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `f${i.toString(16).padStart(11, '0')}`;
    const at = new Date(from + i * 10).toISOString();
    lines.push(JSON.stringify({ op: 'start', run: { id, status: 'running', workflow: 'transcribe', program: 'fill', credentials: ['huggingface.token'], stripped: [], inherited: [], masked: true, exit_code: null, signal: null, started_at: at, finished_at: null, duration_ms: null, owner: { pid: 999_999, host: 'elsewhere', boot: 'b' }, ...run } }));
    lines.push(JSON.stringify({ op: 'update', id, patch: { status: 'succeeded', exit_code: 0, finished_at: at, duration_ms: 5 } }));
  }
  return `${lines.join('\n')}\n`;
}
