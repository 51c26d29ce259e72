// Model name -> price table key. Only exact names are matched: a name is tried as is, then through the
// snapshot aliases, then with one trailing `-YYYY-MM-DD` removed. Never by prefix, so `gpt-4o-mini-…`
// cannot land on `gpt-4o`, `gpt-4.1` on `gpt-4`, `o3-pro` on `o3`, or `ft:gpt-4o-mini-…:org::id` (fine-tuned,
// priced differently) on anything. A snapshot listed in the table itself (gpt-4o-2024-05-13) wins over its base.

const DATED_SNAPSHOT = /^(.+)-\d{4}-\d{2}-\d{2}$/;

export function normalizeModelName(model: string): string {
  return model.trim().toLowerCase();
}

export function resolveModel(model: string, has: (name: string) => boolean, aliases: Readonly<Record<string, string>>): string | undefined {
  const name = normalizeModelName(model);
  if (!name) return undefined;
  const direct = lookup(name, has, aliases);
  if (direct) return direct;
  const dated = DATED_SNAPSHOT.exec(name);
  return dated ? lookup(dated[1], has, aliases) : undefined;
}

function lookup(name: string, has: (name: string) => boolean, aliases: Readonly<Record<string, string>>): string | undefined {
  if (has(name)) return name;
  const alias = Object.prototype.hasOwnProperty.call(aliases, name) ? aliases[name] : undefined;
  return alias !== undefined && has(alias) ? alias : undefined;
}
