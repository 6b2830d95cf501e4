export declare function buildCli(): Promise<void>;
export declare function buildLibrary(): Promise<void>;
