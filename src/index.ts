export { OpenAIInstrumentation, SUPPORTED_MAJORS } from './hook/instrumentation';
export type { OpenAIInstrumentationConfig } from './config';
export { threadTraceId, threadRootSpanId, conversationTraceId } from './trace/trace-ids';
export { ThreadTraceIdGenerator } from './trace/trace-roots';
export { createOpenAI } from './create-openai';
