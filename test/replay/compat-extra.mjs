// Additions to test/scenarios/compat.mjs needed by the replay app scenario (drive.mjs).
// Same idea: hide v4 positional ids vs v5+ `params` objects (and where v4 kept a resource).
export function compatExtra(client, major) {
  const v4 = major < 5;
  const t = client.beta.threads;
  // v4 >= 4.85 has both `client.vectorStores` and the deprecated `client.beta.vectorStores`.
  const vectorStores = () => client.vectorStores ?? client.beta.vectorStores;
  return {
    runs: {
      update: (threadId, runId, body, opts) => (v4 ? t.runs.update(threadId, runId, body, opts) : t.runs.update(runId, { thread_id: threadId, ...body }, opts)),
    },
    vectorStores: {
      create: (body, opts) => vectorStores().create(body, opts),
      files: {
        // vector_store_id is the only path param, so it is positional in every major.
        create: (vectorStoreId, body, opts) => vectorStores().files.create(vectorStoreId, body, opts),
      },
    },
    chat: { completions: { create: (body, opts) => client.chat.completions.create(body, opts) } },
    embeddings: { create: (body, opts) => client.embeddings.create(body, opts) },
    responses: {
      // `client.responses` exists from 4.87; before that fall back to the generic POST.
      create: (body, opts) => (client.responses ? client.responses.create(body, opts) : client.post('/responses', { body, ...opts, stream: body?.stream === true })),
    },
  };
}
