// How an ES module app in this dir imports the SDK: by its bare name, which is what the
// instrumentation's import-in-the-middle hook matches (an import by file URL is not hooked).
export const importOpenAI = () => import('openai');
export const resolveOpenAI = () => import.meta.resolve('openai');
// A subpath of the SDK (e.g. openai/resources/responses/ws), imported by its bare name as the app would.
export const importSubpath = (specifier) => import(specifier);
