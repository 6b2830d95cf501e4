export declare function scan(input?: string): Promise<{ electronVersion: string; output: string; findings: Array<Record<string, string>> }>;
