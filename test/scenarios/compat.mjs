// One place for the only difference the scenarios care about between openai majors:
// v4 takes ids positionally, v5+ takes the id plus a params object carrying `thread_id`.
export function compat(client, major) {
  const t = client.beta.threads;
  const v4 = major < 5;
  return {
    major,
    threads: {
      create: (body, opts) => t.create(body, opts),
      retrieve: (threadId) => t.retrieve(threadId),
      del: (threadId) => (v4 ? t.del(threadId) : t.delete(threadId)),
      createAndRun: (body, opts) => t.createAndRun(body, opts),
      createAndRunPoll: (body, opts) => t.createAndRunPoll(body, opts),
      createAndRunStream: (body, opts) => t.createAndRunStream(body, opts),
    },
    messages: {
      create: (threadId, body, opts) => t.messages.create(threadId, body, opts),
      list: (threadId, query, opts) => t.messages.list(threadId, query, opts),
      retrieve: (threadId, messageId) => (v4 ? t.messages.retrieve(threadId, messageId) : t.messages.retrieve(messageId, { thread_id: threadId })),
    },
    runs: {
      create: (threadId, body, opts) => t.runs.create(threadId, body, opts),
      createAndPoll: (threadId, body, opts) => t.runs.createAndPoll(threadId, body, opts),
      stream: (threadId, body, opts) => t.runs.stream(threadId, body, opts),
      createAndStream: (threadId, body, opts) => t.runs.createAndStream(threadId, body, opts),
      retrieve: (threadId, runId, opts) => (v4 ? t.runs.retrieve(threadId, runId, opts) : t.runs.retrieve(runId, { thread_id: threadId }, opts)),
      list: (threadId, query) => t.runs.list(threadId, query),
      cancel: (threadId, runId) => (v4 ? t.runs.cancel(threadId, runId) : t.runs.cancel(runId, { thread_id: threadId })),
      poll: (threadId, runId, opts) => (v4 ? t.runs.poll(threadId, runId, opts) : t.runs.poll(runId, { thread_id: threadId }, opts)),
      submitToolOutputs: (threadId, runId, body, opts) => (v4 ? t.runs.submitToolOutputs(threadId, runId, body, opts) : t.runs.submitToolOutputs(runId, { thread_id: threadId, ...body }, opts)),
      submitToolOutputsAndPoll: (threadId, runId, body, opts) =>
        v4 ? t.runs.submitToolOutputsAndPoll(threadId, runId, body, opts) : t.runs.submitToolOutputsAndPoll(runId, { thread_id: threadId, ...body }, opts),
      submitToolOutputsStream: (threadId, runId, body, opts) =>
        v4 ? t.runs.submitToolOutputsStream(threadId, runId, body, opts) : t.runs.submitToolOutputsStream(runId, { thread_id: threadId, ...body }, opts),
    },
    steps: {
      list: (threadId, runId, query) => (v4 ? t.runs.steps.list(threadId, runId, query) : t.runs.steps.list(runId, { thread_id: threadId, ...query })),
      retrieve: (threadId, runId, stepId, query) => (v4 ? t.runs.steps.retrieve(threadId, runId, stepId, query) : t.runs.steps.retrieve(stepId, { thread_id: threadId, run_id: runId, ...query })),
    },
    assistants: {
      create: (body) => client.beta.assistants.create(body),
      retrieve: (id) => client.beta.assistants.retrieve(id),
      list: (query, opts) => client.beta.assistants.list(query, opts),
    },
  };
}
