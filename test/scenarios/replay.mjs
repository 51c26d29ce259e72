// Replays one recorded session (test/replay/drive.mjs) against its own replay server, then ends the
// runs the recording never showed finishing, as an app shutdown would (disable), and re-enables.
import drive from '../replay/drive.mjs';

export default async function replay(ctx) {
  const result = await drive({ ...ctx, baseURL: ctx.args.baseURL });
  ctx.instrumentation?.disable();
  ctx.instrumentation?.enable();
  return result;
}
