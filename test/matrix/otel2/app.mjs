// How an ES module app in this dir imports the instrumentation package (its ESM entry).
export const importPackage = () => import('@spanlens/instrumentation-openai');
export const resolvePackage = () => import.meta.resolve('@spanlens/instrumentation-openai');
