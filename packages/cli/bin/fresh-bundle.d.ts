// Types of fresh-bundle.js (plain JavaScript: bin/prebake.js loads it before anything else).
export declare const inputsRecordOf: (bundle: string) => string;
export declare function stampOf(path: string): string;
export declare function isBundleFresh(bundle: string, root: string): boolean;
