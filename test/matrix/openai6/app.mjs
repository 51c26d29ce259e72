// How an ES module app in this dir imports the SDK: by its bare name, which is what the
// instrumentation's import-in-the-middle hook matches (an import by file URL is not hooked).
export const importOpenAI = () => import('openai');
export const resolveOpenAI = () => import.meta.resolve('openai');
// Any other package of this dir (the Agents SDK), imported by bare name the same way.
export const importModule = (name) => import(name);
export const resolveModule = (name) => import.meta.resolve(name);
