// Kept in step with package.json by the release process; the instrumentation scope of every span.
export const PACKAGE_NAME = '@spanlens/instrumentation-openai';
export const PACKAGE_VERSION = '0.1.0';
