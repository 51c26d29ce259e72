// The instrumentation scope of every span. The build (scripts/build.mjs) stamps both from package.json
// into dist, so a release only changes package.json; running from source (tsx) reports the dev version.
export const PACKAGE_NAME = '@spanlens/instrumentation-openai';
export const PACKAGE_VERSION = '0.0.0-dev';
