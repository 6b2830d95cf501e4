export declare const RENDERER_GZIP_TARGET: number;
export declare function buildApp(options?: { quiet?: boolean }): Promise<{ gzip: number }>;
