export { OpenAIInstrumentation } from './instrumentation';
export type { OpenAIInstrumentationConfig } from './config';
export { threadTraceId } from './thread-ids';
