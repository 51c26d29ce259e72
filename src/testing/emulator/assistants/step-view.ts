import type { WireStep } from '../engine/types';

// Run steps as clients see them (REST responses and stream events alike): file_search result content is
// only there when the request asked for it with `include[]`.

export const FILE_SEARCH_CONTENT = 'step_details.tool_calls[*].file_search.results[*].content';

export function stepView(step: WireStep, includeContent: boolean): WireStep {
  if (includeContent || step.step_details.type !== 'tool_calls') return step;
  if (!step.step_details.tool_calls.some((tc) => tc.type === 'file_search')) return step;
  const copy = structuredClone(step);
  if (copy.step_details.type === 'tool_calls') {
    for (const tc of copy.step_details.tool_calls) {
      if (tc.type !== 'file_search') continue;
      for (const r of tc.file_search.results ?? []) delete r.content;
    }
  }
  return copy;
}
