export { OpenAIInstrumentation, SUPPORTED_MAJORS } from './instrumentation';
export type { OpenAIInstrumentationConfig } from './config';
export { threadTraceId, threadRootSpanId, conversationTraceId } from './thread-ids';
export { ThreadTraceIdGenerator } from './thread-context';
export { createOpenAI } from './create-openai';
