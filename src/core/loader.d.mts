export function isTypeScript(url: unknown): boolean;
export function typeScriptLoader(...urls: (string | undefined)[]): Promise<boolean>;
export function sourceConditions(): void;
