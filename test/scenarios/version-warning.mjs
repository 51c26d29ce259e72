// A module outside the supported range is left alone, with a diag warning instead of silence.
export default async function versionWarning(ctx) {
  const fake = {
    OpenAI: class {
      makeRequest() {}
    },
  };
  const before = fake.OpenAI.prototype.makeRequest;
  ctx.instrumentation.patchModule(fake, '8.1.0');
  ctx.instrumentation.patchModule({ nothing: true }, '5.0.0');
  return { untouched: fake.OpenAI.prototype.makeRequest === before };
}
